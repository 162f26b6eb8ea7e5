/**
 * The router's fixed latency buckets: log-spaced with a growth factor of 1.2 from 50 µs to 60 s, so
 * any quantile read from them is within 20 % of the true value. Recording is a `Math.log` and an
 * array increment: no per-request allocation.
 */

/** Upper bound of the first bucket, s. */
const HISTOGRAM_MIN_SECONDS = 50e-6;
/** Ratio between consecutive bucket bounds. */
const HISTOGRAM_GROWTH = 1.2;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);

function buildBounds(): Float64Array {
  const bounds: number[] = [];
  for (let b = HISTOGRAM_MIN_SECONDS; ; b *= HISTOGRAM_GROWTH) {
    bounds.push(b);
    if (b >= 60) break;
  }
  return Float64Array.from(bounds);
}

/** Upper bounds of the buckets, s, ascending; the last bucket (index `length`) is the overflow. */
export const HISTOGRAM_BOUNDS: Float64Array = buildBounds();
/** Number of buckets including the overflow bucket. */
export const HISTOGRAM_BUCKETS = HISTOGRAM_BOUNDS.length + 1;

/**
 * Index of the bucket holding `seconds`: bucket i holds (bound[i-1], bound[i]].
 * @param seconds - a latency, s (negative values count as 0).
 */
export function histogramBucket(seconds: number): number {
  if (seconds <= HISTOGRAM_MIN_SECONDS) return 0;
  const i = Math.ceil(Math.log(seconds / HISTOGRAM_MIN_SECONDS) / LOG_GROWTH - 1e-9);
  return Math.min(i, HISTOGRAM_BOUNDS.length);
}

/**
 * The `quantile` of the counts in `counts[offset .. offset + HISTOGRAM_BUCKETS)`, interpolated
 * linearly inside the bucket that holds it.
 * @param quantile - ratio 0..1.
 * @returns seconds, or null when the counts are all zero.
 */
export function histogramQuantile(counts: ArrayLike<number>, quantile: number, offset = 0): number | null {
  let total = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) total += counts[offset + i] ?? 0;
  if (total === 0) return null;
  const rank = Math.min(Math.max(quantile, 0), 1) * total;
  let cumulative = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    const n = counts[offset + i] ?? 0;
    if (n === 0) continue;
    if (cumulative + n >= rank) {
      const lower = i === 0 ? 0 : (HISTOGRAM_BOUNDS[i - 1] ?? 0);
      const upper = HISTOGRAM_BOUNDS[i] ?? lower;
      return lower + ((upper - lower) * (rank - cumulative)) / n;
    }
    cumulative += n;
  }
  return HISTOGRAM_BOUNDS[HISTOGRAM_BOUNDS.length - 1] ?? null;
}
