import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import type { RevisionStats } from '../dataplane/protocol.js';
import type { Metric } from '../spec/types.js';
import { createAnalysisRun, nextMeasurementAt } from './analysis-run.js';
import { AnalysisRunner } from './analysis-runner.js';
import {
  builtinProvider,
  createProviderRegistry,
  type MeasureContext,
  type MetricProviderPlugin,
  verdict,
} from './providers/index.js';
import type { AnalysisRun } from './types.js';

/** A provider whose answers the test scripts: a value, an error, or a promise it controls. */
class FakeProvider implements MetricProviderPlugin {
  readonly type = 'fake';
  readonly calls: { metric: string; at: number }[] = [];
  readonly signals: AbortSignal[] = [];
  constructor(
    private readonly clock: SimulatedClock,
    private readonly answer: (metric: Metric, ctx: MeasureContext) => Promise<unknown>,
  ) {}
  validate(): string[] {
    return [];
  }
  measure(metric: Metric, ctx: MeasureContext): Promise<unknown> {
    this.calls.push({ metric: metric.name, at: this.clock.now() });
    this.signals.push(ctx.signal);
    return this.answer(metric, ctx);
  }
}

const fakeMetric = (overrides: Partial<Metric> = {}): Metric => ({
  name: 'm',
  successCondition: 'result < 0.05',
  provider: { fake: {} },
  ...overrides,
});

const FAKE_AND_BUILTIN = createProviderRegistry([
  builtinProvider,
  { type: 'fake', validate: () => [], measure: async () => null },
]);

function newRun(metrics: Metric[], now: number): AnalysisRun {
  return createAnalysisRun({
    name: 'r',
    rollout: 'app',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'background',
    spec: { metrics },
    now,
    providers: FAKE_AND_BUILTIN,
  });
}

const noStats = (): Promise<RevisionStats> => Promise.reject(new Error('no stats in this test'));

describe('AnalysisRunner', () => {
  it('should measure at every interval and complete at count, with a simulated clock', async () => {
    const clock = new SimulatedClock(1_000_000);
    const values = [0.01, 0.02, 0.03];
    const provider = new FakeProvider(clock, async () => values.shift());
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
    });
    let run = newRun([fakeMetric({ count: 3, interval: '30s' })], clock.now());

    run = await runner.step(run);
    expect(run.status.phase).toBe('Running');
    expect(nextMeasurementAt(run)).toBe(1_030_000);
    run = await runner.step(run); // not due yet
    expect(provider.calls).toHaveLength(1);
    clock.advance(30_000);
    run = await runner.step(run);
    clock.advance(30_000);
    run = await runner.step(run);
    expect(provider.calls.map((c) => c.at)).toEqual([1_000_000, 1_030_000, 1_060_000]);
    expect(run.status.phase).toBe('Successful');
    expect(run.status.metricResults[0]?.measurements.map((m) => m.value)).toEqual(['0.01', '0.02', '0.03']);
  });

  it('should fail the run on a value that breaks the condition', async () => {
    const clock = new SimulatedClock(0);
    const provider = new FakeProvider(clock, async () => 0.5);
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
    });
    const run = await runner.step(newRun([fakeMetric()], 0));
    expect(run.status.phase).toBe('Failed');
  });

  it('should record a provider error as an Error measurement and retry it 10 s later', async () => {
    const clock = new SimulatedClock(0);
    let fail = true;
    const provider = new FakeProvider(clock, async () => {
      if (fail) throw new Error('connection refused');
      return 0.01;
    });
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
    });
    let run = await runner.step(newRun([fakeMetric()], 0));
    expect(run.status.metricResults[0]?.measurements[0]).toMatchObject({
      phase: 'Error',
      message: 'connection refused',
    });
    expect(run.status.phase).toBe('Running');
    fail = false;
    clock.advance(9_999);
    run = await runner.step(run);
    expect(provider.calls).toHaveLength(1);
    clock.advance(1);
    run = await runner.step(run);
    expect(run.status.phase).toBe('Successful');
  });

  it('should bound a measurement by the timeout and abort the provider', async () => {
    const clock = new SimulatedClock(0);
    const provider = new FakeProvider(clock, () => new Promise(() => {}));
    let fireTimeout: (() => void) | undefined;
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
      timeoutMs: 5_000,
      delay: () =>
        new Promise<void>((resolve) => {
          fireTimeout = resolve;
        }),
    });
    const pending = runner.step(newRun([fakeMetric()], 0));
    await Promise.resolve();
    expect(fireTimeout).toBeDefined();
    fireTimeout?.();
    const run = await pending;
    expect(run.status.metricResults[0]?.measurements[0]).toMatchObject({
      phase: 'Error',
      message: 'measurement of metric m timed out after 5000 ms',
    });
    expect(provider.signals[0]?.aborted).toBe(true);
  });

  it('should give a provider its declared timeout plus grace (a job timeoutSeconds of 40 used to be cut at 30 s)', async () => {
    const clock = new SimulatedClock(0);
    const slow = new FakeProvider(clock, async () => 0.01);
    const provider: MetricProviderPlugin = {
      type: 'fake',
      validate: () => [],
      measure: (metric, ctx) => slow.measure(metric, ctx),
      timeoutMs: () => 40_000,
    };
    const bounds: number[] = [];
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
      timeoutMs: 30_000,
      delay: (ms) => {
        bounds.push(ms);
        return new Promise<void>(() => {});
      },
    });
    const run = await runner.step(newRun([fakeMetric()], 0));
    expect(bounds).toEqual([45_000]);
    expect(run.status.metricResults[0]?.measurements[0]?.phase).toBe('Successful');
  });

  it('should measure due metrics concurrently', async () => {
    const clock = new SimulatedClock(0);
    const started: string[] = [];
    const release: (() => void)[] = [];
    const provider = new FakeProvider(clock, (metric) => {
      started.push(metric.name);
      return new Promise((resolve) => release.push(() => resolve(0.01)));
    });
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
    });
    const pending = runner.step(newRun([fakeMetric({ name: 'a' }), fakeMetric({ name: 'b' })], 0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b']);
    for (const r of release) r();
    expect((await pending).status.phase).toBe('Successful');
  });

  it('should record Error for a metric whose provider is not registered', async () => {
    const clock = new SimulatedClock(0);
    const runner = new AnalysisRunner({ clock, stats: noStats, providers: createProviderRegistry([]) });
    const run = await runner.step(newRun([fakeMetric()], 0));
    expect(run.status.metricResults[0]?.measurements[0]?.message).toMatch(
      /no metric provider "fake" is registered/,
    );
  });

  it('should hand the builtin provider the stats of the rollout, bound to the run', async () => {
    const clock = new SimulatedClock(0);
    const asked: unknown[] = [];
    const runner = new AnalysisRunner({
      clock,
      stats: async (run, revision, windowSeconds, quantile) => {
        asked.push([run.rollout, revision, windowSeconds, quantile]);
        return stats({ errorRate: 0.01 });
      },
    });
    const run = await runner.step(
      newRun(
        [
          {
            name: 'e',
            successCondition: 'result < 0.05',
            provider: { builtin: { metric: 'error-rate', window: '30s' } },
          },
        ],
        0,
      ),
    );
    expect(asked).toEqual([['app', 2, 30, 0.95]]);
    expect(run.status.phase).toBe('Successful');
  });

  it('should leave a completed run unchanged', async () => {
    const clock = new SimulatedClock(0);
    const runner = new AnalysisRunner({ clock, stats: noStats });
    const run = newRun([fakeMetric()], 0);
    const done = { ...run, status: { ...run.status, phase: 'Failed' as const } };
    expect(await runner.step(done)).toBe(done);
  });

  // Regression (issue 9): a provider's output (a job echoing its env, a body echoing a header)
  // put secret values into stored measurements.
  it('should hand the provider the secret values and mask them in the recorded message and value', async () => {
    const clock = new SimulatedClock(1_000_000);
    const seen: unknown[] = [];
    const provider = new FakeProvider(clock, async (metric) => {
      seen.push(metric.provider.fake);
      return verdict('Failed', 'tok-123 and eu%2Fwest', 'stdout: token=tok-123 region=eu/west');
    });
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
      argSources: {
        env: { CUTOVER_SECRET_API_TOKEN: 'tok-123', REGION: 'eu/west' },
        envAllow: ['REGION'],
      },
    });
    const run = newRun(
      [fakeMetric({ provider: { fake: { auth: '{{args.token}}', at: '{{ args.region }}' } } })],
      clock.now(),
    );
    run.spec.args = [
      { name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
      { name: 'region', valueFrom: { env: 'REGION' } },
    ];
    const next = await runner.step(run);
    expect(seen).toEqual([{ auth: 'tok-123', at: 'eu/west' }]);
    const [measurement] = next.status.metricResults[0]!.measurements;
    expect(measurement).toMatchObject({
      value: '***** and *****',
      message: 'stdout: token=***** region=*****',
    });
    expect(JSON.stringify(next)).not.toMatch(/tok-123|eu\/west|eu%2Fwest/);
  });

  it('should record an Error measurement naming the variable when a secret arg cannot be read', async () => {
    const clock = new SimulatedClock(1_000_000);
    const provider = new FakeProvider(clock, async () => 0);
    const runner = new AnalysisRunner({
      clock,
      stats: noStats,
      providers: createProviderRegistry([provider]),
    });
    const run = newRun([fakeMetric()], clock.now());
    run.spec.args = [{ name: 'key', valueFrom: { env: 'AWS_SECRET_ACCESS_KEY' } }];
    const next = await runner.step(run);
    expect(provider.calls).toHaveLength(0);
    expect(next.status.metricResults[0]!.measurements[0]).toMatchObject({
      phase: 'Error',
      message: expect.stringContaining("AWS_SECRET_ACCESS_KEY is not in the operator's allow-list"),
    });
  });
});

function stats(overrides: Partial<RevisionStats> = {}): RevisionStats {
  return {
    rollout: 'app',
    revision: 2,
    windowSeconds: 10,
    requests: 100,
    errors: 1,
    status: { '1xx': 0, '2xx': 99, '3xx': 0, '4xx': 0, '5xx': 1, proxyError: 0 },
    requestRate: 10,
    errorRate: 0.01,
    latency: 0.12,
    quantile: 0.95,
    ...overrides,
  };
}
