/**
 * Exact (Clopper-Pearson) confidence bounds of a binomial proportion, to state how well a count of
 * rare outcomes (false rollbacks over simulated canaries) bounds their rate.
 */
import { logGamma } from './seeded-random.js';

/** P(X ≤ k) for X ~ Binomial(n, p). Pure. */
function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const logP = Math.log(p);
  const logQ = Math.log(1 - p);
  const logNFact = logGamma(n + 1);
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += Math.exp(logNFact - logGamma(i + 1) - logGamma(n - i + 1) + i * logP + (n - i) * logQ);
  }
  return Math.min(sum, 1);
}

/**
 * The upper Clopper-Pearson bound of a proportion: the p with P(X ≤ successes | n, p) = (1 -
 * confidence) / 2, found by bisection (to 1e-12). Pure.
 *
 * @param confidence - two-sided confidence level, 0..1 exclusive. @default 0.95
 * @returns ratio 0..1 (1 when successes = trials)
 * @example clopperPearsonUpper(0, 1000) // 0.00368
 */
export function clopperPearsonUpper(successes: number, trials: number, confidence = 0.95): number {
  if (successes >= trials) return 1;
  const tail = (1 - confidence) / 2;
  let low = successes / trials;
  let high = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (binomialCdf(successes, trials, mid) > tail) low = mid;
    else high = mid;
  }
  return high;
}
