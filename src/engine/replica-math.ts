import type { IntOrPercent } from '../spec/types.js';

/**
 * Resolves an int-or-percent value against a total, as Kubernetes' `GetScaledValueFromIntOrPercent`:
 * `25%` of 10 is 3 when rounding up, 2 when rounding down.
 * @param value - an integer or a string `N%`.
 * @param total - replica count the percentage applies to.
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = Number.parseFloat(value);
  const raw = (percent * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

/**
 * Canary replicas for a traffic weight, as Argo Rollouts with traffic routing: ceil(replicas × weight / 100),
 * at least 1 while the weight is above 0.
 * @param weight - percent 0..100.
 */
export function canaryReplicasFor(replicas: number, weight: number): number {
  if (weight <= 0) return 0;
  return Math.max(1, Math.ceil((replicas * weight) / 100));
}

/**
 * Splits 100 percent over counts in proportion, with integer shares that sum to 100 (largest remainder).
 * Returns all zeros when every count is zero.
 */
export function proportionalWeights(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return counts.map(() => 0);
  const exact = counts.map((c) => (c * 100) / total);
  const shares = exact.map(Math.floor);
  let left = 100 - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (const { i } of order) {
    if (left <= 0) break;
    shares[i] = (shares[i] ?? 0) + 1;
    left--;
  }
  return shares;
}
