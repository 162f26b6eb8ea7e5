/**
 * Classification of one compared metric as Kayenta's NetflixACAJudge does: Pass, High (the canary
 * is higher than the baseline beyond the tolerance, significantly), Low, or Nodata (too few
 * samples). The metric's direction says which of High / Low count as a failure.
 */
import type { MannWhitneyResult } from './mann-whitney.js';
import type { TwoProportionResult } from './two-proportion.js';

/** Classes of a compared metric (Kayenta's `Pass`, `High`, `Low`, `Nodata`). */
const METRIC_CLASSES = ['Pass', 'High', 'Low', 'Nodata'] as const;
export type MetricClass = (typeof METRIC_CLASSES)[number];

/** Which difference fails the metric (Kayenta's `direction`). */
export const METRIC_DIRECTIONS = ['increase', 'decrease', 'either'] as const;
export type MetricDirection = (typeof METRIC_DIRECTIONS)[number];

/** A metric's classification. */
export interface MetricClassification {
  class: MetricClass;
  /** Whether the class fails the metric given its direction (High for `increase`, ...). Nodata is not a failure. */
  failed: boolean;
  /** One line for people, e.g. `canary 2.10% vs stable 0.50% (tolerance 20%, p=0.0003)`. */
  reason: string;
}

/** Whether `cls` fails a metric with `direction`. Pure. */
function fails(cls: MetricClass, direction: MetricDirection): boolean {
  if (cls === 'High') return direction !== 'decrease';
  if (cls === 'Low') return direction !== 'increase';
  return false;
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(2)}%`;
const pFormat = (p: number): string => (p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));

/**
 * Classifies an error-rate comparison: High when the one-sided test of "canary ≤ (1 + tolerance) ·
 * baseline" rejects at α/2, Low when "canary ≥ (1 - tolerance) · baseline" does (α = 1 -
 * confidence, split over the two sides as a two-sided interval). Pure.
 *
 * @param result - the comparison, or null without traffic
 * @param enough - whether both revisions had the minimum number of requests
 */
export function classifyProportions(
  result: TwoProportionResult | null,
  options: { confidence: number; tolerance: number; direction: MetricDirection; enough: boolean },
): MetricClassification {
  if (result === null || !options.enough)
    return { class: 'Nodata', failed: false, reason: 'too few requests' };
  const halfAlpha = (1 - options.confidence) / 2;
  const cls: MetricClass = result.pHigher < halfAlpha ? 'High' : result.pLower < halfAlpha ? 'Low' : 'Pass';
  const p = cls === 'High' ? result.pHigher : cls === 'Low' ? result.pLower : result.pValue;
  return {
    class: cls,
    failed: fails(cls, options.direction),
    reason: `canary ${percent(result.canaryRate)} vs stable ${percent(result.baselineRate)} (tolerance ${percent(options.tolerance)}, p=${pFormat(p)})`,
  };
}

/**
 * Classifies a latency comparison from the Hodges-Lehmann shift of the binned samples: with bins
 * growing by `growth` (the router's 1.2), a shift of k bins is a latency ratio of growth^k. High
 * when the whole confidence interval of the ratio lies above 1 + tolerance, Low when it lies below
 * 1 - tolerance (as Kayenta's MannWhitneyClassifier compares the interval of the effect size with
 * the allowed increase / decrease). Pure.
 *
 * @param growth - ratio between consecutive bin bounds, > 1
 */
export function classifyShift(
  result: MannWhitneyResult | null,
  options: { tolerance: number; direction: MetricDirection; enough: boolean; growth: number },
): MetricClassification {
  if (result === null || !options.enough)
    return { class: 'Nodata', failed: false, reason: 'too few requests' };
  const lower = options.growth ** result.shiftLower;
  const upper = options.growth ** result.shiftUpper;
  const cls: MetricClass =
    lower > 1 + options.tolerance ? 'High' : upper < 1 - options.tolerance ? 'Low' : 'Pass';
  return {
    class: cls,
    failed: fails(cls, options.direction),
    reason: `canary/stable latency ×${(options.growth ** result.shift).toFixed(2)} [${lower.toFixed(2)}, ${upper.toFixed(2)}] (tolerance ${percent(options.tolerance)}, p=${pFormat(result.pValue)})`,
  };
}
