import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../analysis/judges/seeded-random.js';
import type { TrafficSeconds } from '../../dataplane/protocol.js';
import {
  initialSequentialState,
  observeSequentialTriggers,
  type SequentialTriggerState,
  slowRequestThresholdMs,
} from './sequential-triggers.js';

// Buckets: 10 ms, 100 ms, 1 s; bucket 3 is above 1 s.
const BOUNDS = [0.01, 0.1, 1];
const policy = { alpha: 0.01, margin: 0.1, slowRequestMs: 100, errorRate: 0.05, p95Ms: 1000 };

/** One second of traffic: `n` requests per revision with `errors` and `slow` (> 100 ms) among them. */
function second(
  at: number,
  canary: { n: number; errors: number; slow: number },
  stable: { n: number; errors: number; slow: number },
): TrafficSeconds {
  const detail = (x: { n: number; errors: number; slow: number }) => ({
    second: at,
    requests: x.n,
    errors: x.errors,
    latency: [
      [0, x.n - x.slow],
      [2, x.slow],
    ] as [number, number][],
  });
  return {
    rollout: 'web',
    from: at,
    to: at + 1,
    latencyBounds: BOUNDS,
    revisions: [
      { revision: 2, seconds: x(canary) ? [detail(canary)] : [] },
      { revision: 1, seconds: x(stable) ? [detail(stable)] : [] },
    ],
  };
  function x(v: { n: number }) {
    return v.n > 0;
  }
}

/** Runs seconds until a trigger fires or `max` seconds pass. @returns the second it fired (or null). */
function run(
  max: number,
  make: (t: number) => TrafficSeconds,
): { firedAt: number | null; state: SequentialTriggerState; kind: string | null } {
  let state = initialSequentialState(1000, 0.05);
  for (let t = 1000; t < 1000 + max; t++) {
    const r = observeSequentialTriggers(state, make(t), { canary: 2, stable: 1 }, policy);
    state = r.state;
    if (r.trigger !== null) return { firedAt: t - 1000 + 1, state, kind: r.trigger.kind };
  }
  return { firedAt: null, state, kind: null };
}

describe('sequential rollback triggers', () => {
  it('should catch 20% errors at a 20% weight of 20 req/s within the first 30 s step', () => {
    const random = createSeededRandom(7);
    const result = run(30, (t) => {
      return second(t, { n: 4, errors: random.binomial(4, 0.2), slow: 0 }, { n: 16, errors: 0, slow: 0 });
    });
    expect(result.kind).toBe('errorRate');
    expect(result.firedAt).not.toBeNull();
    expect(result.firedAt!).toBeLessThanOrEqual(30);
  });

  it('should catch +300 ms on every request of the new revision as slow requests within seconds', () => {
    const result = run(30, (t) => second(t, { n: 2, errors: 0, slow: 2 }, { n: 8, errors: 0, slow: 0 }));
    expect(result.kind).toBe('latency');
    expect(result.firedAt!).toBeLessThanOrEqual(10);
  });

  it('should stay quiet for 10 minutes of a healthy revision with the same 1% errors and 1% slow requests as stable', () => {
    const random = createSeededRandom(11);
    const draw = (n: number, p: number) => random.binomial(n, p);
    const result = run(600, (t) =>
      second(
        t,
        { n: 20, errors: draw(20, 0.01), slow: draw(20, 0.01) },
        { n: 80, errors: draw(80, 0.01), slow: draw(80, 0.01) },
      ),
    );
    expect(result.firedAt).toBeNull();
    expect(result.state.errors.canaryRequests).toBe(12_000);
  });

  it('should catch p95 above its bound at 5 req/s with no stable traffic (after a full promotion)', () => {
    // Every request above 1 s (bucket 3): p95 > p95Ms (1000 ms).
    const result = run(30, (t) => ({
      ...second(t, { n: 5, errors: 0, slow: 0 }, { n: 0, errors: 0, slow: 0 }),
      revisions: [{ revision: 2, seconds: [{ second: t, requests: 5, errors: 0, latency: [[3, 5]] }] }],
    }));
    expect(result.kind).toBe('p95');
    expect(result.firedAt!).toBeLessThanOrEqual(5);
  });

  it('should stay quiet for 10 minutes of 2% errors alone against a 5% bound, and catch 30% at once', () => {
    const random = createSeededRandom(3);
    const alone = (t: number, p: number) =>
      second(t, { n: 10, errors: random.binomial(10, p), slow: 0 }, { n: 0, errors: 0, slow: 0 });
    expect(run(600, (t) => alone(t, 0.02)).firedAt).toBeNull();
    const bad = run(30, (t) => alone(t, 0.3));
    expect(bad.kind).toBe('errorRate');
    expect(bad.firedAt!).toBeLessThanOrEqual(10);
  });

  it('should never count a second twice, nor seconds before the release applied its revision', () => {
    let state = initialSequentialState(1005, 0.05);
    const early = second(1000, { n: 10, errors: 10, slow: 0 }, { n: 10, errors: 0, slow: 0 });
    state = observeSequentialTriggers(state, early, { canary: 2, stable: 1 }, policy).state;
    expect(state.errors.canaryRequests).toBe(0);
    const s = second(1005, { n: 10, errors: 1, slow: 0 }, { n: 10, errors: 0, slow: 0 });
    state = observeSequentialTriggers(state, s, { canary: 2, stable: 1 }, policy).state;
    state = observeSequentialTriggers(state, s, { canary: 2, stable: 1 }, policy).state;
    expect(state.errors.canaryRequests).toBe(10);
    expect(state.firstErrorAt).toBe(1_005_000);
  });

  it('should take the configured slow threshold, else the baseline p99 + 100 ms, else the p95 threshold', () => {
    expect(slowRequestThresholdMs(250, 40, 500)).toBe(250);
    expect(slowRequestThresholdMs(undefined, 40, 500)).toBe(140);
    expect(slowRequestThresholdMs(undefined, null, 500)).toBe(500);
  });
});
