import {
  type AnalysisRun,
  effectiveCount,
  type MetricResult,
  metricLimitBreach,
  metricLimits,
} from '../analysis/index.js';
import type { Metric } from '../spec/types.js';

/** How many failed values a reason lists at most (the most recent ones). */
const MAX_VALUES = 3;
/** Longest value (e.g. a JSON array) shown in a reason, characters. */
const MAX_VALUE_CHARS = 60;

/**
 * Why a completed AnalysisRun is Failed, Error or Inconclusive, naming for each metric that decided
 * the run's phase the measured value(s), the condition and the limit that was broken, e.g.
 * `metric "error-rate" = 0.213 failed successCondition "result < 0.05" (failed 1 > failureLimit 0)`.
 * Several deciding metrics are joined with `; `; dry-run metrics never decide. This is the message
 * the controller hands the engine for a run, so the `RolloutAborted` event, the Rollout's status
 * message and the `AnalysisRunFailed` event all carry it.
 *
 * Returns the run's own message (Argo's, e.g. `analysis spec invalid: ...`) when no metric explains
 * the phase, and `undefined` for a run that is not Failed, Error or Inconclusive and has no message.
 * Pure.
 *
 * @example analysisFailureReason(run) // 'metric "error-rate" = 0.5 failed successCondition "result < 0.05" (failed 1 > failureLimit 0)'
 */
export function analysisFailureReason(run: AnalysisRun): string | undefined {
  const phase = run.status.phase;
  if (phase !== 'Failed' && phase !== 'Error' && phase !== 'Inconclusive') return run.status.message;
  const reasons: string[] = [];
  for (const result of run.status.metricResults) {
    if (result.dryRun === true || result.phase !== phase) continue;
    const metric = run.spec.metrics.find((m) => m.name === result.name);
    if (metric) reasons.push(metricReason(metric, result));
  }
  return reasons.length > 0 ? reasons.join('; ') : run.status.message;
}

function metricReason(metric: Metric, result: MetricResult): string {
  const name = `metric ${JSON.stringify(metric.name)}`;
  const breach = metricLimitBreach(metric, result);
  // Argo writes `failed (2) > failureLimit (1)`; the event reads better without the parentheses.
  const limit = breach ? ` (${breach.message.replace(/\((-?\d+)\)/g, '$1')})` : '';
  if (result.phase === 'Error') {
    const last = [...result.measurements].reverse().find((m) => m.phase === 'Error');
    return `${name} errored${last?.message ? `: ${last.message}` : ''}${limit}`;
  }
  const own = result.measurements.filter((m) => m.phase === result.phase);
  const values = own
    .slice(-MAX_VALUES)
    .map((m) => showValue(m.value))
    .filter((v): v is string => v !== undefined);
  const equals = values.length > 0 ? ` = ${values.join(', ')}` : '';
  const message = own.at(-1)?.message;
  const suffix = message ? `: ${message}` : '';
  if (result.phase === 'Inconclusive') {
    const both =
      metric.successCondition && metric.failureCondition
        ? ` (neither successCondition ${JSON.stringify(metric.successCondition)} nor failureCondition ${JSON.stringify(metric.failureCondition)} held)`
        : '';
    return `${name}${equals} inconclusive${both}${suffix}${limit}`;
  }
  if (breach === undefined) {
    // Failed without a broken limit: count reached before consecutiveSuccessLimit (Argo's rule).
    const limits = metricLimits(metric);
    const last = showValue(result.measurements.at(-1)?.value);
    return `${name}${last !== undefined ? ` = ${last}` : ''} did not reach consecutiveSuccessLimit ${limits.consecutiveSuccessLimit} within count ${effectiveCount(metric) ?? '-'} (consecutiveSuccess ${result.consecutiveSuccess})`;
  }
  return `${name}${equals} ${failedCondition(metric)}${suffix}${limit}`;
}

/** Which condition a Failed measurement broke: a failureCondition that held, or a successCondition that did not. */
function failedCondition(metric: Metric): string {
  if (metric.failureCondition) return `met failureCondition ${JSON.stringify(metric.failureCondition)}`;
  if (metric.successCondition) return `failed successCondition ${JSON.stringify(metric.successCondition)}`;
  // No condition: the provider decided (a job's exit code, a judge's verdict), its message says why.
  return 'failed';
}

/** A stored value as an event shows it: numbers to 6 significant digits, long values cut. */
function showValue(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n)) return String(Number.parseFloat(n.toPrecision(6)));
  return value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
}
