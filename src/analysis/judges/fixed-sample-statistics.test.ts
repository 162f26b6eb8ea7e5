import { describe, expect, it } from 'vitest';
import { clopperPearsonUpper } from './binomial-confidence.js';
import { scoreCanary } from './canary-score.js';
import { mannWhitneyBinned } from './mann-whitney.js';
import { classifyProportions, classifyShift } from './metric-classification.js';
import { normalCdf, normalQuantile } from './normal-distribution.js';
import { twoProportionTest } from './two-proportion.js';

describe('normal distribution', () => {
  it('should give the textbook quantiles and probabilities', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});

describe('mannWhitneyBinned', () => {
  it('should compute U with mid-ranks for ties (hand-checked)', () => {
    // canary: 1 in bin 0, 2 in bin 1; baseline: 2 in bin 0, 1 in bin 2.
    // Pairs canary>baseline: bin1 vs bin0: 2*2 = 4; ties: bin0-bin0 1*2 = 2 -> +1; U = 5 of 9.
    const r = mannWhitneyBinned([1, 2, 0], [2, 0, 1]);
    expect(r?.u).toBe(5);
    expect(r?.superiority).toBeCloseTo(5 / 9, 12);
  });

  it('should find a one-bin shift and no shift', () => {
    const base = [0, 100, 300, 400, 150, 50, 0, 0];
    const shifted = [0, 0, 100, 300, 400, 150, 50, 0];
    const r = mannWhitneyBinned(shifted, base);
    expect(r?.shift).toBe(1);
    expect(r?.shiftLower).toBe(1);
    expect(r?.pValue).toBeLessThan(1e-6);
    const same = mannWhitneyBinned(base, base);
    expect(same?.shift).toBe(0);
    expect(same?.pValue).toBeGreaterThan(0.5);
    expect(same?.shiftLower).toBeLessThanOrEqual(0);
    expect(same?.shiftUpper).toBeGreaterThanOrEqual(0);
  });

  it('should give null without data', () => {
    expect(mannWhitneyBinned([0, 0], [1, 2])).toBeNull();
  });
});

describe('classification', () => {
  it('should classify a significant error-rate increase beyond tolerance as High and fail it', () => {
    const c = classifyProportions(twoProportionTest(60, 2000, 10, 2000, 0.2), {
      confidence: 0.95,
      tolerance: 0.2,
      direction: 'increase',
      enough: true,
    });
    expect(c.class).toBe('High');
    expect(c.failed).toBe(true);
  });

  it('should pass a difference within tolerance, and not fail Low when only increases matter', () => {
    const within = classifyProportions(twoProportionTest(22, 2000, 20, 2000, 0.2), {
      confidence: 0.95,
      tolerance: 0.2,
      direction: 'either',
      enough: true,
    });
    expect(within.class).toBe('Pass');
    const lower = classifyProportions(twoProportionTest(2, 5000, 60, 5000, 0.2), {
      confidence: 0.95,
      tolerance: 0.2,
      direction: 'increase',
      enough: true,
    });
    expect(lower.class).toBe('Low');
    expect(lower.failed).toBe(false);
  });

  it('should classify a two-bin latency shift (×1.44) as High with a 10 % tolerance, not with 50 %', () => {
    const base = [0, 100, 300, 400, 150, 50, 0, 0, 0];
    const slower = [0, 0, 0, 100, 300, 400, 150, 50, 0];
    const r = mannWhitneyBinned(slower, base);
    expect(classifyShift(r, { tolerance: 0.1, direction: 'increase', enough: true, growth: 1.2 }).class).toBe(
      'High',
    );
    expect(classifyShift(r, { tolerance: 0.5, direction: 'increase', enough: true, growth: 1.2 }).class).toBe(
      'Pass',
    );
  });
});

describe('scoreCanary', () => {
  const m = (name: string, cls: 'Pass' | 'High' | 'Nodata', weight = 1, critical = false) => ({
    name,
    weight,
    critical,
    classification: { class: cls, failed: cls === 'High', reason: '' },
  });
  const thresholds = { pass: 95, marginal: 75 };

  it('should score the weighted share of passing metrics and map it as Kayenta', () => {
    expect(scoreCanary([m('a', 'Pass', 3), m('b', 'High', 1)], thresholds)).toMatchObject({
      score: 75,
      phase: 'Inconclusive',
    });
    expect(scoreCanary([m('a', 'Pass', 1), m('b', 'High', 1)], thresholds)).toMatchObject({
      score: 50,
      phase: 'Failed',
    });
    expect(scoreCanary([m('a', 'Pass'), m('b', 'Pass')], thresholds)).toMatchObject({
      score: 100,
      phase: 'Successful',
    });
  });

  it('should force 0 when a critical metric fails', () => {
    expect(scoreCanary([m('a', 'Pass', 99), m('b', 'High', 1, true)], thresholds)).toMatchObject({
      score: 0,
      phase: 'Failed',
    });
  });

  it('should be Inconclusive, not Failed, with too few samples', () => {
    const s = scoreCanary([m('a', 'Nodata'), m('b', 'Nodata')], thresholds);
    expect(s.phase).toBe('Inconclusive');
    expect(s.message).toMatch(/too few samples/);
  });
});

describe('clopperPearsonUpper', () => {
  it('should match published exact bounds', () => {
    expect(clopperPearsonUpper(0, 1000)).toBeCloseTo(0.003682, 5);
    expect(clopperPearsonUpper(5, 1000)).toBeCloseTo(0.011629, 4);
  });
});
