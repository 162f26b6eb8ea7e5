/**
 * A one-sample mixture sequential probability ratio test that a revision's event rate (errors, or
 * requests slower than a threshold) is at most a fixed bound q0: "error rate ≤ 5%", or "p95 ≤ 500 ms"
 * read as "at most 5% of requests slower than 500 ms". The companion of `mixture-sprt.ts`, for when
 * there is no baseline revision to compare with (after a full promotion).
 *
 * Each request is an event with probability q. For one q > q0 the likelihood ratio of the requests
 * so far against q0 is L(q) = Π (q/q0)^e · ((1 − q)/(1 − q0))^(n − e). Under any q* ≤ q0 each
 * request's factor has mean q*·q/q0 + (1 − q*)(1 − q)/(1 − q0) ≤ 1 (linear in q*, 1 at q0), so L is a
 * test supermartingale, and so is a mixture over a grid of q (log-spaced ratios q/q0 from
 * `MIXTURE_GRID`, those below 1) and over start times (the restarts of `mixture-sprt.ts`, so healthy
 * hours before a fault do not bury it). By Ville's inequality, rejecting H0: q ≤ q0 the first time
 * the mixture reaches 1/α is a level-α test however often it is read.
 */
import { MIXTURE_GRID, restartWeight, unstartedWeight } from './mixture-sprt.js';

/** Evidence so far. Plain data. */
export interface RateSprtState {
  /** The bound of H0, ratio 0..1 exclusive. */
  q0: number;
  /** The alternatives q_k (ratio 0..1), ascending. */
  rates: number[];
  /** ln S_t(q_k): the start-weighted sum of the restarted tests' likelihood ratios. */
  logLR: number[];
  /** Intervals observed. */
  intervals: number;
  requests: number;
  events: number;
}

/** Starts a test of H0: rate ≤ q0. Pure. @param q0 - ratio, 0 < q0 < 1 */
export function createRateSprt(q0: number): RateSprtState {
  if (!(q0 > 0 && q0 < 1)) throw new RangeError(`q0 must be a ratio in (0, 1), got ${q0}`);
  const rates = MIXTURE_GRID.ratios.map((r) => q0 * r).filter((q) => q < 1);
  return {
    q0,
    rates,
    logLR: rates.map(() => Math.log(restartWeight(0))),
    intervals: 0,
    requests: 0,
    events: 0,
  };
}

/** Adds one interval's counts (first starting the restarted test due at this interval). Pure. */
export function observeRate(
  state: RateSprtState,
  counts: { requests: number; events: number },
): RateSprtState {
  const { requests: n, events: e } = counts;
  const w = state.intervals > 0 ? restartWeight(state.intervals) : 0;
  const started = w > 0 ? state.logLR.map((l) => logAddExp(l, Math.log(w))) : state.logLR;
  const q0 = state.q0;
  return {
    ...state,
    intervals: state.intervals + 1,
    requests: state.requests + n,
    events: state.events + e,
    logLR:
      n <= 0
        ? started
        : started.map((l, k) => {
            const q = state.rates[k] ?? q0;
            return l + e * Math.log(q / q0) + (n - e) * Math.log((1 - q) / (1 - q0));
          }),
  };
}

/** Whether H0 (rate ≤ q0) is rejected at level α. Pure. @param alpha - 0..1 exclusive */
export function isRateRejected(state: RateSprtState, alpha: number): boolean {
  const prior = -Math.log(Math.max(1, state.rates.length));
  const terms = state.logLR.map((l) => l + prior);
  terms.push(Math.log(unstartedWeight(Math.max(1, state.intervals))));
  const max = Math.max(...terms);
  const log = max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
  return log >= Math.log(1 / alpha);
}

function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}
