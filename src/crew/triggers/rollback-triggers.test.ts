import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROLLBACK_TRIGGERS,
  evaluateRollbackTriggers,
  INITIAL_ROLLBACK_TRIGGER_STATE,
  ROLLBACK_TRIGGER_KINDS,
  type RollbackSample,
  type RollbackTriggerPolicy,
  type RollbackTriggerResult,
} from './index.js';

const T0 = Date.UTC(2025, 0, 1, 12);

/** One sample per second for `seconds` seconds starting at `fromS`, all alike. */
function perSecond(fromS: number, seconds: number, sample: Omit<RollbackSample, 'at'>): RollbackSample[] {
  return Array.from({ length: seconds }, (_, i) => ({ ...sample, at: T0 + (fromS + i) * 1_000 }));
}

function run(samples: readonly RollbackSample[], policy?: RollbackTriggerPolicy): RollbackTriggerResult[] {
  let state = INITIAL_ROLLBACK_TRIGGER_STATE;
  return samples.map((sample) => {
    const result = evaluateRollbackTriggers(state, sample, policy);
    state = result.state;
    return result;
  });
}

const failing = { requests: 100, errors: 21, p95Ms: 120 };
const healthy = { requests: 100, errors: 1, p95Ms: 120 };

describe('ROLLBACK_TRIGGER_KINDS', () => {
  it('should list the sampled and the event triggers', () => {
    expect(ROLLBACK_TRIGGER_KINDS).toEqual([
      'errorRate',
      'p95',
      'smokeTest',
      'healthCheck',
      'manual',
      'monitor',
    ]);
  });
});

describe('evaluateRollbackTriggers', () => {
  it('should default to 5% errors for 120 s, p95 over 500 ms at once, and 20 requests a sample', () => {
    expect(DEFAULT_ROLLBACK_TRIGGERS).toEqual({
      errorRate: { threshold: 0.05, forSeconds: 120 },
      p95Ms: { threshold: 500, forSeconds: 0 },
      minRequests: 20,
    });
  });

  it('should trigger on an error rate above 5% only after 120 s of per-second samples', () => {
    const results = run(perSecond(0, 121, failing));
    expect(results.slice(0, 120).every((result) => result.trigger === null)).toBe(true);
    expect(results[120]?.trigger).toEqual({
      kind: 'errorRate',
      reason: 'error rate 0.21 > 0.05 for 120 s',
      values: { errorRate: 0.21, threshold: 0.05, requests: 100, errors: 21, forSeconds: 120 },
    });
  });

  it('should not trigger when one healthy second interrupts the window', () => {
    const samples = [
      ...perSecond(0, 60, failing),
      ...perSecond(60, 1, healthy),
      ...perSecond(61, 100, failing),
    ];
    expect(run(samples).some((result) => result.trigger !== null)).toBe(false);
  });

  it('should not trigger on an error rate of exactly the threshold', () => {
    const samples = perSecond(0, 200, { requests: 100, errors: 5, p95Ms: 100 });
    expect(run(samples).some((result) => result.trigger !== null)).toBe(false);
  });

  it('should treat samples under minRequests as no data: a short lull keeps the breach, a long one ends it', () => {
    const lull = { requests: 19, errors: 19, p95Ms: 9_000 };
    const short = [...perSecond(0, 60, failing), ...perSecond(60, 2, lull), ...perSecond(62, 59, failing)];
    const shortResults = run(short);
    expect(shortResults.at(-1)?.trigger).toMatchObject({ kind: 'errorRate', values: { forSeconds: 120 } });
    expect(shortResults.slice(60, 62).map((result) => result.trigger)).toEqual([null, null]);

    const long = [...perSecond(0, 60, failing), ...perSecond(60, 10, lull), ...perSecond(70, 100, failing)];
    expect(run(long).some((result) => result.trigger !== null)).toBe(false);
  });

  it('should trigger on p95 above 500 ms at the first sample by default', () => {
    const [result] = run(perSecond(0, 1, { requests: 50, errors: 0, p95Ms: 812 }));
    expect(result?.trigger).toEqual({
      kind: 'p95',
      reason: 'p95 812 ms > 500 ms',
      values: { p95Ms: 812, thresholdMs: 500, requests: 50, forSeconds: 0 },
    });
  });

  it.each([
    ['p95 of exactly the threshold', { requests: 50, errors: 0, p95Ms: 500 }],
    ['unknown p95', { requests: 50, errors: 0, p95Ms: null }],
    ['too few requests', { requests: 10, errors: 10, p95Ms: 5_000 }],
    ['no requests at all', { requests: 0, errors: 0, p95Ms: null }],
  ])('should not trigger on %s', (_name, sample) => {
    expect(run(perSecond(0, 1, sample))[0]?.trigger).toBeNull();
  });

  it('should honour a configured p95 window', () => {
    const policy: RollbackTriggerPolicy = {
      ...DEFAULT_ROLLBACK_TRIGGERS,
      p95Ms: { threshold: 500, forSeconds: 30 },
    };
    const results = run(perSecond(0, 31, { requests: 50, errors: 0, p95Ms: 700 }), policy);
    expect(results.findIndex((result) => result.trigger !== null)).toBe(30);
    expect(results[30]?.trigger?.reason).toBe('p95 700 ms > 500 ms for 30 s');
  });

  it('should report the error rate when both triggers fire on one sample', () => {
    const policy: RollbackTriggerPolicy = {
      ...DEFAULT_ROLLBACK_TRIGGERS,
      errorRate: { threshold: 0.05, forSeconds: 0 },
    };
    const [result] = run(perSecond(0, 1, { requests: 100, errors: 50, p95Ms: 900 }), policy);
    expect(result?.trigger?.kind).toBe('errorRate');
    expect(result?.state.p95.since).toBe(T0);
  });

  it('should honour maxGapSeconds', () => {
    const samples = [...perSecond(0, 5, failing), ...perSecond(10, 120, failing)];
    const policy: RollbackTriggerPolicy = { ...DEFAULT_ROLLBACK_TRIGGERS, maxGapSeconds: 10 };
    expect(run(samples).some((result) => result.trigger !== null)).toBe(false);
    expect(run(samples, policy).findIndex((result) => result.trigger !== null)).toBe(5 + 110);
  });

  it.each([
    ['negative requests', { at: T0, requests: -1, errors: 0, p95Ms: null }],
    ['more errors than requests', { at: T0, requests: 10, errors: 11, p95Ms: null }],
    ['a negative p95', { at: T0, requests: 10, errors: 0, p95Ms: -5 }],
  ])('should throw RangeError for %s', (_name, sample) => {
    expect(() => evaluateRollbackTriggers(INITIAL_ROLLBACK_TRIGGER_STATE, sample)).toThrow(RangeError);
  });
});
