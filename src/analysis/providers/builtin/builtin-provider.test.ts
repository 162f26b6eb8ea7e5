import { describe, expect, it } from 'vitest';
import { MIRROR_SET, type RevisionStats } from '../../../dataplane/protocol.js';
import type { BuiltinMetricProvider, Metric } from '../../../spec/types.js';
import { MetricProviderError } from '../../errors.js';
import type { AnalysisRun } from '../../types.js';
import { builtinProvider } from './builtin-provider.js';

const run: AnalysisRun = {
  name: 'r',
  rollout: 'app',
  revision: 2,
  revisions: { stable: 1, canary: 2 },
  kind: 'step',
  spec: { metrics: [] },
  status: { phase: 'Running', startedAt: 0, metricResults: [] },
};

function statsFor(revision: number, overrides: Partial<RevisionStats>): RevisionStats {
  return {
    rollout: 'app',
    revision,
    windowSeconds: 10,
    requests: 200,
    errors: 4,
    status: { '1xx': 0, '2xx': 196, '3xx': 0, '4xx': 0, '5xx': 4, proxyError: 0 },
    requestRate: 20,
    errorRate: 0.02,
    latency: 0.25,
    quantile: 0.95,
    ...overrides,
  };
}

async function measure(config: BuiltinMetricProvider, overrides: Partial<RevisionStats> = {}) {
  const asked: [number, number, number][] = [];
  const metric: Metric = { name: 'm', provider: { builtin: config } };
  const value = await builtinProvider.measure(metric, {
    run,
    signal: new AbortController().signal,
    stats: async (revision, windowSeconds, quantile) => {
      asked.push([revision, windowSeconds, quantile]);
      return statsFor(revision, overrides);
    },
  });
  return { value, asked };
}

describe('builtinProvider', () => {
  it("should read the mirror role and the mismatch rate from the canary's mirrored answers", async () => {
    const sets: (string | undefined)[] = [];
    const measureMirror = (config: BuiltinMetricProvider, mismatchRate: number | null) =>
      builtinProvider.measure(
        { name: 'm', provider: { builtin: config } },
        {
          run,
          signal: new AbortController().signal,
          stats: async (revision, _w, _q, set) => {
            sets.push(`${revision}${set ?? ''}`);
            return statsFor(revision, { errorRate: 1, mirror: { compared: 8, mismatches: 4, mismatchRate } });
          },
        },
      );
    expect(await measureMirror({ metric: 'error-rate', revision: 'mirror' }, 0.5)).toBe(1);
    expect(await measureMirror({ metric: 'mirror-mismatch-rate' }, 0.5)).toBe(0.5);
    expect(await measureMirror({ metric: 'mirror-mismatch-rate', revision: 'stable' }, null)).toBeNaN();
    expect(sets).toEqual([`2${MIRROR_SET}`, `2${MIRROR_SET}`, `2${MIRROR_SET}`]);
  });

  it('should read the canary error rate over 10 s by default', async () => {
    expect(await measure({ metric: 'error-rate' })).toEqual({ value: 0.02, asked: [[2, 10, 0.95]] });
  });

  it('should read the request rate of the stable revision over the given window', async () => {
    expect(await measure({ metric: 'request-rate', revision: 'stable', window: '1m' })).toEqual({
      value: 20,
      asked: [[1, 60, 0.95]],
    });
  });

  it('should read the latency quantile in seconds', async () => {
    expect((await measure({ metric: 'latency', quantile: 0.99 })).asked).toEqual([[2, 10, 0.99]]);
    expect((await measure({ metric: 'latency' })).value).toBe(0.25);
  });

  it('should give NaN when the revision had no traffic', async () => {
    expect((await measure({ metric: 'error-rate' }, { requests: 0, errorRate: null })).value).toBeNaN();
    expect((await measure({ metric: 'latency' }, { requests: 0, latency: null })).value).toBeNaN();
  });

  it('should throw when the role has no revision in the run', async () => {
    await expect(measure({ metric: 'error-rate', revision: 'preview' })).rejects.toThrow(MetricProviderError);
    await expect(measure({ metric: 'error-rate', revision: 'preview' })).rejects.toThrow(
      /no preview revision/,
    );
  });

  it('should accept a valid configuration and placeholders', () => {
    expect(
      builtinProvider.validate({ metric: 'latency', quantile: 0.5, revision: 'active', window: 30 }, 'p'),
    ).toEqual([]);
    expect(builtinProvider.validate({ metric: '{{args.kind}}', window: '{{args.w}}' }, 'p')).toEqual([]);
    expect(builtinProvider.validate({ metric: 'error-rate', extra: 1 }, 'p')).toEqual([
      'p.extra: unknown field (expected metric, quantile, revision, window, flag, variant)',
    ]);
    expect(builtinProvider.validate('error-rate', 'p')).toHaveLength(1);
  });

  it("should read a flag variant's figures from the revision's responses that named it", async () => {
    const sets: (string | undefined)[] = [];
    const value = await builtinProvider.measure(
      { name: 'm', provider: { builtin: { metric: 'error-rate', flag: 'new-planner', variant: 'on' } } },
      {
        run,
        signal: new AbortController().signal,
        stats: async (revision, _w, _q, set) => {
          sets.push(`${revision}${set ?? ''}`);
          return statsFor(revision, { errorRate: 0.5 });
        },
      },
    );
    expect(value).toBe(0.5);
    expect(sets).toEqual(['2:flag:new-planner=on']);
    expect(
      builtinProvider.validate({ metric: 'latency', flag: 'f', variant: 'on', revision: 'stable' }, 'p'),
    ).toEqual([]);
    expect(builtinProvider.validate({ metric: 'error-rate', flag: 'f' }, 'p')).toEqual([
      'p.variant: flag and variant go together (the responses that named flag=variant)',
    ]);
    expect(
      builtinProvider.validate({ metric: 'error-rate', flag: 'f', variant: 'on', revision: 'mirror' }, 'p'),
    ).toEqual([
      'p.revision: flag and variant measure a revision\'s own traffic (canary, stable, preview, active), not "mirror"',
    ]);
  });
});
