import { describe, expect, it } from 'vitest';
import type { Metric } from '../spec/types.js';
import {
  assessRun,
  createAnalysisRun,
  dueMetrics,
  nextMeasurementAt,
  recordMeasurement,
  terminateRun,
} from './analysis-run.js';
import { UnknownMetricError } from './errors.js';
import type { AnalysisPhase, AnalysisRun, AnalysisRunSpec, Measurement } from './types.js';

const metric = (overrides: Partial<Metric> = {}): Metric => ({
  name: 'm',
  provider: { builtin: { metric: 'error-rate' } },
  ...overrides,
});

const newRun = (spec: AnalysisRunSpec, now = 0): AnalysisRun =>
  createAnalysisRun({
    name: 'app-2-step-1',
    rollout: 'app',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'step',
    spec,
    now,
  });

const PHASES = { S: 'Successful', F: 'Failed', I: 'Inconclusive', E: 'Error' } as const;
type Letter = keyof typeof PHASES;

const measured = (letter: Letter, at: number): Measurement => ({
  phase: PHASES[letter],
  startedAt: at,
  finishedAt: at,
  value: '0',
  ...(letter === 'E' ? { message: 'provider unreachable' } : {}),
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** Records the letters as measurements of metric `m` 10 s apart; returns the run phase after each. */
function play(m: Metric, letters: Letter[]): { phases: AnalysisPhase[]; run: AnalysisRun } {
  let run = newRun({ metrics: [m] });
  const phases: AnalysisPhase[] = [];
  letters.forEach((letter, i) => {
    run = recordMeasurement(run, m.name, measured(letter, (i + 1) * 10_000), (i + 1) * 10_000);
    phases.push(run.status.phase);
  });
  return { phases, run };
}

describe('recordMeasurement', () => {
  // [rule, metric fields, measurements, run phase after each measurement]
  const sequences: [string, Partial<Metric>, Letter[], AnalysisPhase[]][] = [
    ['no count and no interval: one measurement decides', {}, ['S'], ['Successful']],
    ['no count and no interval: a failure fails', {}, ['F'], ['Failed']],
    ['no count and no interval: inconclusive > inconclusiveLimit 0', {}, ['I'], ['Inconclusive']],
    [
      'count 3: Successful once count is reached',
      { count: 3, interval: '10s' },
      ['S', 'S', 'S'],
      ['Running', 'Running', 'Successful'],
    ],
    [
      'failureLimit 0 (default): the first failure fails',
      { count: 3, interval: '10s' },
      ['S', 'S', 'F'],
      ['Running', 'Running', 'Failed'],
    ],
    [
      'failureLimit 1: one failure is tolerated',
      { count: 3, interval: '10s', failureLimit: 1 },
      ['S', 'F', 'S'],
      ['Running', 'Running', 'Successful'],
    ],
    [
      'failureLimit 1: failed 2 > 1 fails',
      { count: 5, interval: '10s', failureLimit: 1 },
      ['F', 'S', 'F'],
      ['Running', 'Running', 'Failed'],
    ],
    [
      'failures below the limit do not fail at count',
      { count: 2, interval: '10s', failureLimit: 2 },
      ['F', 'F'],
      ['Running', 'Successful'],
    ],
    [
      'inconclusiveLimit 1: inconclusive 2 > 1',
      { count: 3, interval: '10s', inconclusiveLimit: 1 },
      ['I', 'S', 'I'],
      ['Running', 'Running', 'Inconclusive'],
    ],
    [
      'interval without count: measures until terminated',
      { interval: '10s' },
      ['S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S', 'S'],
      Array(12).fill('Running'),
    ],
    [
      'consecutiveErrorLimit 4 (default): the 5th error in a row errors',
      { count: 3, interval: '10s' },
      ['E', 'E', 'E', 'E', 'E'],
      ['Running', 'Running', 'Running', 'Running', 'Error'],
    ],
    [
      'a success resets the consecutive errors',
      { count: 3, interval: '10s' },
      ['E', 'E', 'E', 'E', 'S', 'E', 'E', 'E', 'E'],
      Array(9).fill('Running'),
    ],
    ['consecutiveErrorLimit 0: the first error errors', { consecutiveErrorLimit: 0 }, ['E'], ['Error']],
    ['consecutiveErrorLimit as a string', { consecutiveErrorLimit: '1' }, ['E', 'E'], ['Running', 'Error']],
    [
      'errors do not count toward count',
      { count: 2, interval: '10s' },
      ['E', 'S', 'E', 'S'],
      ['Running', 'Running', 'Running', 'Successful'],
    ],
    ['an error before the single measurement is retried', {}, ['E', 'S'], ['Running', 'Successful']],
    [
      'consecutiveSuccessLimit reached: Successful before count',
      { count: 5, interval: '10s', failureLimit: -1, consecutiveSuccessLimit: 2 },
      ['S', 'F', 'S', 'S'],
      ['Running', 'Running', 'Running', 'Successful'],
    ],
    [
      'only consecutiveSuccessLimit applies and count is reached without it: Failed',
      { count: 3, interval: '10s', failureLimit: -1, consecutiveSuccessLimit: 3 },
      ['S', 'F', 'S'],
      ['Running', 'Running', 'Failed'],
    ],
    [
      'both limits apply and count is reached without either: Inconclusive',
      { count: 3, interval: '10s', failureLimit: 1, consecutiveSuccessLimit: 3 },
      ['S', 'F', 'S'],
      ['Running', 'Running', 'Inconclusive'],
    ],
    [
      'both limits apply: failureLimit breached first fails',
      { count: 5, interval: '10s', failureLimit: 0, consecutiveSuccessLimit: 2 },
      ['S', 'F'],
      ['Running', 'Failed'],
    ],
    [
      'both limits apply: consecutiveSuccessLimit reached first succeeds',
      { count: 5, interval: '10s', failureLimit: 1, consecutiveSuccessLimit: 2 },
      ['F', 'S', 'S'],
      ['Running', 'Running', 'Successful'],
    ],
    [
      'consecutiveSuccessLimit with an interval and no count',
      { interval: '10s', consecutiveSuccessLimit: 3 },
      ['S', 'S', 'S'],
      ['Running', 'Running', 'Successful'],
    ],
    [
      'an error resets the consecutive successes',
      { interval: '10s', failureLimit: -1, consecutiveSuccessLimit: 2 },
      ['S', 'E', 'S', 'S'],
      ['Running', 'Running', 'Running', 'Successful'],
    ],
  ];
  it.each(sequences)('should apply Argo rule: %s', (_rule, fields, letters, expected) => {
    expect(play(metric(fields), letters).phases).toEqual(expected);
  });

  it('should keep the counters over every measurement', () => {
    const { run } = play(metric({ count: 6, interval: '10s', failureLimit: 3, inconclusiveLimit: 3 }), [
      'S',
      'F',
      'I',
      'E',
      'S',
      'S',
    ]);
    expect(run.status.metricResults[0]).toMatchObject({
      count: 5,
      successful: 3,
      failed: 1,
      inconclusive: 1,
      error: 1,
      consecutiveError: 0,
      consecutiveSuccess: 2,
      phase: 'Running',
    });
  });

  it('should keep the 10 most recent measurements by default while counting all', () => {
    const { run } = play(metric({ interval: '10s' }), Array<Letter>(12).fill('S'));
    const result = run.status.metricResults[0]!;
    expect(result.measurements).toHaveLength(10);
    expect(result.measurements[0]?.startedAt).toBe(30_000);
    expect(result.count).toBe(12);
  });

  it('should keep the number of measurements measurementRetention asks for', () => {
    let run = newRun({
      metrics: [metric({ interval: '10s' })],
      measurementRetention: [{ metricName: 'm', limit: 3 }],
    });
    for (let i = 1; i <= 5; i++) run = recordMeasurement(run, 'm', measured('S', i * 1000), i * 1000);
    expect(run.status.metricResults[0]?.measurements.map((m) => m.startedAt)).toEqual([3000, 4000, 5000]);
  });

  it('should not modify the run it is given', () => {
    const run = deepFreeze(newRun({ metrics: [metric({ count: 2, interval: '10s' })] }));
    const next = recordMeasurement(run, 'm', measured('S', 1), 1);
    expect(run.status.metricResults[0]?.measurements).toHaveLength(0);
    expect(next.status.metricResults[0]?.measurements).toHaveLength(1);
  });

  it('should drop a measurement for a completed run', () => {
    const { run } = play(metric(), ['F']);
    expect(recordMeasurement(run, 'm', measured('S', 99), 99)).toBe(run);
  });

  it('should throw UnknownMetricError for a metric the run does not have', () => {
    expect(() => recordMeasurement(newRun({ metrics: [metric()] }), 'other', measured('S', 1), 1)).toThrow(
      UnknownMetricError,
    );
  });

  it('should replace an in-flight measurement instead of appending', () => {
    let run = newRun({ metrics: [metric({ count: 2, interval: '10s' })] });
    run = recordMeasurement(run, 'm', { phase: 'Running', startedAt: 5 }, 5);
    expect(run.status.metricResults[0]?.phase).toBe('Running');
    run = recordMeasurement(run, 'm', measured('S', 5), 6);
    expect(run.status.metricResults[0]?.measurements).toHaveLength(1);
    expect(run.status.metricResults[0]?.count).toBe(1);
  });

  it('should stamp finishedAt on the run when it completes', () => {
    const { run } = play(metric(), ['S']);
    expect(run.status.finishedAt).toBe(10_000);
  });
});

describe('assessRun', () => {
  it('should fail the run and terminate the other metrics when one metric fails', () => {
    let run = newRun({
      metrics: [metric({ name: 'a', count: 3, interval: '10s' }), metric({ name: 'b', interval: '10s' })],
    });
    run = recordMeasurement(run, 'b', measured('S', 1), 1);
    run = recordMeasurement(run, 'a', measured('F', 2), 2);
    expect(run.status.phase).toBe('Failed');
    expect(run.status.message).toBe('Metric "a" assessed Failed due to failed (1) > failureLimit (0)');
    expect(run.status.metricResults.map((r) => r.phase)).toEqual(['Failed', 'Successful']);
  });

  it('should give the worst phase once every metric completed', () => {
    let run = newRun({ metrics: [metric({ name: 'a' }), metric({ name: 'b', consecutiveErrorLimit: 0 })] });
    run = recordMeasurement(run, 'a', measured('S', 1), 1);
    expect(run.status.phase).toBe('Running');
    run = recordMeasurement(run, 'b', measured('E', 2), 2);
    expect(run.status.phase).toBe('Error');
    expect(run.status.message).toBe(
      'Metric "b" assessed Error due to consecutiveErrors (1) > consecutiveErrorLimit (0): "Error Message: provider unreachable"',
    );
  });

  it('should stay Running while a metric has not measured yet', () => {
    let run = newRun({ metrics: [metric({ name: 'a' }), metric({ name: 'b', initialDelay: '1m' })] });
    run = recordMeasurement(run, 'a', measured('S', 1), 1);
    expect(assessRun(run).phase).toBe('Running');
    expect(assessRun(run).metricPhases).toEqual([
      { name: 'a', phase: 'Successful' },
      { name: 'b', phase: 'Pending' },
    ]);
  });

  it('should ignore a dry-run metric that fails, and flag its result', () => {
    let run = newRun({
      metrics: [metric({ name: 'a' }), metric({ name: 'b', count: 2, interval: '10s' })],
      dryRun: [{ metricName: 'a' }],
    });
    run = recordMeasurement(run, 'a', measured('F', 1), 1);
    expect(run.status.phase).toBe('Running');
    expect(run.status.metricResults[0]).toMatchObject({
      phase: 'Failed',
      dryRun: true,
      message: 'Metric assessed Failed due to failed (1) > failureLimit (0)',
    });
    run = recordMeasurement(run, 'b', measured('S', 2), 2);
    expect(run.status.phase).toBe('Running');
    run = recordMeasurement(run, 'b', measured('S', 3), 3);
    expect(run.status.phase).toBe('Successful');
  });

  it('should treat dryRun `*` as every metric', () => {
    let run = newRun({
      metrics: [metric({ name: 'a' }), metric({ name: 'b' })],
      dryRun: [{ metricName: '*' }],
    });
    run = recordMeasurement(run, 'a', measured('F', 1), 1);
    run = recordMeasurement(run, 'b', measured('I', 2), 2);
    expect(run.status.phase).toBe('Successful');
  });

  it('should put a run whose metrics break the rules in Error at creation', () => {
    const run = newRun({ metrics: [metric({ count: 3 })] });
    expect(run.status.phase).toBe('Error');
    expect(run.status.message).toContain('spec.metrics[0].count: count > 1 needs an interval');
  });
});

describe('terminateRun', () => {
  it('should end a run without measurements Successful with message Run Terminated', () => {
    const run = terminateRun(newRun({ metrics: [metric({ interval: '10s' })] }), 5);
    expect(run.status).toMatchObject({
      phase: 'Successful',
      message: 'Run Terminated',
      terminated: true,
      finishedAt: 5,
    });
  });

  it('should end an indefinite metric Successful', () => {
    const { run } = play(metric({ interval: '10s' }), ['S', 'S']);
    expect(terminateRun(run, 99).status.phase).toBe('Successful');
  });

  it('should end every metric Successful when none failed', () => {
    let run = newRun({ metrics: [metric({ name: 'a' }), metric({ name: 'b', interval: '10s' })] });
    run = recordMeasurement(run, 'a', measured('S', 1), 1);
    run = terminateRun(run, 2);
    expect(run.status.phase).toBe('Successful');
    expect(run.status.metricResults.map((r) => r.phase)).toEqual(['Successful', 'Successful']);
  });

  it('should leave a completed run unchanged', () => {
    const { run } = play(metric(), ['F']);
    expect(terminateRun(run, 99)).toBe(run);
  });
});

describe('dueMetrics / nextMeasurementAt', () => {
  it('should make the first measurement due at once', () => {
    const run = newRun({ metrics: [metric()] }, 1000);
    expect(dueMetrics(run, 1000)).toEqual(['m']);
    expect(nextMeasurementAt(run)).toBe(1000);
  });

  it('should delay the first measurement by initialDelay', () => {
    const run = newRun({ metrics: [metric({ initialDelay: '30s' })] }, 1000);
    expect(dueMetrics(run, 30_999)).toEqual([]);
    expect(nextMeasurementAt(run)).toBe(31_000);
    expect(dueMetrics(run, 31_000)).toEqual(['m']);
  });

  it('should space measurements by interval and stop at count', () => {
    let run = newRun({ metrics: [metric({ count: 2, interval: '1m' })] });
    run = recordMeasurement(run, 'm', measured('S', 5000), 5000);
    expect(nextMeasurementAt(run)).toBe(65_000);
    expect(dueMetrics(run, 64_999)).toEqual([]);
    expect(dueMetrics(run, 65_000)).toEqual(['m']);
    run = recordMeasurement(run, 'm', measured('S', 65_000), 65_000);
    expect(nextMeasurementAt(run)).toBeUndefined();
  });

  it('should retry an errored measurement after 10 s whatever the interval', () => {
    let run = newRun({ metrics: [metric({ count: 2, interval: '5m' })] });
    run = recordMeasurement(run, 'm', measured('E', 1000), 1000);
    expect(nextMeasurementAt(run)).toBe(11_000);
  });

  it('should schedule nothing once the run is terminated or completed', () => {
    const run = newRun({ metrics: [metric({ interval: '10s' })] });
    expect(nextMeasurementAt(terminateRun(run, 0))).toBeUndefined();
    expect(dueMetrics(play(metric(), ['S']).run, 1e9)).toEqual([]);
  });

  it('should not measure the other metrics once one failed', () => {
    let run = newRun({ metrics: [metric({ name: 'a' }), metric({ name: 'b', initialDelay: '1m' })] });
    run = recordMeasurement(run, 'a', measured('F', 1), 1);
    expect(dueMetrics(run, 1e9)).toEqual([]);
  });
});
