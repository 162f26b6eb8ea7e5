/**
 * Validation of metrics, as Argo Rollouts' `ValidateMetrics` / `ValidateMetric`
 * (utils/analysis/helpers.go), plus condition syntax and provider configuration. The spec validator
 * calls it at the edge so a bad template never reaches a run.
 */
import { isDuration } from '../spec/duration.js';
import type { Metric } from '../spec/types.js';
import { intField } from './defaults.js';
import { ExpressionSyntaxError } from './errors.js';
import { compileExpression } from './expression/index.js';
import { DEFAULT_PROVIDER_REGISTRY, type MetricProviderRegistry, providerTypes } from './providers/index.js';

const hasPlaceholder = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');

/** Options of {@link validateMetric}. */
export interface ValidateMetricOptions {
  /** Providers a metric may use. @default DEFAULT_PROVIDER_REGISTRY (builtin) */
  providers?: MetricProviderRegistry;
}

/**
 * Checks one metric against Argo Rollouts' rules. Pure; never throws.
 *
 * Fields still holding a `{{args.x}}` placeholder are skipped (they are checked again once the run
 * is built). Rules: `count`, limits integers; count >= 0; when count > 0 it must be >= failureLimit,
 * inconclusiveLimit and consecutiveSuccessLimit; count > 1 needs an interval; interval and
 * initialDelay are durations; failureLimit >= 0, or -1 only with consecutiveSuccessLimit > 0;
 * inconclusiveLimit, consecutiveErrorLimit, consecutiveSuccessLimit >= 0; conditions parse; exactly
 * one known provider, whose configuration is valid.
 *
 * @param path - field path of the metric, e.g. `spec.metrics[0]`
 * @returns problems as `<field path>: <what was expected>`; empty when valid
 * @example validateMetric({ name: 'm', count: 3, provider: { builtin: { metric: 'error-rate' } } }, 'spec.metrics[0]')
 *   // ['spec.metrics[0].count: count > 1 needs an interval']
 */
export function validateMetric(
  metric: Metric,
  path = 'metric',
  options: ValidateMetricOptions = {},
): string[] {
  const problems: string[] = [];
  if (typeof metric.name !== 'string' || metric.name.trim() === '')
    problems.push(`${path}.name: expected a non-empty name`);

  const ints: Record<string, number | undefined> = {};
  for (const field of [
    'count',
    'failureLimit',
    'inconclusiveLimit',
    'consecutiveErrorLimit',
    'consecutiveSuccessLimit',
  ] as const) {
    const raw = metric[field];
    if (hasPlaceholder(raw)) continue;
    const value = intField(raw);
    if (value !== undefined && Number.isNaN(value)) {
      problems.push(`${path}.${field}: expected an integer, got ${JSON.stringify(raw)}`);
      continue;
    }
    ints[field] = value;
  }
  const count = ints.count ?? 0;
  const failureLimit = ints.failureLimit ?? 0;
  const inconclusiveLimit = ints.inconclusiveLimit ?? 0;
  const consecutiveSuccessLimit = ints.consecutiveSuccessLimit ?? 0;

  if (count < 0) problems.push(`${path}.count: count must be >= 0`);
  if (count > 0) {
    if (count < failureLimit) problems.push(`${path}.count: count must be >= failureLimit (${failureLimit})`);
    if (count < inconclusiveLimit) {
      problems.push(`${path}.count: count must be >= inconclusiveLimit (${inconclusiveLimit})`);
    }
    if (count < consecutiveSuccessLimit) {
      problems.push(`${path}.count: count must be >= consecutiveSuccessLimit (${consecutiveSuccessLimit})`);
    }
  }
  if (count > 1 && metric.interval === undefined && !hasPlaceholder(metric.count)) {
    problems.push(`${path}.count: count > 1 needs an interval`);
  }
  for (const field of ['interval', 'initialDelay'] as const) {
    const raw = metric[field];
    if (raw !== undefined && !hasPlaceholder(raw) && !isDuration(raw)) {
      problems.push(`${path}.${field}: expected a duration such as 30s, 5m or an integer number of seconds`);
    }
  }
  if (failureLimit < -1) {
    problems.push(`${path}.failureLimit: failureLimit must be >= 0 (or -1 with consecutiveSuccessLimit)`);
  } else if (
    failureLimit === -1 &&
    consecutiveSuccessLimit <= 0 &&
    !hasPlaceholder(metric.consecutiveSuccessLimit)
  ) {
    problems.push(
      `${path}.failureLimit: failureLimit -1 disables it and needs consecutiveSuccessLimit > 0, otherwise the metric can never end`,
    );
  }
  if (inconclusiveLimit < 0) problems.push(`${path}.inconclusiveLimit: inconclusiveLimit must be >= 0`);
  if ((ints.consecutiveErrorLimit ?? 0) < 0) {
    problems.push(`${path}.consecutiveErrorLimit: consecutiveErrorLimit must be >= 0`);
  }
  if (consecutiveSuccessLimit < 0) {
    problems.push(`${path}.consecutiveSuccessLimit: consecutiveSuccessLimit must be >= 0`);
  }

  for (const field of ['successCondition', 'failureCondition'] as const) {
    const source = metric[field];
    if (source === undefined || source === '' || hasPlaceholder(source)) continue;
    try {
      compileExpression(source);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      problems.push(`${path}.${field}: ${error.message}`);
    }
  }

  const providers = options.providers ?? DEFAULT_PROVIDER_REGISTRY;
  const types = metric.provider === undefined ? [] : providerTypes(metric);
  const known = [...providers.keys()].join(', ');
  if (types.length === 0) problems.push(`${path}.provider: expected one provider (${known})`);
  else if (types.length > 1)
    problems.push(`${path}.provider: expected one provider, got ${types.join(', ')}`);
  else {
    const type = types[0] as string;
    const plugin = providers.get(type);
    if (plugin === undefined) problems.push(`${path}.provider.${type}: unknown provider (known: ${known})`);
    else problems.push(...plugin.validate(metric.provider[type], `${path}.provider.${type}`));
  }
  return problems;
}

/**
 * Checks a list of metrics as Argo Rollouts' `ValidateMetrics`: at least one, names unique, each
 * valid (see {@link validateMetric}). Pure.
 *
 * @param path - field path of the list, e.g. `spec.metrics`
 */
export function validateMetrics(
  metrics: readonly Metric[],
  path = 'spec.metrics',
  options: ValidateMetricOptions = {},
): string[] {
  if (metrics.length === 0) return [`${path}: expected at least one metric`];
  const problems: string[] = [];
  const seen = new Set<string>();
  metrics.forEach((metric, i) => {
    if (seen.has(metric.name))
      problems.push(`${path}[${i}].name: duplicate metric name ${JSON.stringify(metric.name)}`);
    seen.add(metric.name);
    problems.push(...validateMetric(metric, `${path}[${i}]`, options));
  });
  return problems;
}
