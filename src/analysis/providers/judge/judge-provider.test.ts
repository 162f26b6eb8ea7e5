import { describe, expect, it } from 'vitest';
import type { TrafficSeconds } from '../../../dataplane/protocol.js';
import type { Metric } from '../../../spec/types.js';
import type { AnalysisRun } from '../../types.js';
import { isVerdict } from '../provider.js';
import { judgeProvider } from './judge-provider.js';

const run: AnalysisRun = {
  name: 'r',
  rollout: 'app',
  revision: 2,
  revisions: { stable: 1, canary: 2 },
  kind: 'step',
  spec: { metrics: [] },
  status: { phase: 'Running', startedAt: 0, metricResults: [] },
};
const BOUNDS = [0.05, 0.06, 0.072, 0.0864, 0.10368, 0.124416];

/** 60 seconds of traffic; each revision's second is (requests, errors, latency pairs). */
function traffic(
  canary: [number, number, [number, number][]],
  stable: [number, number, [number, number][]],
): TrafficSeconds {
  const seconds = ([requests, errors, latency]: [number, number, [number, number][]]) =>
    Array.from({ length: 60 }, (_, i) => ({ second: 1000 + i, requests, errors, latency }));
  return {
    rollout: 'app',
    from: 1000,
    to: 1060,
    latencyBounds: BOUNDS,
    revisions: [
      { revision: 1, seconds: seconds(stable) },
      { revision: 2, seconds: seconds(canary) },
    ],
  };
}

async function judge(config: Record<string, unknown>, data: TrafficSeconds) {
  const windows: unknown[] = [];
  const metric: Metric = { name: 'judge', provider: { judge: config } };
  const result = await judgeProvider.measure(metric, {
    run,
    signal: new AbortController().signal,
    stats: () => Promise.reject(new Error('unused')),
    traffic: async (range) => {
      windows.push(range);
      return data;
    },
  });
  if (!isVerdict(result)) throw new Error('expected a verdict');
  return { ...result, windows };
}

const both = {
  metrics: [
    { name: 'errors', metric: 'error-rate', critical: true },
    { name: 'latency', metric: 'latency' },
  ],
};

describe('judgeProvider', () => {
  it('should fail a canary with a critical error-rate regression, over the last 60 s by default', async () => {
    const r = await judge(both, traffic([20, 2, [[1, 20]]], [180, 1, [[1, 180]]]));
    expect(r.phase).toBe('Failed');
    expect(r.message).toMatch(/critical metric errors failed: score 0/);
    expect(r.windows).toEqual([{ window: 60 }]);
  });

  it('should pass equal revisions', async () => {
    const r = await judge(
      both,
      traffic(
        [
          20,
          0,
          [
            [1, 10],
            [2, 10],
          ],
        ],
        [
          180,
          1,
          [
            [1, 90],
            [2, 90],
          ],
        ],
      ),
    );
    expect(r.phase).toBe('Successful');
    expect(r.value).toMatchObject({ score: 100 });
  });

  it('should score a slower canary with a non-critical latency metric (50 -> marginal -> Failed)', async () => {
    const r = await judge(
      both,
      traffic(
        [
          20,
          0,
          [
            [3, 10],
            [4, 10],
          ],
        ],
        [
          180,
          0,
          [
            [1, 90],
            [2, 90],
          ],
        ],
      ),
    );
    expect(r.phase).toBe('Failed');
    expect((r.value as { metrics: { class: string }[] }).metrics.map((m) => m.class)).toEqual([
      'Pass',
      'High',
    ]);
  });

  it('should be Inconclusive with too few samples, never Failed', async () => {
    const r = await judge({ ...both, window: '10s' }, traffic([0, 0, []], [1, 0, [[1, 1]]]));
    expect(r.phase).toBe('Inconclusive');
    expect(r.message).toMatch(/too few samples/);
  });

  it('should validate its configuration', () => {
    expect(judgeProvider.validate({ ...both, thresholds: { pass: 90, marginal: 50 } }, 'p')).toEqual([]);
    expect(
      judgeProvider.validate(
        {
          window: '10m',
          thresholds: { pass: 50, marginal: 80 },
          metrics: [{ name: 'e', metric: 'cpu', weight: 0 }],
        },
        'p',
      ),
    ).toEqual([
      'p.window: expected a duration from 1s to 300s, got "10m"',
      'p.thresholds: marginal (80) must not exceed pass (50)',
      'p.metrics[0].metric: expected one of error-rate, latency, got "cpu"',
      'p.metrics[0].weight: expected a number > 0, got 0',
    ]);
    expect(judgeProvider.validate({ metrics: [] }, 'p')).toEqual([
      'p.metrics: expected a non-empty list of {name, metric}',
    ]);
  });
});
