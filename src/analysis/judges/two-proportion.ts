/**
 * Comparison of two proportions (the canary's and the baseline's error rates) with a relative
 * tolerance: is the canary's rate above (1 + tolerance) times the baseline's, or below
 * (1 - tolerance) times it, beyond sampling noise?
 */
import { normalCdf } from './normal-distribution.js';

/** Outcome of {@link twoProportionTest}. Rates are ratios 0..1. */
export interface TwoProportionResult {
  canaryRate: number;
  baselineRate: number;
  /** Two-sided p-value of "equal rates" (pooled two-proportion z test), 0..1; 1 without events. */
  pValue: number;
  /**
   * One-sided p-value of "canary rate ≤ (1 + tolerance) · baseline rate" (small: the canary is
   * significantly higher beyond the tolerance), 0..1.
   */
  pHigher: number;
  /** One-sided p-value of "canary rate ≥ (1 - tolerance) · baseline rate", 0..1. */
  pLower: number;
}

/**
 * Two-proportion comparison. The equality test is the pooled z test; the tolerance tests are Wald
 * z tests of `p1 - r·p2` (r = 1 ± tolerance) on Agresti-Caffo adjusted rates ((x + 1) / (n + 2)),
 * which keep their level with zero or few events, where plain Wald tests are anti-conservative.
 *
 * Pure.
 *
 * @param tolerance - relative, ≥ 0 (0.2: the canary may have up to 20 % more errors)
 * @returns null when either revision had no requests
 * @example twoProportionTest(30, 1000, 5, 1000, 0.2)?.pHigher // < 0.001
 */
export function twoProportionTest(
  canaryEvents: number,
  canaryTotal: number,
  baselineEvents: number,
  baselineTotal: number,
  tolerance: number,
): TwoProportionResult | null {
  if (canaryTotal <= 0 || baselineTotal <= 0) return null;
  const canaryRate = canaryEvents / canaryTotal;
  const baselineRate = baselineEvents / baselineTotal;
  const pooled = (canaryEvents + baselineEvents) / (canaryTotal + baselineTotal);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / canaryTotal + 1 / baselineTotal));
  const pValue =
    pooledSe > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(canaryRate - baselineRate) / pooledSe)) : 1;
  const p1 = (canaryEvents + 1) / (canaryTotal + 2);
  const p2 = (baselineEvents + 1) / (baselineTotal + 2);
  const v1 = (p1 * (1 - p1)) / (canaryTotal + 2);
  const v2 = (p2 * (1 - p2)) / (baselineTotal + 2);
  const oneSided = (ratio: number, sign: 1 | -1): number =>
    normalCdf((-sign * (p1 - ratio * p2)) / Math.sqrt(v1 + ratio * ratio * v2));
  return {
    canaryRate,
    baselineRate,
    pValue,
    pHigher: oneSided(1 + tolerance, 1),
    pLower: oneSided(Math.max(1 - tolerance, 0), -1),
  };
}
