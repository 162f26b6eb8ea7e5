/**
 * The phase of one metric from its counters and limits, as Argo Rollouts' `assessMetricStatus` and
 * `assessMetricFailureInconclusiveOrError` (analysis/analysis.go, v1.8 with consecutiveSuccessLimit).
 */
import type { Metric } from '../spec/types.js';
import { effectiveCount, metricLimits } from './defaults.js';
import type { AnalysisPhase, MetricResult } from './types.js';

/** Phases in which a measurement, metric or run is finished (Argo's `AnalysisPhase.Completed()`). */
const COMPLETED_PHASES: readonly AnalysisPhase[] = ['Successful', 'Failed', 'Error', 'Inconclusive'];

/** Whether `phase` is final (Successful, Failed, Error, Inconclusive). Pure. */
export function isCompletedPhase(phase: AnalysisPhase): boolean {
  return COMPLETED_PHASES.includes(phase);
}

// As Argo Rollouts' analysisStatusOrder, best to worst.
const PHASE_ORDER: readonly AnalysisPhase[] = [
  'Successful',
  'Running',
  'Pending',
  'Inconclusive',
  'Error',
  'Failed',
];

/** As Argo Rollouts' `IsWorse`: whether `candidate` is worse than `current`. Pure. */
export function isWorsePhase(current: AnalysisPhase, candidate: AnalysisPhase): boolean {
  return PHASE_ORDER.indexOf(candidate) > PHASE_ORDER.indexOf(current);
}

/** Options of {@link assessMetric}. */
export interface AssessMetricOptions {
  /** The run is stopping (terminated, or another metric failed): unfinished metrics end Successful. */
  terminating: boolean;
}

/** A limit the metric's counters broke, with Argo's message (e.g. `failed (2) > failureLimit (1)`). */
export interface LimitBreach {
  phase: Extract<AnalysisPhase, 'Failed' | 'Inconclusive' | 'Error'>;
  message: string;
}

/**
 * As Argo Rollouts' `assessMetricFailureInconclusiveOrError`: the limit the counters broke, checked
 * in the order failureLimit (skipped when -1), inconclusiveLimit, consecutiveErrorLimit, the last
 * one broken winning. Pure.
 */
export function metricLimitBreach(metric: Metric, result: MetricResult): LimitBreach | undefined {
  const limits = metricLimits(metric);
  let breach: LimitBreach | undefined;
  if (limits.failureLimit >= 0 && result.failed > limits.failureLimit) {
    breach = {
      phase: 'Failed',
      message: `failed (${result.failed}) > failureLimit (${limits.failureLimit})`,
    };
  }
  if (result.inconclusive > limits.inconclusiveLimit) {
    breach = {
      phase: 'Inconclusive',
      message: `inconclusive (${result.inconclusive}) > inconclusiveLimit (${limits.inconclusiveLimit})`,
    };
  }
  if (result.consecutiveError > limits.consecutiveErrorLimit) {
    breach = {
      phase: 'Error',
      message: `consecutiveErrors (${result.consecutiveError}) > consecutiveErrorLimit (${limits.consecutiveErrorLimit})`,
    };
  }
  return breach;
}

/**
 * The phase of one metric, as Argo Rollouts' `assessMetricStatus`:
 * 1. an already completed phase stays;
 * 2. no measurement yet: Successful when terminating, else Pending;
 * 3. last measurement in flight: Running;
 * 4. a broken limit (see {@link metricLimitBreach}): Failed / Inconclusive / Error;
 * 5. consecutiveSuccessLimit > 0 reached: Successful;
 * 6. count reached: Successful, except Inconclusive when both failureLimit (>= 0) and
 *    consecutiveSuccessLimit apply and neither was reached, and Failed when only
 *    consecutiveSuccessLimit applies (failureLimit -1) and it was not reached;
 * 7. otherwise Successful when terminating, else Running.
 *
 * Pure.
 */
export function assessMetric(
  metric: Metric,
  result: MetricResult,
  options: AssessMetricOptions,
): AnalysisPhase {
  if (isCompletedPhase(result.phase)) return result.phase;
  const last = result.measurements.at(-1);
  if (last === undefined && result.count + result.error === 0)
    return options.terminating ? 'Successful' : 'Pending';
  if (last !== undefined && !isCompletedPhase(last.phase)) return 'Running';
  const breach = metricLimitBreach(metric, result);
  if (breach !== undefined) return breach.phase;
  const limits = metricLimits(metric);
  if (limits.consecutiveSuccessLimit > 0 && result.consecutiveSuccess >= limits.consecutiveSuccessLimit) {
    return 'Successful';
  }
  const count = effectiveCount(metric);
  if (count !== undefined && result.count >= count) {
    const failureApplies = limits.failureLimit >= 0;
    const successApplies = limits.consecutiveSuccessLimit > 0;
    if (failureApplies && successApplies) return 'Inconclusive';
    if (!failureApplies && successApplies) return 'Failed';
    return 'Successful';
  }
  return options.terminating ? 'Successful' : 'Running';
}
