/**
 * Defaults of Argo Rollouts' analysis (analysis/analysis.go, pkg/apis/rollouts/v1alpha1), and the
 * helpers that read a metric's integer-or-string fields with them applied.
 */
import { durationToMs } from '../spec/duration.js';
import type { Metric } from '../spec/types.js';

/** As Argo Rollouts' DefaultMeasurementHistoryLimit: measurements kept per metric. @default 10 */
export const DEFAULT_MEASUREMENT_RETENTION = 10;
/** As Argo Rollouts' DefaultConsecutiveErrorLimit: the 5th error in a row makes the metric Error. */
export const DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;
/** As Argo Rollouts' DefaultErrorRetryInterval: delay before re-measuring after an Error, ms. */
export const DEFAULT_ERROR_RETRY_INTERVAL_MS = 10_000;
/** As Argo Rollouts' `failureLimit` default: no failed measurement is tolerated. */
export const DEFAULT_FAILURE_LIMIT = 0;
/** As Argo Rollouts' `inconclusiveLimit` default. */
export const DEFAULT_INCONCLUSIVE_LIMIT = 0;
/** As Argo Rollouts' `consecutiveSuccessLimit` default: 0 means disabled. */
export const DEFAULT_CONSECUTIVE_SUCCESS_LIMIT = 0;

/**
 * Reads an integer-or-string field (`count`, `failureLimit`, ...) as Kubernetes' IntOrString
 * `IntValue()` does after `{{args.x}}` substitution: a number, or a string holding an integer.
 * Returns `undefined` when absent, `NaN` when not an integer (validateMetric reports it).
 */
export function intField(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number.NaN;
  return /^-?\d+$/.test(value.trim()) ? Number.parseInt(value, 10) : Number.NaN;
}

/** Limits of a metric with Argo Rollouts' defaults applied. Pure. */
export interface MetricLimits {
  /** Failed when failed > failureLimit; -1 disables it (only with consecutiveSuccessLimit). */
  failureLimit: number;
  /** Inconclusive when inconclusive > inconclusiveLimit. */
  inconclusiveLimit: number;
  /** Error when consecutive errors > consecutiveErrorLimit. */
  consecutiveErrorLimit: number;
  /** Successful once this many successes in a row; 0 disables it. */
  consecutiveSuccessLimit: number;
}

/** The metric's limits with defaults applied (as Argo Rollouts' `assessMetricFailureInconclusiveOrError`). Pure. */
export function metricLimits(metric: Metric): MetricLimits {
  return {
    failureLimit: intField(metric.failureLimit) ?? DEFAULT_FAILURE_LIMIT,
    inconclusiveLimit: intField(metric.inconclusiveLimit) ?? DEFAULT_INCONCLUSIVE_LIMIT,
    consecutiveErrorLimit: intField(metric.consecutiveErrorLimit) ?? DEFAULT_CONSECUTIVE_ERROR_LIMIT,
    consecutiveSuccessLimit: intField(metric.consecutiveSuccessLimit) ?? DEFAULT_CONSECUTIVE_SUCCESS_LIMIT,
  };
}

/**
 * As Argo Rollouts' `Metric.EffectiveCount()`: how many completed measurements (Successful, Failed or
 * Inconclusive; errors do not count) end the metric. No count (or 0) and no interval → 1; no count
 * (or 0) with an interval → `undefined`, measure until the run is terminated. Pure.
 */
export function effectiveCount(metric: Metric): number | undefined {
  const count = intField(metric.count) ?? 0;
  if (count === 0 || Number.isNaN(count)) return metric.interval === undefined ? 1 : undefined;
  return count;
}

/** The metric's interval in ms, or `undefined` when it has none. Throws DurationError when invalid. */
export function intervalMs(metric: Metric): number | undefined {
  return metric.interval === undefined ? undefined : durationToMs(metric.interval);
}

/** The metric's initialDelay in ms (0 when absent). Throws DurationError when invalid. */
export function initialDelayMs(metric: Metric): number {
  return metric.initialDelay === undefined ? 0 : durationToMs(metric.initialDelay);
}
