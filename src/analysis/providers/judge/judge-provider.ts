import { durationToMs, isDuration } from '../../../spec/duration.js';
import type { DurationValue, Metric } from '../../../spec/types.js';
import {
  type FixedSampleJudgeConfig,
  JUDGE_METRICS,
  type JudgeMetric,
  judgeRevisions,
} from '../../judges/fixed-sample-judge.js';
import { METRIC_DIRECTIONS, type MetricDirection } from '../../judges/metric-classification.js';
import { revisionSample } from '../../judges/revision-traffic.js';
import {
  type MeasureContext,
  type MetricProviderPlugin,
  type ProviderVerdict,
  providerConfig,
  verdict,
} from '../provider.js';
import { comparedRevisions, readTraffic } from '../sequential/sequential-provider.js';

/** Window compared when none is given. @default "60s" */
const DEFAULT_JUDGE_WINDOW = '60s';
/** Confidence level of each comparison. @default 0.95 */
const DEFAULT_JUDGE_CONFIDENCE = 0.95;
/** Kayenta's default score thresholds. @default {pass: 95, marginal: 75} */
const DEFAULT_JUDGE_THRESHOLDS = { pass: 95, marginal: 75 } as const;
/** Requests each revision needs in the window (Kayenta asks for 50 data points). @default 50 */
const DEFAULT_JUDGE_MIN_SAMPLES = 50;
/** Harmless relative difference when a metric gives none: error rate 20 %, latency 10 % (one router bucket is 20 %). */
const DEFAULT_JUDGE_TOLERANCE: Readonly<Record<JudgeMetric, number>> = {
  'error-rate': 0.2,
  latency: 0.1,
};

/** One compared metric under `judge.metrics`, as written. */
interface JudgeMetricSpec {
  name: string;
  metric: JudgeMetric;
  /** @default "increase" */
  direction?: MetricDirection;
  /** @default DEFAULT_JUDGE_TOLERANCE */
  tolerance?: number | string;
  /** @default 1 */
  weight?: number | string;
  /** @default false */
  critical?: boolean | string;
}

/** `metric.provider.judge`, as written. */
interface JudgeMetricProvider {
  /** @default "60s" (at most 300 s, the router's ring) */
  window?: DurationValue;
  /** @default 0.95 */
  confidence?: number | string;
  /** @default {pass: 95, marginal: 75} */
  thresholds?: { pass?: number | string; marginal?: number | string };
  /** @default 50 */
  minSamples?: number | string;
  metrics: JudgeMetricSpec[];
}

const isPlaceholder = (v: unknown): boolean => typeof v === 'string' && v.includes('{{');
const asNumber = (v: unknown): number =>
  typeof v === 'string' && v.trim() !== '' ? Number(v) : (v as number);

function checkNumber(v: unknown, at: string, ok: (n: number) => boolean, expected: string): string[] {
  if (v === undefined || isPlaceholder(v)) return [];
  const n = asNumber(v);
  return typeof n === 'number' && Number.isFinite(n) && ok(n)
    ? []
    : [`${at}: expected ${expected}, got ${JSON.stringify(v)}`];
}

function checkKeys(c: Record<string, unknown>, known: readonly string[], at: string): string[] {
  return Object.keys(c)
    .filter((k) => !known.includes(k))
    .map((k) => `${at}.${k}: unknown field (expected ${known.join(', ')})`);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Applies defaults to a validated configuration. Pure. */
function resolve(config: JudgeMetricProvider): { windowSeconds: number; judge: FixedSampleJudgeConfig } {
  return {
    windowSeconds: Math.round(durationToMs(config.window ?? DEFAULT_JUDGE_WINDOW) / 1000),
    judge: {
      confidence: asNumber(config.confidence ?? DEFAULT_JUDGE_CONFIDENCE),
      thresholds: {
        pass: asNumber(config.thresholds?.pass ?? DEFAULT_JUDGE_THRESHOLDS.pass),
        marginal: asNumber(config.thresholds?.marginal ?? DEFAULT_JUDGE_THRESHOLDS.marginal),
      },
      minSamples: asNumber(config.minSamples ?? DEFAULT_JUDGE_MIN_SAMPLES),
      metrics: config.metrics.map((m) => ({
        name: m.name,
        metric: m.metric,
        direction: m.direction ?? 'increase',
        tolerance: asNumber(m.tolerance ?? DEFAULT_JUDGE_TOLERANCE[m.metric]),
        weight: asNumber(m.weight ?? 1),
        critical: m.critical === true || m.critical === 'true',
      })),
    },
  };
}

/**
 * The `judge` metric provider: a fixed-sample comparison of the canary with the stable revision
 * over the same trailing window, as Kayenta's NetflixACAJudge (see judges/fixed-sample-judge.ts):
 * Mann-Whitney U on the router's latency histograms, a two-proportion comparison of error rates,
 * each metric Pass / High / Low / Nodata, a weighted score 0..100 (0 when a critical metric fails).
 * The measurement's phase is decided here, as Argo Rollouts' Kayenta provider maps a score: Failed
 * below `thresholds.marginal`, Successful at or above `thresholds.pass`, Inconclusive between - and
 * Inconclusive, never Failed, when a revision served fewer than `minSamples` requests (unless a
 * metric with data failed).
 *
 * @example
 * ```yaml
 * provider:
 *   judge:
 *     window: 60s
 *     metrics:
 *       - { name: errors, metric: error-rate, critical: true }
 *       - { name: p-latency, metric: latency, tolerance: 0.2 }
 * ```
 */
export const judgeProvider: MetricProviderPlugin = {
  type: 'judge',

  validate(config: unknown, path: string): string[] {
    if (!isRecord(config)) return [`${path}: expected an object with metrics: [{name, metric}]`];
    const problems = checkKeys(config, ['window', 'confidence', 'thresholds', 'minSamples', 'metrics'], path);
    const w = config.window;
    if (
      w !== undefined &&
      !isPlaceholder(w) &&
      (!isDuration(w) || durationToMs(w) < 1000 || durationToMs(w) > 300_000)
    ) {
      problems.push(`${path}.window: expected a duration from 1s to 300s, got ${JSON.stringify(w)}`);
    }
    problems.push(
      ...checkNumber(
        config.confidence,
        `${path}.confidence`,
        (n) => n > 0 && n < 1,
        'a number in (0, 1) exclusive',
      ),
    );
    problems.push(
      ...checkNumber(
        config.minSamples,
        `${path}.minSamples`,
        (n) => Number.isInteger(n) && n >= 1,
        'an integer >= 1',
      ),
    );
    const t = config.thresholds;
    if (t !== undefined) {
      if (!isRecord(t)) problems.push(`${path}.thresholds: expected {pass, marginal}`);
      else {
        problems.push(...checkKeys(t, ['pass', 'marginal'], `${path}.thresholds`));
        const range = (n: number): boolean => n >= 0 && n <= 100;
        problems.push(...checkNumber(t.pass, `${path}.thresholds.pass`, range, 'a score 0..100'));
        problems.push(...checkNumber(t.marginal, `${path}.thresholds.marginal`, range, 'a score 0..100'));
        const pass = asNumber(t.pass ?? DEFAULT_JUDGE_THRESHOLDS.pass);
        const marginal = asNumber(t.marginal ?? DEFAULT_JUDGE_THRESHOLDS.marginal);
        if (Number.isFinite(pass) && Number.isFinite(marginal) && marginal > pass) {
          problems.push(`${path}.thresholds: marginal (${marginal}) must not exceed pass (${pass})`);
        }
      }
    }
    if (!Array.isArray(config.metrics) || config.metrics.length === 0) {
      problems.push(`${path}.metrics: expected a non-empty list of {name, metric}`);
      return problems;
    }
    const names = new Set<string>();
    config.metrics.forEach((m: unknown, i) => {
      const at = `${path}.metrics[${i}]`;
      if (!isRecord(m)) {
        problems.push(`${at}: expected {name, metric}`);
        return;
      }
      problems.push(...checkKeys(m, ['name', 'metric', 'direction', 'tolerance', 'weight', 'critical'], at));
      if (typeof m.name !== 'string' || m.name === '')
        problems.push(`${at}.name: expected a non-empty string`);
      else if (names.has(m.name)) problems.push(`${at}.name: ${JSON.stringify(m.name)} is used twice`);
      else names.add(m.name);
      if (!isPlaceholder(m.metric) && !(JUDGE_METRICS as readonly unknown[]).includes(m.metric)) {
        problems.push(
          `${at}.metric: expected one of ${JUDGE_METRICS.join(', ')}, got ${JSON.stringify(m.metric)}`,
        );
      }
      if (
        m.direction !== undefined &&
        !isPlaceholder(m.direction) &&
        !(METRIC_DIRECTIONS as readonly unknown[]).includes(m.direction)
      ) {
        problems.push(
          `${at}.direction: expected one of ${METRIC_DIRECTIONS.join(', ')}, got ${JSON.stringify(m.direction)}`,
        );
      }
      problems.push(...checkNumber(m.tolerance, `${at}.tolerance`, (n) => n >= 0, 'a number >= 0'));
      problems.push(...checkNumber(m.weight, `${at}.weight`, (n) => n > 0, 'a number > 0'));
      if (
        m.critical !== undefined &&
        !isPlaceholder(m.critical) &&
        ![true, false, 'true', 'false'].includes(m.critical as never)
      ) {
        problems.push(`${at}.critical: expected true or false, got ${JSON.stringify(m.critical)}`);
      }
    });
    return problems;
  },

  async measure(metric: Metric, ctx: MeasureContext): Promise<ProviderVerdict> {
    const config = providerConfig<JudgeMetricProvider>(metric, 'judge', judgeProvider.validate);
    const { windowSeconds, judge } = resolve(config);
    const { canary, stable } = comparedRevisions(ctx.run, 'judge');
    const traffic = await readTraffic(ctx, 'judge', { window: windowSeconds });
    const bounds = traffic.latencyBounds;
    const growth = bounds.length >= 2 ? (bounds[1] ?? 1) / (bounds[0] ?? 1) : 1.2;
    const canarySample = revisionSample(traffic, canary);
    const stableSample = revisionSample(traffic, stable);
    const judgment = judgeRevisions(judge, canarySample, stableSample, growth);
    const value = {
      score: Number.isNaN(judgment.score) ? null : Math.round(judgment.score * 100) / 100,
      window: { from: traffic.from, to: traffic.to },
      canary: { revision: canary, requests: canarySample.requests, errors: canarySample.errors },
      stable: { revision: stable, requests: stableSample.requests, errors: stableSample.errors },
      metrics: judgment.metrics,
    };
    return verdict(judgment.phase, value, judgment.message);
  },
};
