import type { TrafficSeconds } from '../../../dataplane/protocol.js';
import { durationToMs, isDuration } from '../../../spec/duration.js';
import type { DurationValue, Metric } from '../../../spec/types.js';
import { MetricProviderError } from '../../errors.js';
import {
  createMixtureSprt,
  MIXTURE_GRID,
  type MixtureSprtState,
  mixtureLogLR,
  observeInterval,
} from '../../judges/mixture-sprt.js';
import { secondsOf, slowBucket, slowRequests } from '../../judges/revision-traffic.js';
import type { AnalysisRun } from '../../types.js';
import {
  type MeasureContext,
  type MetricProviderPlugin,
  type ProviderVerdict,
  providerConfig,
  verdict,
} from '../provider.js';

/** What the sequential judge counts as an event: failed requests, or requests slower than `latencyThreshold`. */
const SEQUENTIAL_METRICS = ['error-rate', 'latency'] as const;
/** False-alarm bound of the sequential judge, 0..1. @default 0.01 */
export const DEFAULT_SEQUENTIAL_ALPHA = 0.01;
/** Relative non-inferiority margin: the canary may have up to this much more events. @default 0.1 */
export const DEFAULT_SEQUENTIAL_MARGIN = 0.1;

/** `metric.provider.sequential`, as written (numbers may be strings after `{{args.x}}` substitution). */
interface SequentialMetricProvider {
  metric: (typeof SEQUENTIAL_METRICS)[number];
  /** @default 0.01 */
  alpha?: number | string;
  /** @default 0.1 */
  margin?: number | string;
  /** Required for `latency`: a request slower than this is an event. */
  latencyThreshold?: DurationValue;
  /** Canary requests before H0 may be rejected. @default 0 */
  minSamples?: number | string;
}

/** The measurement's value: the statistic, the counts, and the state the next measurement resumes from. */
export interface SequentialValue {
  statistic: 'mixture-sprt';
  metric: SequentialMetricProvider['metric'];
  /** ln of the mixture likelihood ratio, and the rejection boundary ln(1/alpha). */
  logLR: number;
  boundary: number;
  /** Johari et al.'s always-valid p-value: min(1, 1 / max LR so far). */
  pValue: number;
  alpha: number;
  margin: number;
  canary: { revision: number; requests: number; events: number; rate: number | null };
  stable: { revision: number; requests: number; events: number; rate: number | null };
  /** First second (s since the epoch) not yet counted: the next measurement starts there. */
  next: number;
  /** Seconds that left the router's 300 s ring before they were read (their evidence is lost, not guessed). */
  skippedSeconds: number;
  /** ln S(θ_k) for each ratio of the mixture's grid (start-weighted sum of the restarted tests). */
  state: number[];
  /** Intervals (seconds with traffic) observed: which restarted tests have begun. */
  intervals: number;
  /** Highest ln LR so far (for the always-valid p-value). */
  maxLogLR: number;
}

const isPlaceholder = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
const KNOWN = ['metric', 'alpha', 'margin', 'latencyThreshold', 'minSamples'];

function numberField(
  c: Record<string, unknown>,
  key: string,
  path: string,
  ok: (n: number) => boolean,
  expected: string,
): string[] {
  const v = c[key];
  if (v === undefined || isPlaceholder(v)) return [];
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && ok(n)
    ? []
    : [`${path}.${key}: expected ${expected}, got ${JSON.stringify(v)}`];
}

/** Candidate (canary, else preview) and baseline (stable, else active) revisions of a run. */
export function comparedRevisions(run: AnalysisRun, provider: string): { canary: number; stable: number } {
  const canary = run.revisions.canary ?? run.revisions.preview;
  const stable = run.revisions.stable ?? run.revisions.active;
  if (canary === undefined || stable === undefined) {
    throw new MetricProviderError(
      provider,
      `analysis run ${run.name} has no canary and stable revisions to compare`,
    );
  }
  return { canary, stable };
}

/** Reads the rollout's traffic, or throws a retryable provider error. */
export async function readTraffic(
  ctx: MeasureContext,
  provider: string,
  range: { from: number } | { window: number },
): Promise<TrafficSeconds> {
  if (ctx.traffic === undefined)
    throw new MetricProviderError(provider, 'no data plane to read traffic from');
  try {
    return await ctx.traffic(range);
  } catch (error) {
    throw new MetricProviderError(provider, `cannot read traffic: ${String(error)}`, {
      cause: error,
      retryable: true,
    });
  }
}

function previousValue(run: AnalysisRun, metric: string): SequentialValue | null {
  const result = run.status.metricResults.find((r) => r.name === metric);
  if (result === undefined) return null;
  for (let i = result.measurements.length - 1; i >= 0; i--) {
    const text = result.measurements[i]?.value;
    if (text === undefined || text === '') continue;
    try {
      const parsed = JSON.parse(text) as Partial<SequentialValue>;
      if (parsed.statistic === 'mixture-sprt' && Array.isArray(parsed.state))
        return parsed as SequentialValue;
    } catch {
      // not ours: keep looking
    }
  }
  if (result.successful + result.failed + result.inconclusive > 0) {
    throw new MetricProviderError(
      'sequential',
      `the evidence of metric ${metric} is no longer in the run (measurementRetention dropped it); refusing to start over`,
    );
  }
  return null;
}

/**
 * The `sequential` metric provider: an anytime-valid comparison of the canary with the stable
 * revision (mixture SPRT, see judges/mixture-sprt.ts). Each measurement adds the whole seconds of
 * router traffic since the previous one and decides the phase itself: **Failed** as soon as
 * "canary no worse than stable up to `margin`" is rejected at level `alpha`, Successful otherwise.
 *
 * Evidence lives in the measurement's value (stored with the run): the grid of log likelihood
 * ratios and `next`, the first second not yet counted. A restarted control plane resumes from the
 * stored run, so no second is counted twice or skipped while it is in the router's 300 s ring.
 *
 * @example
 * ```yaml
 * - name: errors
 *   interval: 1s
 *   provider:
 *     sequential: { metric: error-rate, alpha: 0.01, margin: 0.1 }
 * ```
 */
export const sequentialProvider: MetricProviderPlugin = {
  type: 'sequential',

  validate(config: unknown, path: string): string[] {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      return [`${path}: expected an object with metric: ${SEQUENTIAL_METRICS.join(' | ')}`];
    }
    const c = config as Record<string, unknown>;
    const problems = Object.keys(c)
      .filter((k) => !KNOWN.includes(k))
      .map((k) => `${path}.${k}: unknown field (expected ${KNOWN.join(', ')})`);
    if (!isPlaceholder(c.metric) && !(SEQUENTIAL_METRICS as readonly unknown[]).includes(c.metric)) {
      problems.push(
        `${path}.metric: expected one of ${SEQUENTIAL_METRICS.join(', ')}, got ${JSON.stringify(c.metric)}`,
      );
    }
    problems.push(...numberField(c, 'alpha', path, (n) => n > 0 && n < 1, 'a number in (0, 1) exclusive'));
    problems.push(...numberField(c, 'margin', path, (n) => n >= 0, 'a number >= 0'));
    problems.push(
      ...numberField(c, 'minSamples', path, (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
    );
    const t = c.latencyThreshold;
    if (t !== undefined && !isPlaceholder(t) && (!isDuration(t) || durationToMs(t) <= 0)) {
      problems.push(
        `${path}.latencyThreshold: expected a positive duration such as 500ms, got ${JSON.stringify(t)}`,
      );
    }
    if (c.metric === 'latency' && t === undefined) {
      problems.push(`${path}.latencyThreshold: required for metric latency (a duration such as 500ms)`);
    }
    return problems;
  },

  async measure(metric: Metric, ctx: MeasureContext): Promise<ProviderVerdict> {
    const config = providerConfig<SequentialMetricProvider>(
      metric,
      'sequential',
      sequentialProvider.validate,
    );
    const alpha = Number(config.alpha ?? DEFAULT_SEQUENTIAL_ALPHA);
    const margin = Number(config.margin ?? DEFAULT_SEQUENTIAL_MARGIN);
    const minSamples = Number(config.minSamples ?? 0);
    const { canary, stable } = comparedRevisions(ctx.run, 'sequential');

    const previous = previousValue(ctx.run, metric.name);
    if (previous !== null && (previous.margin !== margin || previous.metric !== config.metric)) {
      throw new MetricProviderError(
        'sequential',
        `metric ${metric.name} changed its margin or metric mid-run`,
      );
    }
    if (
      previous !== null &&
      (previous.state.length !== MIXTURE_GRID.ratios.length ||
        typeof previous.intervals !== 'number' ||
        !Number.isInteger(previous.intervals) ||
        previous.intervals < 0)
    ) {
      throw new MetricProviderError(
        'sequential',
        `stored evidence of metric ${metric.name} has an unknown shape`,
      );
    }
    const from = previous?.next ?? Math.floor(ctx.run.status.startedAt / 1000);
    const traffic = await readTraffic(ctx, 'sequential', { from });

    let state: MixtureSprtState =
      previous === null
        ? createMixtureSprt(margin)
        : {
            margin,
            logLR: previous.state,
            intervals: previous.intervals,
            canaryRequests: previous.canary.requests,
            canaryEvents: previous.canary.events,
            stableRequests: previous.stable.requests,
            stableEvents: previous.stable.events,
          };
    let maxLogLR = previous?.maxLogLR ?? 0;
    const canarySeconds = secondsOf(traffic, canary);
    const stableSeconds = secondsOf(traffic, stable);
    const fromBucket =
      config.metric === 'latency'
        ? slowBucket(traffic.latencyBounds, durationToMs(config.latencyThreshold as DurationValue) / 1000)
        : 0;
    for (let second = Math.max(from, traffic.from); second < traffic.to; second++) {
      const c = canarySeconds.get(second);
      const s = stableSeconds.get(second);
      if (c === undefined && s === undefined) continue;
      const events = (d: typeof c): number =>
        d === undefined ? 0 : config.metric === 'latency' ? slowRequests(d, fromBucket) : d.errors;
      state = observeInterval(state, {
        canaryRequests: c?.requests ?? 0,
        canaryEvents: events(c),
        stableRequests: s?.requests ?? 0,
        stableEvents: events(s),
      });
      maxLogLR = Math.max(maxLogLR, mixtureLogLR(state));
    }
    const logLR = mixtureLogLR(state);
    const boundary = Math.log(1 / alpha);
    const rate = (events: number, requests: number): number | null =>
      requests > 0 ? events / requests : null;
    const value: SequentialValue = {
      statistic: 'mixture-sprt',
      metric: config.metric,
      logLR,
      boundary,
      pValue: Math.min(1, Math.exp(-maxLogLR)),
      alpha,
      margin,
      canary: {
        revision: canary,
        requests: state.canaryRequests,
        events: state.canaryEvents,
        rate: rate(state.canaryEvents, state.canaryRequests),
      },
      stable: {
        revision: stable,
        requests: state.stableRequests,
        events: state.stableEvents,
        rate: rate(state.stableEvents, state.stableRequests),
      },
      next: Math.max(from, traffic.to),
      skippedSeconds: (previous?.skippedSeconds ?? 0) + Math.max(0, traffic.from - from),
      state: state.logLR,
      intervals: state.intervals,
      maxLogLR,
    };
    const what = config.metric === 'latency' ? `requests slower than ${config.latencyThreshold}` : 'errors';
    const pct = (r: number | null): string => (r === null ? 'n/a' : `${(r * 100).toFixed(2)}%`);
    const summary =
      `${what}: canary ${value.canary.events}/${value.canary.requests} (${pct(value.canary.rate)}) vs stable ` +
      `${value.stable.events}/${value.stable.requests} (${pct(value.stable.rate)}); ln LR ${logLR.toFixed(2)} ` +
      `(boundary ${boundary.toFixed(2)} = ln(1/${alpha}), margin ${margin}, always-valid p ${value.pValue.toPrecision(2)})`;
    const rejected = maxLogLR >= boundary && state.canaryRequests >= minSamples;
    return rejected
      ? verdict('Failed', value, `canary worse than stable beyond the ${margin * 100}% margin: ${summary}`)
      : verdict('Successful', value, summary);
  },
};
