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

/** As the spec's `CanaryStep` (src/spec/types.ts), with only the fields the dashboard shows. */
export type CanaryStep =
  | { setWeight: number }
  | { pause: { duration?: string | number } }
  | { analysis: RolloutAnalysis }
  | { setHeaderRoute: { name: string; match?: unknown[] } }
  | { setMirrorRoute: { name: string; percentage?: number; match?: unknown[] } }
  | { experiment: { templates: { name: string }[] } };

interface RolloutSpec {
  replicas?: number;
  port: number;
  strategy: {
    canary?: { steps?: CanaryStep[]; analysis?: RolloutAnalysis };
    blueGreen?: { previewPort?: number; autoPromotionEnabled?: boolean };
    rolling?: object;
    recreate?: object;
  };
  /** The coordination handoff, when the Rollout speaks it. */
  handoff?: { singleton?: boolean };
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
  /** A Rollout with a handoff: the replica that is active; null while none is. */
  activeReplica?: { id: string; revision: number } | null;
}

/** One handoff run (`GET /api/v1/rollouts/:name/handoffs`). */
export interface HandoffRun {
  name: string;
  kind: 'Update' | 'Activation' | 'Failover';
  phase: 'Running' | 'Successful' | 'Failed';
  fromReplica: string | null;
  toRevision: number;
  toReplica: string | null;
  pending: string[];
  steps: {
    name: string;
    replica?: string;
    startedAt: number;
    finishedAt: number;
    ok: boolean;
    detail?: string;
  }[];
  state?: { sha256: string; size: number; exportedAt: number };
  message?: string;
  /** ms since the epoch. */
  createdAt: number;
  finishedAt?: number;
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
  /** A person or a crew agent; with `user`, the actor string `<kind>:<user>`. */
  kind: 'user' | 'agent';
  role: Role;
  /** An approver's qualifier (`manager`, `security`, `devops`); null for other roles. */
  qualifier: string | null;
  /** What the role may do (`read`, `deploy`, `approve`, `admin`), as whoami lists it. */
  permissions: string[];
}

/** Stages of the release workflow (ROLLBACK only after a rollback request). */
type ReleaseStage = 'PREPARE' | 'STAGING' | 'VALIDATE' | 'APPROVE' | 'DEPLOY' | 'MONITOR' | 'ROLLBACK';

type ReleaseStatus =
  | 'RUNNING'
  | 'WAITING_APPROVAL'
  | 'WAITING_WINDOW'
  | 'SUCCESS'
  | 'ROLLED_BACK'
  | 'REJECTED'
  | 'CANCELLED'
  | 'FAILED';

/** Outcome of one stage in one environment (as Kysely's Migrator). */
type StageResultKind = 'Success' | 'Error' | 'NotExecuted';

/** One recorded approval. */
interface Approval {
  /** `user:<name>` or `agent:<name>`. */
  actor: string;
  role: Role;
  qualifier: string;
  comment: string;
  /** ms since the epoch. */
  at: number;
}

/** One recorded rejection; the first one ends the release. */
interface Rejection {
  actor: string;
  role: Role;
  qualifier: string | null;
  comment: string;
  /** ms since the epoch. */
  at: number;
}

/** Result of one stage in one environment. */
interface StageResult {
  stage: ReleaseStage;
  environment: string;
  result: StageResultKind;
  /** Why it failed or was not executed. */
  reason?: string;
  /** The crew agent's report: a JSON object whose shape depends on the stage. */
  report?: unknown;
  /** ms since the epoch. */
  at: number;
}

/** One step of the release's forward flow. */
interface PlanStep {
  stage: ReleaseStage;
  environment: string;
  /** Why the step is skipped by design. */
  skip?: string;
}

interface ReleaseHistoryEntry {
  /** ms since the epoch. */
  at: number;
  event: string;
  actor?: string;
  from: { stage: ReleaseStage; status: ReleaseStatus };
  to: { stage: ReleaseStage; status: ReleaseStatus };
  reason: string;
  message: string;
}

/** One entry of a record's timeline (and of a ROLLBACK report's). */
export interface TimelineEntry {
  /** ms since the epoch. */
  at: number;
  stage?: string;
  reason: string;
  actor?: string;
  message: string;
}

/** One rollback of a release (the workflow's incident record). */
interface IncidentRecord {
  name: string;
  release: string;
  environment: string;
  services: string[];
  rollbackType: string;
  reason: string;
  trigger: string;
  /** Ratios 0..1 for rates, ms for latencies. */
  triggerValues: Record<string, number | string | null>;
  actor: string;
  rolledBackTo: string;
  /** ms since the epoch. */
  detectedAt: number;
  /** ms since the epoch; null while running or when the rollback failed. */
  resolvedAt: number | null;
  status: 'RUNNING' | 'ROLLED_BACK' | 'FAILED';
  timeline: TimelineEntry[];
  escalated: boolean;
}

/** The deployment record of a release in its target environment, written when it ends. */
interface DeploymentRecord {
  release: string;
  version: string;
  type: string;
  services: string[];
  environment: string;
  team: string;
  summary: string;
  changes: { id?: string; description: string; committedAt?: number }[];
  /** ms since the epoch. */
  createdAt: number;
  deployStartedAt: number;
  finishedAt: number;
  timeline: TimelineEntry[];
  issues: string[];
  metrics: Record<string, number | null>;
  status: 'SUCCESS' | 'ROLLBACK' | 'FAILED';
  incidents: string[];
}

/** `GET /api/v1/releases/:name`: the workflow's Release plus its plan, approval state and records. */
export interface ReleaseView {
  name: string;
  version: string;
  type: string;
  /** Names of the Rollouts (services) the release carries. */
  rollouts: string[];
  /** In promotion order; the last one is the target. */
  environments: string[];
  createdBy: string;
  /** ms since the epoch. */
  createdAt: number;
  stage: ReleaseStage;
  environment: string;
  status: ReleaseStatus;
  approvals: Approval[];
  rejections: Rejection[];
  stageResults: StageResult[];
  rollback: { type: string; reason: string; actor: string; at: number } | null;
  /** ms since the epoch. */
  waitingUntil: number | null;
  /** `waitingUntil` in UTC and in the environment's time zone, for people. */
  waitingUntilText: string | null;
  history: ReleaseHistoryEntry[];
  plan: PlanStep[];
  approval: { satisfied: boolean; missing: string[]; missingQualifiers: string[]; required: string[] };
  incidents: IncidentRecord[];
  record: DeploymentRecord | null;
  team: string;
  /** The Rollout plan's progress, one per environment the crew carried it out in. */
  progress: PlanProgress[];
}

/** A Rollout's place in its release's plan (see the workflow's PlanRolloutState). */
export type PlanRolloutState =
  | 'Waiting'
  | 'Progressing'
  | 'Verifying'
  | 'Healthy'
  | 'Degraded'
  | 'Failed'
  | 'RolledBack';

/** One Rollout of a release's plan, as the Orchestrator reports it. */
export interface PlanRolloutProgress {
  name: string;
  /** The Rollout in the environment, e.g. `mca-production`. */
  rollout: string;
  /** Rollouts of the release it waits for directly: the graph's edges. */
  after: string[];
  state: PlanRolloutState;
  phase: number | null;
  fromRevision: number | null;
  revision: number | null;
  runningRevision: number | null;
  step: { index: number; count: number } | null;
  /** Percent 0..100 of traffic on the new revision. */
  weight: number;
  message: string;
}

/** The plan's progress in one environment. */
export interface PlanProgress {
  environment: string;
  /** Percent 0..100 of the plan's steps done. */
  percent: number;
  rollouts: PlanRolloutProgress[];
  phases: { at: number; started: string[]; checkpoint: Record<string, number | null> }[];
  smokeTests: {
    kind: 'afterEach' | 'connectivityTest';
    name: string;
    rollout: string;
    passed: boolean;
    detail: string;
    at: number;
  }[];
  updatedAt: number;
}

/** An Environment resource (`GET /api/v1/environments`), the parts the dashboard reads. */
export interface EnvironmentResource {
  metadata: { name: string };
  spec: { order: number };
}

/** `GET /api/v1/analytics/dora`: the four DORA keys over a period. */
export interface DoraReport {
  /** ms since the epoch, inclusive. */
  from: number;
  /** ms since the epoch, exclusive. */
  to: number;
  service: string | null;
  environment: string | null;
  deploymentFrequency: { deployments: number; perDay: number };
  /** s. */
  leadTimeForChanges: { medianSeconds: number | null; samples: number };
  /** Ratio 0..1. */
  changeFailureRate: { ratio: number | null; failed: number; total: number };
  /** s, from the fault's onset until service was restored. */
  timeToRestore: { medianSeconds: number | null; samples: number };
  /** Deployment success rate per service and environment (ratio 0..1) against `target` (0.995). */
  successRate: {
    target: number;
    items: {
      service: string;
      environment: string;
      total: number;
      succeeded: number;
      ratio: number;
      meetsTarget: boolean;
    }[];
  };
  /** Per UTC day (YYYY-MM-DD). */
  series: { day: string; deployments: number; failures: number }[];
}
