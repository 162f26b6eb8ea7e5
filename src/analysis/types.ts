/**
 * AnalysisRun shapes, as Argo Rollouts' AnalysisRun (argoproj.io/v1alpha1): a run holds the merged
 * metrics of its templates (args substituted), and per metric a list of measurements.
 */
import type { AnalysisArg, Metric } from '../spec/types.js';

export const ANALYSIS_PHASES = [
  'Pending',
  'Running',
  'Successful',
  'Failed',
  'Error',
  'Inconclusive',
] as const;
/** Phase of a measurement, a metric or a run (Argo's AnalysisPhase). */
export type AnalysisPhase = (typeof ANALYSIS_PHASES)[number];

/** One measurement of one metric (Argo's Measurement). */
export interface Measurement {
  phase: AnalysisPhase;
  /** ms since the epoch. */
  startedAt: number;
  finishedAt?: number;
  /** The provider's value as a string (Argo stores it as a string), e.g. "0.012" or "[0.9,0.95]". */
  value?: string;
  message?: string;
  /** For a measurement that errored: when to measure again, ms since the epoch. */
  resumeAt?: number;
}

/** Result of one metric so far (Argo's MetricResult). */
export interface MetricResult {
  name: string;
  phase: AnalysisPhase;
  measurements: Measurement[];
  message?: string;
  /** Counters over all measurements taken, including those dropped by measurementRetention. */
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveError: number;
  consecutiveSuccess: number;
  dryRun?: boolean;
}

/** Which revision each role named by a `builtin` provider refers to when the run was created. */
export interface AnalysisRunRevisions {
  stable?: number;
  canary?: number;
  active?: number;
  preview?: number;
  /**
   * For a run started by a canary `experiment` step: the experiment's replica sets by template
   * name (builtin metrics address them as `revision: experiment:<name>`).
   */
  experiment?: Record<string, ExperimentSetRef>;
}

/** One replica set of an experiment, as the data plane identifies it (`ReplicaSetSpec.set`). */
export interface ExperimentSetRef {
  revision: number;
  set: string;
}

/** One entry of {@link AnalysisRunSpec.args}. */
export interface AnalysisRunArg {
  name: string;
  value?: string;
  valueFrom?: Pick<NonNullable<AnalysisArg['valueFrom']>, 'env' | 'secretKeyRef'>;
}

export interface AnalysisRunSpec {
  /** Merged metrics, args already substituted. */
  metrics: Metric[];
  /** Argo's dryRun: metric names (or `*`) whose failures do not fail the run. */
  dryRun?: { metricName: string }[];
  measurementRetention?: { metricName: string; limit: number }[];
  /**
   * Args as resolved, for the record: `{name, value}`, or for a secret arg `{name, valueFrom}` (its
   * `secretKeyRef` or `env` reference, read again at each measurement; the value is never stored).
   */
  args?: AnalysisRunArg[];
}

export interface AnalysisRunStatus {
  phase: AnalysisPhase;
  message?: string;
  startedAt: number;
  finishedAt?: number;
  metricResults: MetricResult[];
  /** Set when the owner (the rollout) asked the run to stop: metrics stop measuring. */
  terminated?: boolean;
}

/** An AnalysisRun as stored. `name` is unique; the engine names runs deterministically. */
export interface AnalysisRun {
  name: string;
  rollout: string;
  /** Revision the run judges (the canary / preview). */
  revision: number;
  revisions: AnalysisRunRevisions;
  /** Where it was placed: `step` (inline), `background`, `prePromotion`, `postPromotion`. */
  kind: 'step' | 'background' | 'prePromotion' | 'postPromotion';
  spec: AnalysisRunSpec;
  status: AnalysisRunStatus;
}
