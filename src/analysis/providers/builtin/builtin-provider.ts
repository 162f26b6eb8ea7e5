import { flagVariantSet, MIRROR_SET } from '../../../dataplane/protocol.js';
import { durationToMs, isDuration } from '../../../spec/duration.js';
import type { BuiltinMetricProvider, Metric } from '../../../spec/types.js';
import { MetricProviderError } from '../../errors.js';
import { type MeasureContext, type MetricProviderPlugin, providerConfig } from '../provider.js';

/** Metrics the builtin provider reads from cutover's router. */
export const BUILTIN_METRICS = ['error-rate', 'request-rate', 'latency', 'mirror-mismatch-rate'] as const;
/** Roles a builtin metric can measure, resolved through `run.revisions` (`mirror`: the canary's mirrored answers). */
export const BUILTIN_REVISION_ROLES = ['canary', 'stable', 'preview', 'active', 'mirror'] as const;
/** Latency quantile when none is given, 0..1. */
export const DEFAULT_BUILTIN_QUANTILE = 0.95;
/** Revision role when none is given. */
export const DEFAULT_BUILTIN_REVISION = 'canary';
/** Look-back window when none is given. */
export const DEFAULT_BUILTIN_WINDOW = '10s';

const isArgPlaceholder = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
/** `experiment:<template>`: a replica set of the experiment that started the run. */
const EXPERIMENT_ROLE = /^experiment:[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The revision (and experiment replica set) a role names in the run. @throws MetricProviderError when the run has none. */
function resolveRole(role: string, ctx: MeasureContext): { revision: number; set?: string } {
  const revisions = ctx.run.revisions;
  if (role.startsWith('experiment:')) {
    const ref = revisions.experiment?.[role.slice('experiment:'.length)];
    if (ref === undefined)
      throw new MetricProviderError('builtin', `no ${role} replica set in analysis run ${ctx.run.name}`);
    return ref;
  }
  if (role === 'mirror') {
    if (revisions.canary === undefined)
      throw new MetricProviderError('builtin', `no canary revision in analysis run ${ctx.run.name}`);
    return { revision: revisions.canary, set: MIRROR_SET };
  }
  const revision = (BUILTIN_REVISION_ROLES as readonly string[]).includes(role)
    ? revisions[role as Exclude<(typeof BUILTIN_REVISION_ROLES)[number], 'mirror'>]
    : undefined;
  if (revision === undefined) {
    throw new MetricProviderError('builtin', `no ${role} revision in analysis run ${ctx.run.name}`);
  }
  return { revision };
}

/**
 * The `builtin` metric provider: reads per-revision traffic statistics measured by cutover's router.
 *
 * `result` is, for `error-rate`, the ratio of failed requests (5xx and proxy errors) 0..1, NaN when
 * the revision had no traffic in the window; for `request-rate`, requests per second; for `latency`,
 * the `quantile` of response latency in seconds, NaN when there was no traffic; for
 * `mirror-mismatch-rate`, the ratio 0..1 of mirrored requests whose answer differed from the
 * client's (the canary's mirror, whatever `revision` says), NaN when none was compared. With
 * `revision: mirror` the first three measure the answers to the copies mirrored to the canary
 * (Argo Rollouts' `setMirrorRoute`), which no client saw. With `flag` and `variant` they measure
 * only the revision's responses whose `x-cutover-flag-variant` header named that variant of that
 * flag (a `setFlag` ramp judged by variant); NaN rules as without. A role with no
 * revision in `run.revisions` (e.g. `preview` during a canary) makes the measurement Error.
 *
 * @example
 * ```yaml
 * provider:
 *   builtin: { metric: error-rate, revision: canary, window: 30s }
 * successCondition: isNaN(result) || result < 0.05
 * ```
 */
export const builtinProvider: MetricProviderPlugin = {
  type: 'builtin',

  validate(config: unknown, path: string): string[] {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      return [`${path}: expected an object with metric: ${BUILTIN_METRICS.join(' | ')}`];
    }
    const c = config as Record<string, unknown>;
    const problems: string[] = [];
    const known = new Set(['metric', 'quantile', 'revision', 'window', 'flag', 'variant']);
    for (const key of Object.keys(c)) {
      if (!known.has(key))
        problems.push(
          `${path}.${key}: unknown field (expected metric, quantile, revision, window, flag, variant)`,
        );
    }
    for (const key of ['flag', 'variant'] as const) {
      if (c[key] !== undefined && (typeof c[key] !== 'string' || c[key] === ''))
        problems.push(`${path}.${key}: expected a non-empty string, got ${JSON.stringify(c[key])}`);
    }
    if ((c.flag === undefined) !== (c.variant === undefined))
      problems.push(
        `${path}.${c.flag === undefined ? 'flag' : 'variant'}: flag and variant go together (the responses that named flag=variant)`,
      );
    if (c.flag !== undefined && c.metric === 'mirror-mismatch-rate')
      problems.push(`${path}.flag: flag and variant apply to error-rate, request-rate and latency`);
    if (
      c.flag !== undefined &&
      typeof c.revision === 'string' &&
      (c.revision === 'mirror' || c.revision.startsWith('experiment:'))
    )
      problems.push(
        `${path}.revision: flag and variant measure a revision's own traffic (canary, stable, preview, active), not ${JSON.stringify(c.revision)}`,
      );
    if (!isArgPlaceholder(c.metric) && !(BUILTIN_METRICS as readonly unknown[]).includes(c.metric)) {
      problems.push(
        `${path}.metric: expected one of ${BUILTIN_METRICS.join(', ')}, got ${JSON.stringify(c.metric)}`,
      );
    }
    if (c.quantile !== undefined && !isArgPlaceholder(c.quantile)) {
      const q = typeof c.quantile === 'string' ? Number(c.quantile) : c.quantile;
      if (typeof q !== 'number' || !(q > 0 && q < 1)) {
        problems.push(
          `${path}.quantile: expected a number in (0, 1) exclusive, got ${JSON.stringify(c.quantile)}`,
        );
      }
    }
    if (
      c.revision !== undefined &&
      !isArgPlaceholder(c.revision) &&
      !(BUILTIN_REVISION_ROLES as readonly unknown[]).includes(c.revision) &&
      !(typeof c.revision === 'string' && EXPERIMENT_ROLE.test(c.revision))
    ) {
      problems.push(
        `${path}.revision: expected one of ${BUILTIN_REVISION_ROLES.join(', ')} or experiment:<template name>, got ${JSON.stringify(c.revision)}`,
      );
    }
    if (c.window !== undefined && !isArgPlaceholder(c.window)) {
      if (!isDuration(c.window) || durationToMs(c.window) <= 0) {
        problems.push(
          `${path}.window: expected a positive duration such as 10s or 1m, got ${JSON.stringify(c.window)}`,
        );
      }
    }
    return problems;
  },

  async measure(metric: Metric, ctx: MeasureContext): Promise<unknown> {
    const config = providerConfig<BuiltinMetricProvider>(metric, 'builtin', builtinProvider.validate);
    // The mismatch rate is a figure of the mirrored answers, whichever role names the revision.
    const role =
      config.metric === 'mirror-mismatch-rate' ? 'mirror' : (config.revision ?? DEFAULT_BUILTIN_REVISION);
    const resolved = resolveRole(role, ctx);
    const { revision } = resolved;
    // By variant: the revision's responses that named flag=variant (x-cutover-flag-variant).
    const set =
      config.flag !== undefined && config.variant !== undefined
        ? flagVariantSet(config.flag, config.variant)
        : resolved.set;
    const quantile = Number(config.quantile ?? DEFAULT_BUILTIN_QUANTILE);
    const windowSeconds = durationToMs(config.window ?? DEFAULT_BUILTIN_WINDOW) / 1000;
    let stats: Awaited<ReturnType<MeasureContext['stats']>>;
    try {
      stats = await ctx.stats(revision, windowSeconds, quantile, set);
    } catch (error) {
      throw new MetricProviderError(
        'builtin',
        `cannot read stats of revision ${revision}${set !== undefined ? ` (set ${set})` : ''}: ${String(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
    switch (config.metric) {
      case 'error-rate':
        return stats.errorRate ?? Number.NaN;
      case 'request-rate':
        return stats.requestRate;
      case 'latency':
        return stats.latency ?? Number.NaN;
      case 'mirror-mismatch-rate':
        return stats.mirror?.mismatchRate ?? Number.NaN;
      default:
        throw new MetricProviderError('builtin', `unknown metric ${JSON.stringify(config.metric)}`);
    }
  },
};
