/**
 * The RollbackCoordinator's sequential triggers: the new revision's own traffic at its current
 * weight, second by second, against the stable revision's traffic of the same seconds, judged by
 * the analysis module's anytime-valid mixture SPRT (see `analysis/judges/mixture-sprt.ts`), and on
 * its own against the release's absolute thresholds (error rate, p95 as "at most 5% of requests
 * slower than p95Ms"; `analysis/judges/rate-sprt.ts`), which needs no stable traffic. Unlike
 * the per-second samples of {@link evaluateRollbackTriggers}, they need no minimum request rate:
 * every request counts, and the test may be read after every second without raising its false-alarm
 * bound `alpha`.
 */

import {
  createMixtureSprt,
  isRejected,
  type MixtureSprtState,
  observeInterval,
} from '../../analysis/judges/mixture-sprt.js';
import {
  createRateSprt,
  isRateRejected,
  observeRate,
  type RateSprtState,
} from '../../analysis/judges/rate-sprt.js';
import { slowBucket, slowRequests } from '../../analysis/judges/revision-traffic.js';
import type { RevisionSecondDetail, TrafficSeconds } from '../../dataplane/protocol.js';

/** False-alarm bound of each sequential trigger, ratio 0..1. @default 0.01 */
export const DEFAULT_TRIGGER_ALPHA = 0.01;
/** Relative margin: the new revision may have this much more events than stable (0.1: 10%). @default 0.1 */
export const DEFAULT_TRIGGER_MARGIN = 0.1;
/** Added to the pre-deploy p99 to make the slow-request threshold, ms. @default 100 */
const SLOW_REQUEST_HEADROOM_MS = 100;

/** What the sequential triggers compare. */
export interface SequentialTriggerPolicy {
  /** False-alarm bound of each test, ratio 0..1 exclusive. @default 0.01 */
  alpha: number;
  /** Relative non-inferiority margin ≥ 0. @default 0.1 */
  margin: number;
  /** A request slower than this is a slow request, ms. */
  slowRequestMs: number;
  /** New-revision requests before either test may fire. @default 0 */
  minRequests?: number;
  /** The absolute error-rate bound (the release's `rollback.errorRate`), ratio 0..1 exclusive. */
  errorRate: number;
  /** The absolute p95 bound (the release's `rollback.p95Ms`), ms. */
  p95Ms: number;
}

/** p95 ≤ X means at most this share of requests is slower than X. */
const P95_SHARE = 0.05;

/** Evidence so far of one Rollout's new revision. Plain data. */
export interface SequentialTriggerState {
  /** First second (s since the epoch) not yet counted. */
  next: number;
  errors: MixtureSprtState;
  slow: MixtureSprtState;
  /** The new revision's error rate against the absolute bound. */
  errorRate: RateSprtState;
  /** The new revision's share of requests slower than `p95Ms` against 5%. */
  p95: RateSprtState;
  /** ms since the epoch of the first second in which the new revision served an error, or null. */
  firstErrorAt: number | null;
  /** ms since the epoch of the first second in which the new revision served a slow request, or null. */
  firstSlowAt: number | null;
}

/** A sequential trigger that fired. */
export interface SequentialTrigger {
  kind: 'errorRate' | 'latency' | 'p95';
  /** For people: the counts of both revisions and the test's level. */
  reason: string;
  /**
   * Comparative (`errorRate`, `latency`): `errorRate` or `slowRate` (the new revision's share of
   * events, ratio 0..1), `canaryRequests`, `canaryEvents`, `stableRequests`, `stableEvents`, `alpha`,
   * `margin`, `onsetAt` (ms since the epoch), and `slowRequestMs` for latency. Absolute (`errorRate`,
   * `p95`): `errorRate` and `threshold`, or `slowRate` and `thresholdMs`, `requests`, `events`,
   * `alpha`, `onsetAt`.
   */
  values: Record<string, number>;
}

/**
 * Starts the evidence at second `from` (s since the epoch: when the new revision was applied). Pure.
 * @param errorRate - the absolute error-rate bound, ratio 0..1 exclusive
 */
export function initialSequentialState(
  from: number,
  errorRate: number,
  margin = DEFAULT_TRIGGER_MARGIN,
): SequentialTriggerState {
  return {
    next: from,
    errors: createMixtureSprt(margin),
    slow: createMixtureSprt(margin),
    errorRate: createRateSprt(errorRate),
    p95: createRateSprt(P95_SHARE),
    firstErrorAt: null,
    firstSlowAt: null,
  };
}

/**
 * The slow-request threshold of a release: its `rollback.latencyThreshold` when set, else the
 * pre-deploy p99 of the stable revision plus {@link SLOW_REQUEST_HEADROOM_MS}, else (no traffic
 * before the deploy) the p95 trigger's threshold. ms. Pure.
 */
export function slowRequestThresholdMs(
  configuredMs: number | undefined,
  baselineP99Ms: number | null,
  p95ThresholdMs: number,
): number {
  if (configuredMs !== undefined) return configuredMs;
  if (baselineP99Ms === null) return p95ThresholdMs;
  return baselineP99Ms + SLOW_REQUEST_HEADROOM_MS;
}

/**
 * Folds the seconds of `traffic` from `state.next` on into both tests: errors, and requests slower
 * than `policy.slowRequestMs`, of `revisions.canary` against `revisions.stable`. A second in which
 * either revision had no requests carries no comparison. Fires the first test that rejects "the new
 * revision is no worse than stable up to the margin" at level `alpha` (errors first). Pure.
 */
export function observeSequentialTriggers(
  state: SequentialTriggerState,
  traffic: TrafficSeconds,
  revisions: { canary: number; stable: number },
  policy: SequentialTriggerPolicy,
): { state: SequentialTriggerState; trigger: SequentialTrigger | null } {
  const fromBucket = slowBucket(traffic.latencyBounds, policy.slowRequestMs / 1000);
  const p95Bucket = slowBucket(traffic.latencyBounds, policy.p95Ms / 1000);
  const canary = bySecond(traffic, revisions.canary);
  const stable = bySecond(traffic, revisions.stable);
  let next = { ...state };
  const start = Math.max(state.next, traffic.from);
  for (let second = start; second < traffic.to; second++) {
    const c = canary.get(second);
    const s = stable.get(second);
    if (c === undefined && s === undefined) continue;
    const slowC = c === undefined ? 0 : slowRequests(c, fromBucket);
    next = {
      ...next,
      errors: observeInterval(next.errors, {
        canaryRequests: c?.requests ?? 0,
        canaryEvents: c?.errors ?? 0,
        stableRequests: s?.requests ?? 0,
        stableEvents: s?.errors ?? 0,
      }),
      slow: observeInterval(next.slow, {
        canaryRequests: c?.requests ?? 0,
        canaryEvents: slowC,
        stableRequests: s?.requests ?? 0,
        stableEvents: s === undefined ? 0 : slowRequests(s, fromBucket),
      }),
      errorRate: observeRate(next.errorRate, { requests: c?.requests ?? 0, events: c?.errors ?? 0 }),
      p95: observeRate(next.p95, {
        requests: c?.requests ?? 0,
        events: c === undefined ? 0 : slowRequests(c, p95Bucket),
      }),
      firstErrorAt: next.firstErrorAt ?? ((c?.errors ?? 0) > 0 ? second * 1000 : null),
      firstSlowAt: next.firstSlowAt ?? (slowC > 0 ? second * 1000 : null),
    };
  }
  next.next = Math.max(state.next, traffic.to);
  const enough = next.errors.canaryRequests >= (policy.minRequests ?? 0);
  if (enough && isRejected(next.errors, policy.alpha)) {
    return { state: next, trigger: describe('errorRate', next.errors, next.firstErrorAt, policy) };
  }
  if (enough && isRejected(next.slow, policy.alpha)) {
    return { state: next, trigger: describe('latency', next.slow, next.firstSlowAt, policy) };
  }
  if (enough && isRateRejected(next.errorRate, policy.alpha)) {
    return { state: next, trigger: describeAbsolute('errorRate', next.errorRate, next.firstErrorAt, policy) };
  }
  if (enough && isRateRejected(next.p95, policy.alpha)) {
    return { state: next, trigger: describeAbsolute('p95', next.p95, next.firstSlowAt, policy) };
  }
  return { state: next, trigger: null };
}

function describeAbsolute(
  kind: 'errorRate' | 'p95',
  test: RateSprtState,
  onsetAt: number | null,
  policy: SequentialTriggerPolicy,
): SequentialTrigger {
  const share = test.requests === 0 ? 0 : test.events / test.requests;
  const pct = `${(share * 100).toFixed(1)}%`;
  const reason =
    kind === 'errorRate'
      ? `error rate ${pct} (${test.events}/${test.requests}) > ${policy.errorRate} (sequential test, alpha ${policy.alpha})`
      : `p95 > ${policy.p95Ms} ms: ${pct} of requests (${test.events}/${test.requests}) slower, more than 5% (sequential test, alpha ${policy.alpha})`;
  return {
    kind,
    reason,
    values: {
      ...(kind === 'errorRate'
        ? { errorRate: share, threshold: policy.errorRate }
        : { slowRate: share, thresholdMs: policy.p95Ms }),
      requests: test.requests,
      events: test.events,
      alpha: policy.alpha,
      ...(onsetAt === null ? {} : { onsetAt }),
    },
  };
}

function bySecond(traffic: TrafficSeconds, revision: number): Map<number, RevisionSecondDetail> {
  const seconds = traffic.revisions.find((r) => r.revision === revision)?.seconds ?? [];
  return new Map(seconds.map((s) => [s.second, s]));
}

function describe(
  kind: SequentialTrigger['kind'],
  test: MixtureSprtState,
  onsetAt: number | null,
  policy: SequentialTriggerPolicy,
): SequentialTrigger {
  const pct = (events: number, requests: number) =>
    requests === 0 ? 'n/a' : `${((events / requests) * 100).toFixed(1)}%`;
  const what =
    kind === 'errorRate' ? 'errors' : `requests slower than ${Math.round(policy.slowRequestMs)} ms`;
  return {
    kind,
    reason:
      `${what}: new revision ${test.canaryEvents}/${test.canaryRequests} (${pct(test.canaryEvents, test.canaryRequests)}) ` +
      `vs stable ${test.stableEvents}/${test.stableRequests} (${pct(test.stableEvents, test.stableRequests)}), ` +
      `worse beyond the ${policy.margin * 100}% margin (sequential test, alpha ${policy.alpha})`,
    values: {
      [kind === 'errorRate' ? 'errorRate' : 'slowRate']:
        test.canaryRequests === 0 ? 0 : test.canaryEvents / test.canaryRequests,
      canaryRequests: test.canaryRequests,
      canaryEvents: test.canaryEvents,
      stableRequests: test.stableRequests,
      stableEvents: test.stableEvents,
      alpha: policy.alpha,
      margin: policy.margin,
      ...(onsetAt === null ? {} : { onsetAt }),
      ...(kind === 'latency' ? { slowRequestMs: policy.slowRequestMs } : {}),
    },
  };
}
