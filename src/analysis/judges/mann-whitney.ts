/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) on binned samples, with the Hodges-Lehmann estimate
 * of the shift and its confidence interval, as Kayenta's `MannWhitneyClassifier` uses them on
 * canary and baseline - computed from histograms instead of raw values.
 */
import { normalCdf, normalQuantile } from './normal-distribution.js';

/** Outcome of {@link mannWhitneyBinned}. Shifts are in bins (a positive shift: the canary is higher). */
export interface MannWhitneyResult {
  /** Observations of the canary (n1) and of the baseline (n2). */
  canaryCount: number;
  baselineCount: number;
  /**
   * U of the canary: pairs (canary, baseline) with the canary in a higher bin, plus half the pairs in
   * the same bin. 0..n1·n2.
   */
  u: number;
  /** Standardized U with tie and continuity corrections; 0 when there is no variance. */
  z: number;
  /** Two-sided p-value of "same distribution" (normal approximation), 0..1. */
  pValue: number;
  /** u / (n1·n2): P(canary > baseline) + P(tie) / 2, 0..1; 0.5 means no difference. */
  superiority: number;
  /** Hodges-Lehmann estimate of the shift, bins: the median of canary bin - baseline bin over all pairs. */
  shift: number;
  /** Confidence interval of the shift at the asked confidence, bins (inclusive). */
  shiftLower: number;
  shiftUpper: number;
}

/**
 * Compares two samples given as counts per ordered bin (bin i holds values below those of bin
 * i + 1; values in one bin are ties). Ranks are mid-ranks, so each bin is one tie group; the variance
 * of U is tie-corrected: n1·n2/12 · ((N + 1) - Σ(t³ - t) / (N·(N - 1))) with t the count of a bin.
 * The shift's confidence interval is the Hollander-Wolfe one: order statistics k and n1·n2 - k + 1
 * of the pairwise differences, with k = n1·n2/2 - z(1 - α/2)·sd(U).
 *
 * Pure; O(B²) for B bins. Both samples must use the same bins.
 *
 * @param canary - counts per bin, ≥ 0
 * @param baseline - counts per bin, ≥ 0, same length
 * @param confidence - of the shift's interval, 0..1 exclusive. @default 0.95
 * @returns null when either sample is empty
 * @example mannWhitneyBinned([0, 5, 5], [5, 5, 0]).shift // 1
 */
export function mannWhitneyBinned(
  canary: ArrayLike<number>,
  baseline: ArrayLike<number>,
  confidence = 0.95,
): MannWhitneyResult | null {
  const bins = Math.max(canary.length, baseline.length);
  let n1 = 0;
  let n2 = 0;
  let u = 0;
  let ties = 0;
  for (let i = 0; i < bins; i++) {
    const c = canary[i] ?? 0;
    const b = baseline[i] ?? 0;
    u += c * (n2 + b / 2);
    n1 += c;
    n2 += b;
    const t = c + b;
    ties += t * t * t - t;
  }
  if (n1 === 0 || n2 === 0) return null;
  const n = n1 + n2;
  const pairs = n1 * n2;
  const mean = pairs / 2;
  const variance = (pairs / 12) * (n + 1 - ties / (n * (n - 1)));
  const sd = Math.sqrt(Math.max(variance, 0));
  let z = 0;
  if (sd > 0) {
    const deviation = u - mean;
    z = (Math.sign(deviation) * Math.max(Math.abs(deviation) - 0.5, 0)) / sd;
  }
  const pValue = Math.min(1, 2 * normalCdf(-Math.abs(z)));

  // Distribution of the pairwise differences canary bin - baseline bin, offset by bins - 1.
  const differences = new Float64Array(2 * bins - 1);
  for (let i = 0; i < bins; i++) {
    const c = canary[i] ?? 0;
    if (c === 0) continue;
    for (let j = 0; j < bins; j++) {
      const b = baseline[j] ?? 0;
      if (b !== 0) differences[i - j + bins - 1]! += c * b;
    }
  }
  // The k-th smallest difference (1-based, clamped to 1..pairs).
  const orderStatistic = (k: number): number => {
    const rank = Math.min(Math.max(k, 1), pairs);
    let cumulative = 0;
    for (let d = 0; d < differences.length; d++) {
      cumulative += differences[d]!;
      if (cumulative >= rank) return d - (bins - 1);
    }
    return bins - 1;
  };
  const shift =
    (orderStatistic(Math.floor((pairs + 1) / 2)) + orderStatistic(Math.ceil((pairs + 1) / 2))) / 2;
  const k = Math.floor(mean - normalQuantile(1 - (1 - confidence) / 2) * sd);
  return {
    canaryCount: n1,
    baselineCount: n2,
    u,
    z,
    pValue,
    superiority: u / pairs,
    shift,
    shiftLower: orderStatistic(k),
    shiftUpper: orderStatistic(pairs - k + 1),
  };
}
