import { describe, expect, it } from 'vitest';
import type { RevisionSecondDetail, TrafficSeconds } from '../../../dataplane/protocol.js';
import type { Metric } from '../../../spec/types.js';
import { measurementFromValue } from '../../measurement.js';
import type { AnalysisRun } from '../../types.js';
import type { MeasureContext } from '../provider.js';
import { type SequentialValue, sequentialProvider } from './sequential-provider.js';

const START = 1_700_000_000;
const BOUNDS = [0.1, 0.2, 0.5, 1];

function baseRun(): AnalysisRun {
  return {
    name: 'r',
    rollout: 'app',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'background',
    spec: { metrics: [] },
    status: {
      phase: 'Running',
      startedAt: START * 1000,
      metricResults: [
        {
          name: 'seq',
          phase: 'Running',
          measurements: [],
          count: 0,
          successful: 0,
          failed: 0,
          inconclusive: 0,
          error: 0,
          consecutiveError: 0,
          consecutiveSuccess: 0,
        },
      ],
    },
  };
}

/** A router that served `perSecond(second, revision)` for every second up to `now` (exclusive). */
function router(perSecond: (second: number, revision: number) => RevisionSecondDetail | undefined) {
  const asked: number[] = [];
  let now = START;
  const traffic = async (range: { from: number } | { window: number }): Promise<TrafficSeconds> => {
    const from = 'from' in range ? Math.max(range.from, now - 300) : now - range.window;
    asked.push(from);
    const revisions = [1, 2].map((revision) => {
      const seconds: RevisionSecondDetail[] = [];
      for (let s = from; s < now; s++) {
        const d = perSecond(s, revision);
        if (d !== undefined) seconds.push(d);
      }
      return { revision, seconds };
    });
    return { rollout: 'app', from, to: now, latencyBounds: BOUNDS, revisions };
  };
  return { traffic, asked, advance: (s: number) => (now += s) };
}

/** Takes a measurement and records it in the run as the runner does (value stored as a string). */
async function measure(run: AnalysisRun, metric: Metric, traffic: MeasureContext['traffic']) {
  const result = await sequentialProvider.measure(metric, {
    run,
    signal: new AbortController().signal,
    stats: () => Promise.reject(new Error('unused')),
    ...(traffic !== undefined ? { traffic } : {}),
  });
  const measurement = measurementFromValue(metric, result, 0, 0);
  const mr = run.status.metricResults[0]!;
  mr.measurements.push(measurement);
  if (measurement.phase === 'Successful') mr.successful++;
  if (measurement.phase === 'Failed') mr.failed++;
  return { measurement, value: JSON.parse(measurement.value ?? '{}') as SequentialValue };
}

const metric = (config: Record<string, unknown>): Metric => ({
  name: 'seq',
  interval: '1s',
  provider: { sequential: config },
});

describe('sequentialProvider', () => {
  it('should fail within seconds when the canary errors 10x more than the stable', async () => {
    // canary 50 req/s with 10 % errors; stable 450 req/s with 1 %.
    const r = router((second, revision) =>
      revision === 2
        ? { second, requests: 50, errors: 5, latency: [[0, 50]] }
        : { second, requests: 450, errors: 4 + (second % 2), latency: [[0, 450]] },
    );
    const run = baseRun();
    const m = metric({ metric: 'error-rate' });
    const phases: string[] = [];
    for (let i = 0; i < 10; i++) {
      r.advance(1);
      phases.push((await measure(run, m, r.traffic)).measurement.phase);
    }
    expect(phases.indexOf('Failed')).toBeGreaterThanOrEqual(0);
    expect(phases.indexOf('Failed')).toBeLessThan(5);
    expect(run.status.metricResults[0]!.measurements.at(-1)?.message).toMatch(/canary worse than stable/);
  });

  it('should stay Successful with equal error rates and count every second exactly once', async () => {
    const r = router((second, revision) =>
      revision === 2
        ? { second, requests: 20, errors: second % 10 === 0 ? 1 : 0, latency: [] }
        : { second, requests: 180, errors: second % 2 === 0 ? 1 : 0, latency: [] },
    );
    const run = baseRun();
    const m = metric({ metric: 'error-rate' });
    let last: SequentialValue | undefined;
    for (let i = 0; i < 30; i++) {
      r.advance(i % 3 === 0 ? 3 : 1); // irregular measurement times
      const { measurement, value } = await measure(run, m, r.traffic);
      expect(measurement.phase).toBe('Successful');
      last = value;
    }
    // 3*10 + 1*20 = 50 seconds observed
    expect(last?.canary.requests).toBe(50 * 20);
    expect(last?.stable.requests).toBe(50 * 180);
    expect(last?.next).toBe(START + 50);
  });

  it('should resume from the stored run after a restart without double counting', async () => {
    const r = router((second, revision) => ({
      second,
      requests: revision === 2 ? 10 : 90,
      errors: 0,
      latency: [],
    }));
    const run = baseRun();
    const m = metric({ metric: 'error-rate' });
    r.advance(5);
    await measure(run, m, r.traffic);
    // "restart": a new provider call on the run as stored (JSON round trip), no new seconds.
    const stored = JSON.parse(JSON.stringify(run)) as AnalysisRun;
    const again = await measure(stored, m, r.traffic);
    expect(again.value.canary.requests).toBe(50);
    expect(r.asked.at(-1)).toBe(START + 5);
  });

  it('should carry the restart schedule across measurements and refuse stored evidence without it', async () => {
    const r = router((second, revision) => ({
      second,
      requests: revision === 2 ? 10 : 90,
      errors: 1,
      latency: [],
    }));
    const run = baseRun();
    const m = metric({ metric: 'error-rate' });
    r.advance(7);
    await measure(run, m, r.traffic);
    r.advance(8);
    const split = await measure(run, m, r.traffic);
    expect(split.value.intervals).toBe(15);
    // The same 15 seconds in one measurement give the same statistic.
    const whole = baseRun();
    const w = router((second, revision) => ({
      second,
      requests: revision === 2 ? 10 : 90,
      errors: 1,
      latency: [],
    }));
    w.advance(15);
    const once = await measure(whole, m, w.traffic);
    expect(split.value.logLR).toBeCloseTo(once.value.logLR, 10);
    // Evidence stored before restarted tests existed (no `intervals`) is not silently reinterpreted.
    const old = JSON.parse(
      run.status.metricResults[0]!.measurements.at(-1)!.value!,
    ) as Partial<SequentialValue>;
    delete old.intervals;
    run.status.metricResults[0]!.measurements.at(-1)!.value = JSON.stringify(old);
    await expect(measure(run, m, r.traffic)).rejects.toThrow(/unknown shape/);
  });

  it('should refuse to start over when its evidence was dropped', async () => {
    const run = baseRun();
    run.status.metricResults[0]!.successful = 3;
    const r = router(() => undefined);
    await expect(measure(run, metric({ metric: 'error-rate' }), r.traffic)).rejects.toThrow(
      /refusing to start over/,
    );
  });

  it('should count requests slower than latencyThreshold for metric latency', async () => {
    // threshold 200ms: buckets above 0.2 s (index >= 2) are slow. Canary: half slow; stable: 2 %.
    const r = router((second, revision) =>
      revision === 2
        ? {
            second,
            requests: 40,
            errors: 0,
            latency: [
              [1, 20],
              [2, 20],
            ],
          }
        : {
            second,
            requests: 400,
            errors: 0,
            latency: [
              [1, 392],
              [3, 8],
            ],
          },
    );
    const run = baseRun();
    r.advance(3);
    const { measurement, value } = await measure(
      run,
      metric({ metric: 'latency', latencyThreshold: '200ms' }),
      r.traffic,
    );
    expect(value.canary.events).toBe(60);
    expect(value.stable.events).toBe(24);
    expect(measurement.phase).toBe('Failed');
  });

  it('should be Error without a data plane, and validate its configuration', async () => {
    await expect(measure(baseRun(), metric({ metric: 'error-rate' }), undefined)).rejects.toThrow(
      /no data plane/,
    );
    expect(sequentialProvider.validate({ metric: 'error-rate', alpha: 0.01, margin: '0.1' }, 'p')).toEqual(
      [],
    );
    expect(sequentialProvider.validate({ metric: 'latency' }, 'p')).toEqual([
      'p.latencyThreshold: required for metric latency (a duration such as 500ms)',
    ]);
    expect(sequentialProvider.validate({ metric: 'error-rate', alpha: 2, margin: -1, x: 1 }, 'p')).toEqual([
      'p.x: unknown field (expected metric, alpha, margin, latencyThreshold, minSamples)',
      'p.alpha: expected a number in (0, 1) exclusive, got 2',
      'p.margin: expected a number >= 0, got -1',
    ]);
  });
});
