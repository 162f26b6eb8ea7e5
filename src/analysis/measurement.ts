/**
 * One measurement: judging a provider's value against a metric's conditions, as Argo Rollouts'
 * `evaluate.EvaluateResult` (utils/evaluate/evaluate.go), and recording it as a Measurement.
 */

import type { Metric } from '../spec/types.js';
import { AnalysisError } from './errors.js';
import { type CompiledExpression, compileExpression, evaluateExpression } from './expression/index.js';
import { isVerdict } from './providers/provider.js';
import type { AnalysisPhase, Measurement } from './types.js';

/** Outcome of judging one value. */
export interface MeasurementAssessment {
  /** Successful, Failed, Inconclusive, or Error when a condition could not be evaluated. */
  phase: Extract<AnalysisPhase, 'Successful' | 'Failed' | 'Inconclusive' | 'Error'>;
  /** Why, for Error (the evaluation error's message). */
  message?: string;
}

const compiledCache = new Map<string, CompiledExpression>();
const MAX_CACHED = 500;

function compileCached(source: string): CompiledExpression {
  let compiled = compiledCache.get(source);
  if (compiled === undefined) {
    compiled = compileExpression(source);
    if (compiledCache.size >= MAX_CACHED) compiledCache.clear();
    compiledCache.set(source, compiled);
  }
  return compiled;
}

function evalCondition(source: string, result: unknown): boolean {
  const output = evaluateExpression(compileCached(source), { result: result === undefined ? null : result });
  if (typeof output !== 'boolean') {
    throw new AnalysisError(
      'CUTOVER_E_EXPRESSION_EVALUATION',
      `expected bool, but got ${output === null ? 'nil' : Array.isArray(output) ? 'array' : typeof output} from ${JSON.stringify(source)}`,
    );
  }
  return output;
}

/**
 * Judges a provider's value against the metric's conditions, as Argo Rollouts' `EvaluateResult`:
 *
 * | successCondition | failureCondition | phase |
 * |---|---|---|
 * | unset | unset | Successful |
 * | set | unset | Successful if true, else Failed |
 * | unset | set | Failed if true, else Successful |
 * | set | set | Failed if failure is true; else Successful if success is true; else Inconclusive |
 *
 * A condition that does not parse, cannot be evaluated, or does not yield a boolean gives Error.
 * `result` in the condition is `value` (a number, number[], string, object or nil). Pure; never throws.
 *
 * @example assessMeasurement({ name: 'e', successCondition: 'result < 0.05', provider: {} }, 0.01) // { phase: 'Successful' }
 */
export function assessMeasurement(metric: Metric, value: unknown): MeasurementAssessment {
  const success = metric.successCondition ?? '';
  const failure = metric.failureCondition ?? '';
  let successMet = false;
  let failureMet = false;
  try {
    if (success !== '') successMet = evalCondition(success, value);
    if (failure !== '') failureMet = evalCondition(failure, value);
  } catch (error) {
    return { phase: 'Error', message: error instanceof Error ? error.message : String(error) };
  }
  if (success === '' && failure === '') return { phase: 'Successful' };
  if (failure === '') failureMet = !successMet;
  if (success === '') successMet = !failureMet;
  if (failureMet) return { phase: 'Failed' };
  if (!successMet) return { phase: 'Inconclusive' };
  return { phase: 'Successful' };
}

/**
 * Renders a provider's value as Argo stores `Measurement.value`: numbers as Go prints float64
 * (`NaN`, `+Inf`, `-Inf`), strings as is, arrays and objects as JSON (NaN inside them as null).
 * Pure.
 */
export function formatMeasurementValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Number.POSITIVE_INFINITY) return '+Inf';
    if (value === Number.NEGATIVE_INFINITY) return '-Inf';
    return String(value);
  }
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Builds the completed Measurement for a value the provider returned: assesses it against the
 * conditions (or takes the phase of a provider verdict) and stamps it.
 * Pure.
 *
 * @param startedAt - when the provider was called, ms since the epoch
 * @param finishedAt - when it answered, ms since the epoch
 */
export function measurementFromValue(
  metric: Metric,
  value: unknown,
  startedAt: number,
  finishedAt: number,
): Measurement {
  if (isVerdict(value)) {
    const measurement: Measurement = {
      phase: value.phase,
      startedAt,
      finishedAt,
      value: formatMeasurementValue(value.value),
    };
    if (value.message !== undefined) measurement.message = value.message;
    return measurement;
  }
  const assessment = assessMeasurement(metric, value);
  const measurement: Measurement = {
    phase: assessment.phase,
    startedAt,
    finishedAt,
    value: formatMeasurementValue(value),
  };
  if (assessment.message !== undefined) measurement.message = assessment.message;
  return measurement;
}

/**
 * Builds the Measurement for a provider that threw or timed out: phase Error with the error's
 * message, as Argo Rollouts' providers return on a query error. Pure.
 */
export function measurementFromError(error: unknown, startedAt: number, finishedAt: number): Measurement {
  return {
    phase: 'Error',
    startedAt,
    finishedAt,
    message: error instanceof Error ? error.message : String(error),
  };
}
