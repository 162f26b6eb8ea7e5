import { HISTOGRAM_BUCKETS, histogramBucket, histogramQuantile } from './latency-histogram.js';

/** Outcome classes counted per request: HTTP status classes and proxy-generated failures. */
export const OUTCOME_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'proxyError'] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];
/** Index of `proxyError` in {@link OUTCOME_CLASSES}. */
export const PROXY_ERROR = 5;

/** Seconds kept in the per-second ring; windows up to 300 s are answered exactly. */
const RING_SECONDS = 302;
const SLOT = OUTCOME_CLASSES.length + HISTOGRAM_BUCKETS;

/** Totals over a trailing window, as computed by {@link RevisionRecorder.window}. */
export interface WindowTotals {
  /** Window length actually covered, s (shorter than asked when the recorder is younger). */
  coveredSeconds: number;
  /** Requests per outcome class, indexed as {@link OUTCOME_CLASSES}. */
  counts: number[];
  requests: number;
  /** Latency at the asked quantile, s; null without requests. */
  latency: number | null;
}

/**
 * Receives the latency bucket counts of every {@link RevisionRecorder.second} call made while
 * {@link withSecondHistograms} runs (null for a second with nothing recorded). Module state, set
 * and reset synchronously, so no other caller can observe it.
 */
let secondHistogramTap: ((histogram: ArrayLike<number> | null) => void) | null = null;

/**
 * Runs `read` (which calls {@link RevisionRecorder.second} through the Router) and hands
 * `onSecond` the latency histogram (counts per bucket of latency-histogram.ts, a view valid only
 * during the call) of each of those calls, in call order. Lets the data plane's admin API read
 * per-second histograms without widening the Router's interface.
 *
 * @returns what `read` returned
 */
export function withSecondHistograms<T>(
  read: () => T,
  onSecond: (histogram: ArrayLike<number> | null) => void,
): T {
  const previous = secondHistogramTap;
  secondHistogramTap = onSecond;
  try {
    return read();
  } finally {
    secondHistogramTap = previous;
  }
}

/**
 * Traffic counters of one revision of one Rollout: cumulative totals (for Prometheus) and a ring
 * of per-second slots (for trailing windows up to 300 s). `record` allocates nothing.
 *
 * Pure with respect to time: every call takes `nowMs` (ms since the epoch), so windows are tested
 * without sleeping.
 */
export class RevisionRecorder {
  /** Cumulative requests per outcome class, indexed as {@link OUTCOME_CLASSES}. */
  readonly totals = new Float64Array(OUTCOME_CLASSES.length);
  /** Cumulative requests per latency bucket (see latency-histogram.ts). */
  readonly histogram = new Float64Array(HISTOGRAM_BUCKETS);
  /** Cumulative latency, s. */
  latencySum = 0;
  /** When this recorder started counting, ms since the epoch. */
  readonly createdAt: number;
  /** Last time a request was recorded, ms since the epoch (0 = never). */
  lastRecordAt = 0;
  readonly #ring = new Uint32Array(RING_SECONDS * SLOT);
  readonly #stamps = new Float64Array(RING_SECONDS).fill(-1);

  /** @param createdAtMs - ms since the epoch. */
  constructor(createdAtMs: number) {
    this.createdAt = createdAtMs;
  }

  /**
   * Count one finished request.
   * @param outcome - index into {@link OUTCOME_CLASSES}.
   * @param seconds - latency, s.
   * @param nowMs - ms since the epoch.
   */
  record(outcome: number, seconds: number, nowMs: number): void {
    const bucket = histogramBucket(seconds);
    this.totals[outcome]! += 1;
    this.histogram[bucket]! += 1;
    this.latencySum += seconds;
    this.lastRecordAt = nowMs;
    const base = this.#slot(Math.floor(nowMs / 1000));
    this.#ring[base + outcome]! += 1;
    this.#ring[base + OUTCOME_CLASSES.length + bucket]! += 1;
  }

  /** Offset of the slot of second `sec`, cleared if it held an older second. */
  #slot(sec: number): number {
    const index = sec % RING_SECONDS;
    const base = index * SLOT;
    if (this.#stamps[index] !== sec) {
      this.#ring.fill(0, base, base + SLOT);
      this.#stamps[index] = sec;
    }
    return base;
  }

  /**
   * Totals of the trailing window `(now - windowSeconds, now]`: the current partial second and
   * the `windowSeconds - 1` whole seconds before it.
   * @param windowSeconds - 1..300, s (clamped).
   * @param quantile - ratio 0..1 for `latency`.
   * @param nowMs - ms since the epoch.
   */
  window(windowSeconds: number, quantile: number, nowMs: number): WindowTotals {
    const seconds = Math.min(Math.max(Math.ceil(windowSeconds), 1), RING_SECONDS - 2);
    const nowSec = Math.floor(nowMs / 1000);
    const counts = [0, 0, 0, 0, 0, 0];
    const buckets = new Float64Array(HISTOGRAM_BUCKETS);
    for (let s = nowSec - seconds + 1; s <= nowSec; s++) {
      const index = s % RING_SECONDS;
      if (this.#stamps[index] !== s) continue;
      const base = index * SLOT;
      for (let c = 0; c < OUTCOME_CLASSES.length; c++) counts[c]! += this.#ring[base + c]!;
      for (let b = 0; b < HISTOGRAM_BUCKETS; b++)
        buckets[b]! += this.#ring[base + OUTCOME_CLASSES.length + b]!;
    }
    let requests = 0;
    for (const n of counts) requests += n;
    const partial = (nowMs - nowSec * 1000) / 1000;
    const covered = Math.min(seconds - 1 + partial, Math.max((nowMs - this.createdAt) / 1000, 0));
    return {
      coveredSeconds: Math.max(covered, 0.001),
      counts,
      requests,
      latency: histogramQuantile(buckets, quantile),
    };
  }

  /**
   * Requests per outcome class during the whole second `sec` (s since the epoch), or null when
   * nothing was recorded in it (or it left the ring).
   */
  second(sec: number): { counts: number[]; latencySeconds: number | null } | null {
    const index = sec % RING_SECONDS;
    if (this.#stamps[index] !== sec) {
      secondHistogramTap?.(null);
      return null;
    }
    const base = index * SLOT;
    secondHistogramTap?.(this.#ring.subarray(base + OUTCOME_CLASSES.length, base + SLOT));
    const counts: number[] = [];
    for (let c = 0; c < OUTCOME_CLASSES.length; c++) counts.push(this.#ring[base + c]!);
    return {
      counts,
      latencySeconds: histogramQuantile(this.#ring, 0.95, base + OUTCOME_CLASSES.length),
    };
  }
}
