/**
 * An AnalysisRun's lifecycle as pure functions, as Argo Rollouts' AnalysisRun controller
 * (analysis/analysis.go): which metrics are due, recording a measurement, assessing metric and run
 * phases, termination, measurement retention. No I/O; time is passed in as `now` (ms since the
 * epoch). Every function returns a new run and leaves its input untouched.
 */

import { compileLinearRegex } from '../regex/index.js';
import type { Metric } from '../spec/types.js';
import {
  DEFAULT_ERROR_RETRY_INTERVAL_MS,
  DEFAULT_MEASUREMENT_RETENTION,
  effectiveCount,
  initialDelayMs,
  intervalMs,
} from './defaults.js';
import { UnknownMetricError } from './errors.js';
import { assessMetric, isCompletedPhase, isWorsePhase, metricLimitBreach } from './metric-assessment.js';
import { validateMetrics } from './metric-validation.js';
import type { MetricProviderRegistry } from './providers/index.js';
import type { AnalysisPhase, AnalysisRun, AnalysisRunSpec, Measurement, MetricResult } from './types.js';

/** Inputs of {@link createAnalysisRun}. */
export interface CreateAnalysisRunOptions {
  name: string;
  rollout: string;
  /** Revision the run judges. */
  revision: number;
  revisions: AnalysisRun['revisions'];
  kind: AnalysisRun['kind'];
  /** Usually from `buildAnalysisRunSpec`. */
  spec: AnalysisRunSpec;
  /** ms since the epoch; becomes `status.startedAt` (initialDelay counts from it). */
  now: number;
  /** Providers the metrics are validated against. @default DEFAULT_PROVIDER_REGISTRY (builtin) */
  providers?: MetricProviderRegistry;
}

/**
 * Matches a dryRun / measurementRetention `metricName`: `*` matches all, otherwise an RE2 regular
 * expression matched anywhere in the name, as Argo's `regexp.MatchString` (a rule that is not valid
 * RE2 matches its own text only).
 */
function nameMatches(rule: string, name: string): boolean {
  if (rule === '*') return true;
  try {
    return compileLinearRegex(rule).test(name);
  } catch {
    return rule === name;
  }
}

/**
 * Whether a metric runs in dry-run mode (as Argo Rollouts' `dryRun`): its measurements are taken
 * and its phase computed, but it never fails the run nor terminates the other metrics. Pure.
 */
export function isDryRunMetric(spec: AnalysisRunSpec, metricName: string): boolean {
  return (spec.dryRun ?? []).some((rule) => nameMatches(rule.metricName, metricName));
}

/**
 * How many measurements are kept for a metric (as Argo Rollouts' `measurementRetention`): the limit of
 * the last matching rule with limit > 0, else {@link DEFAULT_MEASUREMENT_RETENTION}. Pure.
 */
export function measurementRetentionLimit(spec: AnalysisRunSpec, metricName: string): number {
  let limit = DEFAULT_MEASUREMENT_RETENTION;
  for (const rule of spec.measurementRetention ?? []) {
    if (rule.limit > 0 && nameMatches(rule.metricName, metricName)) limit = rule.limit;
  }
  return limit;
}

/** A metric's result before any measurement: Pending, all counters 0. Pure. */
export function emptyResult(name: string, dryRun = false): MetricResult {
  const result: MetricResult = {
    name,
    phase: 'Pending',
    measurements: [],
    count: 0,
    successful: 0,
    failed: 0,
    inconclusive: 0,
    error: 0,
    consecutiveError: 0,
    consecutiveSuccess: 0,
  };
  if (dryRun) result.dryRun = true;
  return result;
}

/**
 * Creates a run in phase Pending with one Pending MetricResult per metric. Pure.
 *
 * As Argo Rollouts, a spec that breaks the metric rules (see `validateMetrics`) gives a run that is
 * already completed in phase Error with message `analysis spec invalid: ...`.
 */
export function createAnalysisRun(options: CreateAnalysisRunOptions): AnalysisRun {
  const run: AnalysisRun = {
    name: options.name,
    rollout: options.rollout,
    revision: options.revision,
    revisions: { ...options.revisions },
    kind: options.kind,
    spec: structuredClone(options.spec),
    status: {
      phase: 'Pending',
      startedAt: options.now,
      metricResults: options.spec.metrics.map((m) =>
        emptyResult(m.name, isDryRunMetric(options.spec, m.name)),
      ),
    },
  };
  const problems = validateMetrics(
    options.spec.metrics,
    'spec.metrics',
    options.providers === undefined ? {} : { providers: options.providers },
  );
  if (problems.length > 0) {
    run.status.phase = 'Error';
    run.status.message = `analysis spec invalid: ${problems.join('; ')}`;
    run.status.finishedAt = options.now;
  }
  return run;
}

/** Whether the run is finished (Successful, Failed, Error or Inconclusive). Pure. */
export function isRunCompleted(run: AnalysisRun): boolean {
  return isCompletedPhase(run.status.phase);
}

/**
 * As Argo Rollouts' `IsTerminating`: the run was asked to stop, or a metric that is not in dry-run
 * mode already ended Failed, Error or Inconclusive (which stops the other metrics). Pure.
 */
export function isTerminating(run: AnalysisRun): boolean {
  if (run.status.terminated === true) return true;
  return run.status.metricResults.some(
    (r) => r.dryRun !== true && (r.phase === 'Failed' || r.phase === 'Error' || r.phase === 'Inconclusive'),
  );
}

function resultOf(run: AnalysisRun, name: string): MetricResult | undefined {
  return run.status.metricResults.find((r) => r.name === name);
}

/** Outcome of {@link assessRun}. */
export interface RunAssessment {
  phase: AnalysisPhase;
  /** Argo's message, e.g. `Metric "error-rate" assessed Failed due to failed (1) > failureLimit (0)`. */
  message?: string;
  /** Phase of every metric, in spec order. */
  metricPhases: { name: string; phase: AnalysisPhase }[];
}

function assessOnce(run: AnalysisRun): RunAssessment & { results: MetricResult[] } {
  const terminating = isTerminating(run);
  let worst: AnalysisPhase | undefined;
  let worstMessage = run.status.terminated === true ? 'Run Terminated' : undefined;
  let everythingCompleted = true;
  const results: MetricResult[] = [];
  const metricPhases: RunAssessment['metricPhases'] = [];
  for (const metric of run.spec.metrics) {
    const stored =
      resultOf(run, metric.name) ?? emptyResult(metric.name, isDryRunMetric(run.spec, metric.name));
    const result = { ...stored };
    const phase = assessMetric(metric, result, { terminating });
    if (phase !== result.phase) {
      const last = result.measurements.at(-1);
      if (last?.message !== undefined) result.message = last.message;
      else delete result.message;
      result.phase = phase;
    }
    results.push(result);
    metricPhases.push({ name: metric.name, phase });
    if (!isCompletedPhase(phase)) {
      everythingCompleted = false;
      continue;
    }
    const breach = metricLimitBreach(metric, result);
    if (result.dryRun !== true) {
      if (worst === undefined || isWorsePhase(worst, phase)) {
        worst = phase;
        if (breach !== undefined) {
          worstMessage = `Metric "${metric.name}" assessed ${phase} due to ${breach.message}`;
          if (result.message !== undefined && result.message !== '') {
            worstMessage += `: "Error Message: ${result.message}"`;
          }
        }
      }
    } else {
      worst ??= 'Successful';
      if (breach !== undefined) result.message = `Metric assessed ${phase} due to ${breach.message}`;
    }
  }
  let phase: AnalysisPhase;
  let message: string | undefined = worstMessage;
  if (terminating) phase = worst ?? 'Successful';
  else if (!everythingCompleted || worst === undefined) {
    phase = 'Running';
    message = undefined;
  } else phase = worst;
  const assessment: RunAssessment & { results: MetricResult[] } = { phase, metricPhases, results };
  if (message !== undefined) assessment.message = message;
  return assessment;
}

/**
 * The run's phase and message, as Argo Rollouts' `assessRunStatus`: each metric is assessed (see
 * `assessMetric`); the run is Running until every metric is completed, then takes the worst metric
 * phase (Successful < Running < Pending < Inconclusive < Error < Failed), ignoring dry-run metrics.
 * When terminating (terminated, or a non-dry-run metric Failed / Error / Inconclusive) the run
 * completes at once with the worst completed phase, Successful when none.
 *
 * Argo reaches the terminated outcome one reconcile after the failing metric; here the
 * assessment is repeated until stable, so the run completes in the same call. A completed run keeps
 * its phase. Pure.
 */
export function assessRun(run: AnalysisRun): RunAssessment {
  const { results: _results, ...assessment } = assessStable(run).assessment;
  return assessment;
}

function assessStable(run: AnalysisRun): {
  run: AnalysisRun;
  assessment: RunAssessment & { results: MetricResult[] };
} {
  if (isRunCompleted(run)) {
    const assessment: RunAssessment & { results: MetricResult[] } = {
      phase: run.status.phase,
      metricPhases: run.status.metricResults.map((r) => ({ name: r.name, phase: r.phase })),
      results: run.status.metricResults,
    };
    if (run.status.message !== undefined) assessment.message = run.status.message;
    return { run, assessment };
  }
  let current = run;
  let assessment = assessOnce(current);
  // At most one extra pass: a metric that just failed makes the others terminate.
  for (let i = 0; i < 3; i++) {
    const next: AnalysisRun = {
      ...current,
      status: { ...current.status, metricResults: assessment.results },
    };
    if (isTerminating(next) === isTerminating(current)) {
      current = next;
      break;
    }
    current = next;
    assessment = assessOnce(current);
  }
  return { run: current, assessment };
}

/**
 * Re-assesses every metric and the run and stores the phases and message (see {@link assessRun});
 * stamps `finishedAt` when the run completes. Idempotent; pure.
 */
export function reassessRun(run: AnalysisRun, now: number): AnalysisRun {
  if (isRunCompleted(run)) return run;
  const { run: assessed, assessment } = assessStable(run);
  const status = { ...assessed.status, metricResults: assessment.results, phase: assessment.phase };
  if (assessment.message !== undefined) status.message = assessment.message;
  else delete status.message;
  if (isCompletedPhase(assessment.phase)) status.finishedAt = now;
  return { ...assessed, status };
}

/**
 * Adds a measurement to a metric and re-assesses the run (as one iteration of Argo Rollouts'
 * `runMeasurements` + `assessRunStatus` + `garbageCollectMeasurements`):
 * - a completed measurement updates the counters: Successful / Failed / Inconclusive count toward
 *   `count` and reset `consecutiveError`; Error does not count, increments `consecutiveError`;
 *   `consecutiveSuccess` grows on Successful and resets on anything else;
 * - a measurement replaces the last one when that one was still in flight (no `finishedAt`);
 * - only the most recent measurements are kept (measurementRetention, default 10); counters keep
 *   counting all.
 *
 * A measurement for a run or metric that is already completed is dropped (the run is returned
 * unchanged), as Argo stops measuring completed metrics. Pure.
 *
 * @param now - ms since the epoch, used as `finishedAt` of the run if it completes
 * @throws {UnknownMetricError} when the run has no metric `metricName`
 */
export function recordMeasurement(
  run: AnalysisRun,
  metricName: string,
  measurement: Measurement,
  now: number,
): AnalysisRun {
  const metric = run.spec.metrics.find((m) => m.name === metricName);
  if (metric === undefined) throw new UnknownMetricError(run.name, metricName);
  if (isRunCompleted(run)) return run;
  const stored = resultOf(run, metricName) ?? emptyResult(metricName, isDryRunMetric(run.spec, metricName));
  if (isCompletedPhase(stored.phase)) return run;
  const result: MetricResult = { ...stored, measurements: [...stored.measurements] };
  const entry = { ...measurement };
  if (isCompletedPhase(entry.phase)) {
    entry.finishedAt ??= now;
    switch (entry.phase) {
      case 'Successful':
        result.successful++;
        result.count++;
        result.consecutiveError = 0;
        result.consecutiveSuccess++;
        break;
      case 'Failed':
        result.failed++;
        result.count++;
        result.consecutiveError = 0;
        result.consecutiveSuccess = 0;
        break;
      case 'Inconclusive':
        result.inconclusive++;
        result.count++;
        result.consecutiveError = 0;
        result.consecutiveSuccess = 0;
        break;
      case 'Error':
        result.error++;
        result.consecutiveError++;
        result.consecutiveSuccess = 0;
        break;
    }
  }
  const last = result.measurements.at(-1);
  if (last !== undefined && last.finishedAt === undefined)
    result.measurements[result.measurements.length - 1] = entry;
  else result.measurements.push(entry);
  const limit = measurementRetentionLimit(run.spec, metricName);
  if (result.measurements.length > limit) result.measurements = result.measurements.slice(-limit);
  if (result.phase === 'Pending') result.phase = 'Running';

  const hasResult = run.status.metricResults.some((r) => r.name === metricName);
  const metricResults = hasResult
    ? run.status.metricResults.map((r) => (r.name === metricName ? result : r))
    : [...run.status.metricResults, result];
  return reassessRun({ ...run, status: { ...run.status, metricResults } }, now);
}

/**
 * Stops the run, as Argo Rollouts' `spec.terminate: true` (the rollout was promoted, aborted, or
 * moved on): no new measurement is due; metrics that have not failed end Successful (a metric with
 * no measurement yet, or one measuring until terminated), and the run completes with the worst
 * metric phase (message `Run Terminated` unless a metric failed). Idempotent; pure.
 */
export function terminateRun(run: AnalysisRun, now: number): AnalysisRun {
  if (isRunCompleted(run)) return run;
  return reassessRun({ ...run, status: { ...run.status, terminated: true } }, now);
}

/**
 * When the metric's next measurement is due, ms since the epoch, or `undefined` when it will not be
 * measured again (completed, count reached, or run terminating). Mirrors Argo Rollouts'
 * `generateMetricTasks` / `calculateNextReconcileTime`:
 * - first measurement: `startedAt + initialDelay`;
 * - in-flight measurement: its `resumeAt` (or now);
 * - after an Error: `finishedAt + 10 s` (DEFAULT_ERROR_RETRY_INTERVAL_MS), whatever the interval;
 * - otherwise `finishedAt + interval`.
 *
 * Pure. A metric whose interval / initialDelay is not a valid duration is never due (the run was
 * already put in Error by createAnalysisRun).
 */
export function nextMetricMeasurementAt(run: AnalysisRun, metric: Metric): number | undefined {
  if (isRunCompleted(run)) return undefined;
  const result = resultOf(run, metric.name);
  if (result !== undefined && isCompletedPhase(result.phase)) return undefined;
  const last = result?.measurements.at(-1);
  try {
    if (last !== undefined && last.finishedAt === undefined) return last.resumeAt ?? last.startedAt;
    if (isTerminating(run)) return undefined;
    if (last === undefined && (result === undefined || result.count + result.error === 0)) {
      return run.status.startedAt + initialDelayMs(metric);
    }
    const count = effectiveCount(metric);
    if (count !== undefined && (result?.count ?? 0) >= count) return undefined;
    const finishedAt = last?.finishedAt ?? run.status.startedAt;
    if (last?.phase === 'Error') return finishedAt + DEFAULT_ERROR_RETRY_INTERVAL_MS;
    return finishedAt + (intervalMs(metric) ?? DEFAULT_ERROR_RETRY_INTERVAL_MS);
  } catch {
    return undefined;
  }
}

/**
 * Names of the metrics to measure at `now` (due at or before it), in spec order. Pure.
 *
 * @param now - ms since the epoch
 */
export function dueMetrics(run: AnalysisRun, now: number): string[] {
  return run.spec.metrics
    .filter((metric) => {
      const at = nextMetricMeasurementAt(run, metric);
      return at !== undefined && at <= now;
    })
    .map((metric) => metric.name);
}

/**
 * The earliest time any metric is due, ms since the epoch (may be in the past), or `undefined` when
 * nothing will be measured again; a runner sleeps until then. As Argo Rollouts'
 * `calculateNextReconcileTime`. Pure.
 */
export function nextMeasurementAt(run: AnalysisRun): number | undefined {
  let earliest: number | undefined;
  for (const metric of run.spec.metrics) {
    const at = nextMetricMeasurementAt(run, metric);
    if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
  }
  return earliest;
}
