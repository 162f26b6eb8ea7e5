/**
 * The fixed-sample canary judge, as Kayenta's NetflixACAJudge: each metric of the canary is
 * compared with the same metric of the baseline (the stable revision) over one window, classified
 * Pass / High / Low / Nodata, and the classes are scored.
 */
import { type CanaryScore, type ScoreThresholds, scoreCanary } from './canary-score.js';
import { mannWhitneyBinned } from './mann-whitney.js';
import {
  classifyProportions,
  classifyShift,
  type MetricClass,
  type MetricDirection,
} from './metric-classification.js';
import { twoProportionTest } from './two-proportion.js';

/** What a judge metric compares. */
export const JUDGE_METRICS = ['error-rate', 'latency'] as const;
export type JudgeMetric = (typeof JUDGE_METRICS)[number];

/** One compared metric, defaults applied. */
interface JudgeMetricConfig {
  name: string;
  metric: JudgeMetric;
  direction: MetricDirection;
  /** Relative difference that is harmless, ≥ 0 (0.2: up to 20 % higher or lower passes). */
  tolerance: number;
  /** > 0. */
  weight: number;
  critical: boolean;
}

/** A judge, defaults applied. */
export interface FixedSampleJudgeConfig {
  /** Confidence level of each comparison, 0..1 exclusive (0.95: α = 0.05, two-sided). */
  confidence: number;
  thresholds: ScoreThresholds;
  /** Requests each revision needs in the window before a metric is classified. */
  minSamples: number;
  metrics: JudgeMetricConfig[];
}

/** One revision's traffic over the window. */
export interface RevisionSample {
  requests: number;
  /** Failed requests (5xx and proxy errors). */
  errors: number;
  /** Requests per latency bin, bins ordered by latency. */
  latency: ArrayLike<number>;
}

/** Outcome of {@link judgeRevisions}: the score and each metric's class. */
export interface FixedSampleJudgment extends CanaryScore {
  metrics: { name: string; class: MetricClass; failed: boolean; reason: string }[];
}

/**
 * Compares the canary with the baseline on every metric and scores the result (see
 * `scoreCanary`). A metric for which either revision served fewer than `minSamples` requests is
 * Nodata, which makes the judgment Inconclusive rather than Failed unless a metric with data failed.
 * Pure.
 *
 * @param latencyGrowth - ratio between consecutive latency bin bounds (the router's: 1.2)
 */
export function judgeRevisions(
  config: FixedSampleJudgeConfig,
  canary: RevisionSample,
  baseline: RevisionSample,
  latencyGrowth: number,
): FixedSampleJudgment {
  const enough = canary.requests >= config.minSamples && baseline.requests >= config.minSamples;
  const scored = config.metrics.map((m) => {
    const classification =
      m.metric === 'error-rate'
        ? classifyProportions(
            twoProportionTest(
              canary.errors,
              canary.requests,
              baseline.errors,
              baseline.requests,
              m.tolerance,
            ),
            { confidence: config.confidence, tolerance: m.tolerance, direction: m.direction, enough },
          )
        : classifyShift(mannWhitneyBinned(canary.latency, baseline.latency, config.confidence), {
            tolerance: m.tolerance,
            direction: m.direction,
            enough,
            growth: latencyGrowth,
          });
    return { name: m.name, classification, weight: m.weight, critical: m.critical };
  });
  const score = scoreCanary(scored, config.thresholds);
  return {
    ...score,
    metrics: scored.map((s) => ({ name: s.name, ...s.classification })),
  };
}
