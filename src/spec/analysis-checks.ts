/**
 * The spec's two calls into the analysis module: does a condition compile, and does a metric follow
 * Argo Rollouts' rules. Kept in one file so the schema does not depend on how the analysis module
 * words its errors.
 */
import {
  compileExpression,
  compileJsonPath,
  ExpressionSyntaxError,
  METRIC_INTEGER_FIELDS,
  validateMetric,
} from '../analysis/index.js';
import type { Metric } from './types.js';

/**
 * Compiles a `successCondition` / `failureCondition` with the analysis module's expression
 * compiler (expr-lang's syntax, as Argo Rollouts).
 *
 * Pure.
 *
 * @returns `undefined` when it compiles, otherwise the compiler's message (it names the column)
 * @example checkExpression('result <=') // 'unexpected end of input ... (column 10 of "result <=")'
 */
export function checkExpression(source: string): string | undefined {
  try {
    compileExpression(source);
    return undefined;
  } catch (error) {
    if (error instanceof ExpressionSyntaxError) return error.message;
    throw error;
  }
}

/**
 * Compiles a Kubernetes JSONPath (the subset the web metric provider reads). Pure.
 * @returns `undefined` when it compiles, otherwise the compiler's message (it names the column)
 */
export function checkJsonPath(source: string): string | undefined {
  try {
    compileJsonPath(source);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A problem of a metric, at a path relative to the metric. */
export interface MetricProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Argo Rollouts' `ValidateMetric` rules, as the analysis module's `validateMetric` implements them
 * (`count` >= `failureLimit`, `interval` required when `count` > 1, `failureLimit: -1` only with
 * `consecutiveSuccessLimit`, provider configuration...). Condition syntax is left out: the schema
 * checks it with {@link checkExpression}, with the template's args substituted.
 *
 * Pure. `metric` may still be partly invalid (the schema reports that): `validateMetric` reads
 * each field defensively and never throws.
 */
export function checkMetric(metric: Readonly<Record<string, unknown>>): MetricProblem[] {
  const problems: MetricProblem[] = [];
  // Only fields of the types validateMetric reads are passed on (the schema reports the others);
  // conditions are left out, checkExpression covers them.
  const checked: Record<string, unknown> = {
    ...metric,
    successCondition: undefined,
    failureCondition: undefined,
  };
  for (const field of METRIC_INTEGER_FIELDS) {
    if (typeof checked[field] !== 'number' && typeof checked[field] !== 'string') checked[field] = undefined;
  }
  for (const problem of validateMetric(checked as unknown as Metric, ROOT)) {
    const separator = problem.indexOf(': ');
    const where = separator === -1 ? ROOT : problem.slice(0, separator);
    const path = parsePath(where.startsWith(ROOT) ? where.slice(ROOT.length) : '');
    problems.push({ path, message: separator === -1 ? problem : problem.slice(separator + 2) });
  }
  return problems;
}

/** The path prefix given to `validateMetric`, stripped from the paths of its problems. */
const ROOT = 'metric';

/** `.provider.builtin.window` or `.headers[0].key` to path segments. */
function parsePath(text: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const match of text.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
  }
  return path;
}
