import { describe, expect, it } from 'vitest';
import {
  type AnalysisRun,
  type AnalysisRunSpec,
  createAnalysisRun,
  type Measurement,
  measurementFromError,
  measurementFromValue,
  recordMeasurement,
  terminateRun,
} from '../analysis/index.js';
import type { Metric } from '../spec/types.js';
import { analysisFailureReason } from './analysis-failure-reason.js';

const metric = (overrides: Partial<Metric> = {}): Metric => ({
  name: 'error-rate',
  interval: '1s',
  provider: { builtin: { metric: 'error-rate' } },
  ...overrides,
});

const newRun = (spec: AnalysisRunSpec): AnalysisRun =>
  createAnalysisRun({
    name: 'web-r2-bg',
    rollout: 'web',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'background',
    spec,
    now: 0,
  });

/** Measures each value in turn (through the real condition evaluation) 1 s apart. */
function measure(run: AnalysisRun, name: string, values: unknown[]): AnalysisRun {
  const m = run.spec.metrics.find((x) => x.name === name)!;
  return values.reduce<AnalysisRun>((r, value, i) => {
    const at = (i + 1) * 1000;
    const measurement: Measurement =
      value instanceof Error ? measurementFromError(value, at, at) : measurementFromValue(m, value, at, at);
    return recordMeasurement(r, name, measurement, at);
  }, run);
}

describe('analysisFailureReason', () => {
  it('should name the metric, the failing value and the successCondition it failed', () => {
    const m = metric({ successCondition: 'isNaN(result) || result < 0.05' });
    const run = measure(newRun({ metrics: [m] }), 'error-rate', [0.01, 0.2127659574468085]);
    expect(run.status.phase).toBe('Failed');
    expect(analysisFailureReason(run)).toBe(
      'metric "error-rate" = 0.212766 failed successCondition "isNaN(result) || result < 0.05" (failed 1 > failureLimit 0)',
    );
  });

  it('should name a failureCondition that held and list every failed value up to the limit', () => {
    const m = metric({ failureCondition: 'result >= 0.05', failureLimit: 2 });
    const run = measure(newRun({ metrics: [m] }), 'error-rate', [0.06, 0.01, 0.07, 0.3]);
    expect(run.status.phase).toBe('Failed');
    expect(analysisFailureReason(run)).toBe(
      'metric "error-rate" = 0.06, 0.07, 0.3 met failureCondition "result >= 0.05" (failed 3 > failureLimit 2)',
    );
  });

  it('should give the provider error of a metric that errored too often', () => {
    const m = metric({ successCondition: 'result < 0.05', consecutiveErrorLimit: 1 });
    const down = new Error('connect ECONNREFUSED 127.0.0.1:9090');
    const run = measure(newRun({ metrics: [m] }), 'error-rate', [down, down]);
    expect(run.status.phase).toBe('Error');
    expect(analysisFailureReason(run)).toBe(
      'metric "error-rate" errored: connect ECONNREFUSED 127.0.0.1:9090 (consecutiveErrors 2 > consecutiveErrorLimit 1)',
    );
  });

  it('should say which conditions neither held for an Inconclusive metric', () => {
    const m = metric({ successCondition: 'result < 0.01', failureCondition: 'result > 0.1' });
    const run = measure(newRun({ metrics: [m] }), 'error-rate', [0.05]);
    expect(run.status.phase).toBe('Inconclusive');
    expect(analysisFailureReason(run)).toBe(
      'metric "error-rate" = 0.05 inconclusive (neither successCondition "result < 0.01" nor failureCondition "result > 0.1" held) (inconclusive 1 > inconclusiveLimit 0)',
    );
  });

  it('should name only the metric that failed the run, not a dry-run one nor a passing one', () => {
    const spec: AnalysisRunSpec = {
      metrics: [
        metric({ name: 'latency', successCondition: 'result < 500' }),
        metric({ name: 'shadow', successCondition: 'result < 0' }),
        metric({ successCondition: 'result < 0.05' }),
      ],
      dryRun: [{ metricName: 'shadow' }],
    };
    let run = measure(newRun(spec), 'latency', [120]);
    run = measure(run, 'shadow', [1]);
    run = measure(run, 'error-rate', [0.5]);
    expect(run.status.phase).toBe('Failed');
    const reason = analysisFailureReason(run);
    expect(reason).toMatch(/^metric "error-rate" = 0\.5 failed successCondition/);
    expect(reason).not.toContain('shadow');
    expect(reason).not.toContain('latency');
  });

  it("should keep the run's own message when no metric explains it, and give nothing for a successful run", () => {
    // count > 1 without an interval: the run is created in Error, with Argo's message.
    const invalid = newRun({
      metrics: [{ name: 'x', count: 2, provider: { builtin: { metric: 'error-rate' } } }],
    });
    expect(invalid.status.phase).toBe('Error');
    expect(analysisFailureReason(invalid)).toMatch(/^analysis spec invalid: /);

    const terminated = terminateRun(newRun({ metrics: [metric()] }), 5000);
    expect(terminated.status.phase).toBe('Successful');
    expect(analysisFailureReason(terminated)).toBe('Run Terminated');

    const once = { name: 'once', provider: { builtin: { metric: 'error-rate' as const } } };
    const ok = measure(newRun({ metrics: [once] }), 'once', [0]);
    expect(ok.status.phase).toBe('Successful');
    expect(analysisFailureReason(ok)).toBeUndefined();
  });
});
