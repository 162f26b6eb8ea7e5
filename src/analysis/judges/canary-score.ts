/**
 * The canary score, as Kayenta's NetflixACAJudge computes it and Argo Rollouts' Kayenta provider
 * maps it to a measurement phase.
 */
import type { MetricClassification } from './metric-classification.js';

/** One classified metric with its weight. */
export interface ScoredMetric {
  name: string;
  classification: MetricClassification;
  /** Relative weight, > 0. */
  weight: number;
  /** A failing critical metric forces the score to 0. */
  critical: boolean;
}

/** Kayenta's score thresholds (Argo Rollouts' `kayenta.threshold`), 0..100. */
export interface ScoreThresholds {
  /** Score at or above which the canary passes. */
  pass: number;
  /** Score below which the canary fails; between the two it is Inconclusive. */
  marginal: number;
}

/** Outcome of {@link scoreCanary}. */
export interface CanaryScore {
  /** Weighted share of passing metrics, 0..100; NaN when no metric had data. */
  score: number;
  phase: 'Successful' | 'Failed' | 'Inconclusive';
  /** Why, in one line. */
  message: string;
}

/**
 * Scores classified metrics: 100 · (weight of metrics that did not fail) / (weight of metrics with
 * data); 0 when a critical metric failed. The phase is Failed when a critical metric failed or the
 * score is below `marginal`; otherwise Inconclusive when any metric had no data (too few samples
 * never give a false Failed) or the score is below `pass`; otherwise Successful. Pure.
 *
 * @example scoreCanary([{ name: 'errors', classification: { class: 'High', failed: true, reason: '' }, weight: 1, critical: true }], { pass: 95, marginal: 75 }).phase // 'Failed'
 */
export function scoreCanary(metrics: readonly ScoredMetric[], thresholds: ScoreThresholds): CanaryScore {
  const critical = metrics.filter((m) => m.critical && m.classification.failed);
  const withData = metrics.filter((m) => m.classification.class !== 'Nodata');
  const noData = metrics.filter((m) => m.classification.class === 'Nodata');
  const failedNames = metrics.filter((m) => m.classification.failed).map((m) => m.name);
  const total = withData.reduce((sum, m) => sum + m.weight, 0);
  const passing = withData.filter((m) => !m.classification.failed).reduce((sum, m) => sum + m.weight, 0);
  const score = critical.length > 0 ? 0 : total > 0 ? (100 * passing) / total : Number.NaN;
  const describe = (prefix: string): string =>
    [prefix, ...metrics.map((m) => `${m.name}: ${m.classification.class} (${m.classification.reason})`)].join(
      '; ',
    );
  if (critical.length > 0) {
    return {
      score,
      phase: 'Failed',
      message: describe(`critical metric ${critical.map((m) => m.name).join(', ')} failed: score 0`),
    };
  }
  if (total > 0 && score < thresholds.marginal) {
    return {
      score,
      phase: 'Failed',
      message: describe(
        `score ${score.toFixed(1)} < marginal ${thresholds.marginal} (failed: ${failedNames.join(', ')})`,
      ),
    };
  }
  if (noData.length > 0) {
    return {
      score,
      phase: 'Inconclusive',
      message: describe(`too few samples for ${noData.map((m) => m.name).join(', ')}`),
    };
  }
  if (score < thresholds.pass) {
    return {
      score,
      phase: 'Inconclusive',
      message: describe(
        `score ${score.toFixed(1)} between marginal ${thresholds.marginal} and pass ${thresholds.pass}`,
      ),
    };
  }
  return {
    score,
    phase: 'Successful',
    message: describe(`score ${score.toFixed(1)} >= pass ${thresholds.pass}`),
  };
}
