/**
 * The extension point for metric providers (as Argo Rollouts' `metricproviders.Provider`): one small
 * interface, one folder per implementation under `providers/<type>/`.
 */
import type { RevisionStats, TrafficSeconds } from '../../dataplane/protocol.js';
import type { Metric } from '../../spec/types.js';
import { MetricProviderError } from '../errors.js';
import type { AnalysisRun } from '../types.js';

/** What a provider may use while measuring. */
export interface MeasureContext {
  /** The run being measured (read-only; e.g. `run.revisions` maps roles to revision numbers). */
  run: AnalysisRun;
  /** Aborted when the measurement times out or the runner stops; providers should pass it on to I/O. */
  signal: AbortSignal;
  /**
   * Traffic statistics of one revision from cutover's router, wired by the controller to the data
   * plane client.
   *
   * @param revision - revision number of the rollout being analysed
   * @param windowSeconds - look-back window, s
   * @param quantile - latency quantile, 0..1
   */
  stats(revision: number, windowSeconds: number, quantile: number, set?: string): Promise<RevisionStats>;
  /**
   * Per-second traffic of every revision of the run's rollout, with latency histograms, from cutover's
   * router (the judges compare revisions over the same seconds): whole seconds from `range.from` (s
   * since the epoch) up to the current one, or the last `range.window` seconds (1..300). Absent when
   * the runner has no data plane; providers that need it then fail the measurement (Error).
   */
  traffic?(range: { from: number } | { window: number }): Promise<TrafficSeconds>;
}

/**
 * A metric provider, as Argo Rollouts' Provider interface reduced to what cutover needs (measurements
 * complete within one call; no Resume / Terminate / GarbageCollect).
 */
export interface MetricProviderPlugin {
  /** The key under `metric.provider`, e.g. `builtin`. */
  readonly type: string;
  /**
   * Checks the provider's configuration (the value under `metric.provider.<type>`). Pure.
   *
   * @param config - the configuration as written (args already substituted, or not yet: a
   *   `{{args.x}}` placeholder must be accepted where a value is expected)
   * @param path - field path of `config`, e.g. `spec.metrics[0].provider.builtin`
   * @returns problems, each prefixed with its field path; empty when valid
   */
  validate(config: unknown, path: string): string[];
  /**
   * Takes one measurement and returns the value conditions see as `result` (number, number[],
   * string, object, or null), or a {@link ProviderVerdict} when the provider decides the phase
   * itself. Throws to record a measurement in phase Error.
   */
  measure(metric: Metric, ctx: MeasureContext): Promise<unknown>;
  /**
   * The provider's own bound on one measurement of `metric`, ms (e.g. a job's `timeoutSeconds`).
   * The runner then allows this plus a grace of {@link PROVIDER_TIMEOUT_GRACE_MS}, so the provider's
   * timeout fires first and reports itself. Omitted: the runner's default bound applies.
   */
  timeoutMs?(metric: Metric): number | undefined;
}

/** Extra time the runner gives a provider beyond its own declared timeout, ms. */
export const PROVIDER_TIMEOUT_GRACE_MS = 5_000;

const kVerdict = Symbol('cutover.verdict');

/**
 * A measurement whose phase the provider decides, bypassing `successCondition` and
 * `failureCondition`, as Argo Rollouts' job provider (job succeeded or failed) and Kayenta provider
 * (score against the pass / marginal thresholds) do.
 */
export interface ProviderVerdict {
  readonly [kVerdict]: true;
  readonly phase: 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
  /** Stored as the measurement's value. */
  readonly value: unknown;
  readonly message?: string;
}

/** Builds a {@link ProviderVerdict}. Pure. */
export function verdict(phase: ProviderVerdict['phase'], value: unknown, message?: string): ProviderVerdict {
  return { [kVerdict]: true, phase, value, ...(message !== undefined ? { message } : {}) };
}

/** Whether a provider's result is a {@link ProviderVerdict}. */
export function isVerdict(result: unknown): result is ProviderVerdict {
  return typeof result === 'object' && result !== null && kVerdict in result;
}

/** Providers by type. */
export type MetricProviderRegistry = ReadonlyMap<string, MetricProviderPlugin>;

/** Builds a registry from plugins; a later plugin with the same type replaces an earlier one. Pure. */
export function createProviderRegistry(plugins: Iterable<MetricProviderPlugin>): MetricProviderRegistry {
  return new Map([...plugins].map((plugin) => [plugin.type, plugin] as const));
}

/** The provider types named under `metric.provider` (valid metrics name exactly one). Pure. */
export function providerTypes(metric: Metric): string[] {
  const provider: object =
    typeof metric.provider === 'object' && metric.provider !== null ? metric.provider : {};
  return Object.keys(provider).filter((key) => (provider as Record<string, unknown>)[key] !== undefined);
}

/**
 * The configuration under `metric.provider.<type>`, validated again at measurement time (args are
 * substituted by then). Every provider's `measure` starts here.
 * @throws MetricProviderError when the metric has no such provider or its configuration is invalid
 *   (the measurement is then recorded as Error).
 */
export function providerConfig<T>(
  metric: Metric,
  type: string,
  validate: MetricProviderPlugin['validate'],
): T {
  const config = (metric.provider as Record<string, unknown>)[type];
  if (config === undefined)
    throw new MetricProviderError(type, `metric ${metric.name} has no ${type} provider`);
  const problems = validate(config, type);
  if (problems.length > 0) throw new MetricProviderError(type, problems.join('; '));
  return config as T;
}
