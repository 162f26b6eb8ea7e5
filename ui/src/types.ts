/**
 * The API shapes the dashboard reads, as `GET /api/v1/...` answers them (see docs/api.md). Declared
 * here rather than imported from the server so the UI build never pulls in Node code.
 */

export const ROLLOUT_PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'] as const;
/** As Argo Rollouts' RolloutPhase. */
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

type AnalysisPhase = 'Pending' | 'Running' | 'Successful' | 'Failed' | 'Error' | 'Inconclusive';

interface RolloutAnalysis {
  templates: { templateName: string }[];
}

export type CanaryStep =
  | { setWeight: number }
  | { pause: { duration?: string | number } }
  | { analysis: RolloutAnalysis };

interface RolloutSpec {
  replicas?: number;
  port: number;
  strategy: {
    canary?: { steps?: CanaryStep[]; analysis?: RolloutAnalysis };
    blueGreen?: { previewPort?: number; autoPromotionEnabled?: boolean };
    rolling?: object;
    recreate?: object;
  };
}

interface RolloutStatus {
  phase: RolloutPhase;
  message: string;
  currentRevision: number;
  stableRevision: number | null;
  currentStepIndex: number | null;
  /** Percent 0..100. */
  weights: { canary: number; stable: number };
  abort: boolean;
  pauseConditions: { reason: string; startTime: number }[];
  controllerPause: boolean;
  activeRevision: number | null;
  previewRevision: number | null;
  analysisRuns: { name: string; kind: string; phase: AnalysisPhase }[];
  readyReplicas: number;
  replicas: number;
  /** ms since the epoch. */
  updatedAt: number;
}

export interface Rollout {
  metadata: { name: string; creationTimestamp: string };
  spec: RolloutSpec;
  status: RolloutStatus;
}

export interface Revision {
  number: number;
  hash: string;
  template: { command: string[] };
  /** ms since the epoch. */
  createdAt: number;
}

interface Measurement {
  phase: AnalysisPhase;
  startedAt: number;
  finishedAt?: number;
  value?: string;
  message?: string;
}

export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements: Measurement[];
  message?: string;
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
}

export interface AnalysisMetric {
  name: string;
  successCondition?: string;
  failureCondition?: string;
  failureLimit?: number | string;
}

export interface AnalysisRun {
  name: string;
  rollout: string;
  revision: number;
  kind: string;
  spec: { metrics: AnalysisMetric[] };
  status: {
    phase: AnalysisPhase;
    message?: string;
    startedAt: number;
    finishedAt?: number;
    metricResults: MetricResult[];
  };
}

export interface RolloutEvent {
  id: number;
  /** ms since the epoch. */
  time: number;
  rollout: string | null;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  actor: string;
}

/** One revision's traffic during one second, from `GET .../stats?series=true`. */
export interface StatsPoint {
  /** ms since the epoch. */
  at: number;
  revision: number;
  /** req/s. */
  requestRate: number;
  /** Ratio 0..1; null without requests. */
  errorRate: number | null;
  /** ms; null without requests. */
  latencyP95Ms: number | null;
}

export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who the dashboard acts as. */
export interface Identity {
  user: string;
  role: Role;
  /** What the role may do (`read`, `deploy`, `approve`, `admin`), as whoami lists it. */
  permissions: string[];
}
