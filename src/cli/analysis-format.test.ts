import { describe, expect, it } from 'vitest';
import {
  type AnalysisRun,
  createAnalysisRun,
  measurementFromError,
  measurementFromValue,
  recordMeasurement,
} from '../analysis/index.js';
import { initialStatus } from '../engine/index.js';
import { rolloutResource } from '../server/index.js';
import type { Metric } from '../spec/types.js';
import {
  compactMeasurements,
  formatAnalysisRun,
  formatAnalysisRunList,
  formatAnalysisTemplateList,
} from './analysis-format.js';
import { formatRollout } from './format.js';

const errorRate: Metric = {
  name: 'error-rate',
  interval: '1s',
  successCondition: 'isNaN(result) || result < 0.05',
  provider: { builtin: { metric: 'error-rate', window: '4s' } },
};
const latency: Metric = {
  name: 'latency',
  interval: '1s',
  failureCondition: 'result > 500',
  consecutiveErrorLimit: 2,
  provider: { builtin: { metric: 'latency' } },
};

/** A background run of `demo`: latency measured 120 then an error; error-rate 0.01, 0.02, then 0.4 (fails). */
function failedRun(): AnalysisRun {
  let run = createAnalysisRun({
    name: 'demo-r2-bg',
    rollout: 'demo',
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'background',
    spec: { metrics: [latency, errorRate] },
    now: Date.UTC(2030, 0, 1),
  });
  const at = (s: number) => Date.UTC(2030, 0, 1, 0, 0, s);
  run = recordMeasurement(run, 'latency', measurementFromValue(latency, 120, at(1), at(1)), at(1));
  run = recordMeasurement(run, 'latency', measurementFromError(new Error('no samples'), at(2), at(2)), at(2));
  [0.01, 0.02, 0.4].forEach((v, i) => {
    run = recordMeasurement(
      run,
      'error-rate',
      measurementFromValue(errorRate, v, at(i + 1), at(i + 1)),
      at(i + 1),
    );
  });
  return run;
}

describe('formatAnalysisRun', () => {
  it("should show the run's phase and message and, per metric, phase, counters, condition and measurements", () => {
    const run = failedRun();
    expect(run.status.phase).toBe('Failed');
    const text = formatAnalysisRun(run);
    expect(text).toMatch(/^Name:\s+demo-r2-bg$/m);
    expect(text).toMatch(/^Rollout:\s+demo \(revision 2, background\)$/m);
    expect(text).toMatch(/^Status:\s+✖ Failed$/m);
    expect(text).toMatch(
      /^Message:\s+Metric "error-rate" assessed Failed due to failed \(1\) > failureLimit \(0\)$/m,
    );
    expect(text).toMatch(/^METRIC error-rate {2}✖ Failed$/m);
    expect(text).toContain(
      'Counters:     successful 2, failed 1, inconclusive 0, error 0, consecutiveError 0',
    );
    expect(text).toContain('Condition:    successCondition isNaN(result) || result < 0.05');
    expect(text).toContain(
      'Limits:       failureLimit 0, inconclusiveLimit 0, consecutiveErrorLimit 4; interval 1s',
    );
    expect(text).toMatch(/^ {4}2030-01-01T00:00:03\.000Z {2}✖ Failed +0\.4$/m);
    expect(text).toMatch(/^ {4}2030-01-01T00:00:01\.000Z {2}✔ Successful +0\.01$/m);
    // The other metric, terminated by the failure: its error and its own condition.
    expect(text).toContain('Condition:    failureCondition result > 500');
    expect(text).toContain('consecutiveError 1');
    expect(text).toMatch(/⚠ Error\s+-\s+no samples$/m);
  });

  it('should list only the last N measurements, oldest first', () => {
    const text = formatAnalysisRun(failedRun(), { measurements: 1 });
    expect(text).toContain('Measurements (last 1 of 3 kept, 3 taken):');
    expect(text).not.toContain('0.01');
    expect(text).toMatch(/✖ Failed\s+0\.4/);
  });
});

describe('formatAnalysisRunList', () => {
  it('should show one run per line with rollout, revision, kind, phase and metric phases', () => {
    const text = formatAnalysisRunList([failedRun()]);
    const [header, row] = text.split('\n');
    expect(header).toMatch(/^NAME\s+ROLLOUT\s+REVISION\s+KIND\s+PHASE\s+STARTED\s+METRICS$/);
    expect(row).toMatch(
      /^demo-r2-bg\s+demo\s+2\s+background\s+✖ Failed\s+2030-01-01T00:00:00\.000Z\s+latency ✔, error-rate ✖$/,
    );
  });
});

describe('formatAnalysisTemplateList', () => {
  it('should show each template with its kind, namespace and metrics', () => {
    const text = formatAnalysisTemplateList([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'slo', namespace: 'checkout' },
        spec: { metrics: [errorRate, latency] },
      },
      {
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'ClusterAnalysisTemplate',
        metadata: { name: 'smoke' },
        spec: { metrics: [{ name: 'pass', provider: { job: { command: ['true'] } } }] },
      },
    ]);
    const [header, namespaced, cluster] = text.split('\n');
    expect(header).toMatch(/^NAME\s+KIND\s+NAMESPACE\s+METRICS$/);
    expect(namespaced).toMatch(
      /^slo\s+AnalysisTemplate\s+checkout\s+error-rate \(builtin\), latency \(builtin\)$/,
    );
    expect(cluster).toMatch(/^smoke\s+ClusterAnalysisTemplate\s+-\s+pass \(job\)$/);
  });
});

describe('compactMeasurements', () => {
  it('should give the phase icon and a short value of the latest measurements', () => {
    const run = failedRun();
    const m = run.status.metricResults.find((r) => r.name === 'error-rate')!;
    expect(compactMeasurements(m.measurements)).toBe('✔ 0.01 ✔ 0.02 ✖ 0.4');
    expect(compactMeasurements(m.measurements, 2)).toBe('✔ 0.02 ✖ 0.4');
    expect(
      compactMeasurements([{ phase: 'Successful', startedAt: 0, finishedAt: 1, value: '0.0123456' }]),
    ).toBe('✔ 0.01235');
    expect(compactMeasurements([{ phase: 'Running', startedAt: 0 }])).toBe('◌ …');
  });
});

describe('formatRollout', () => {
  it("should show each current run's metrics with their latest measurements", () => {
    const run = failedRun();
    const status = {
      ...initialStatus(0),
      analysisRuns: [{ name: run.name, kind: run.kind, phase: run.status.phase }],
    };
    const rollout = rolloutResource({
      name: 'demo',
      spec: { port: 8080, template: { command: ['x'] }, strategy: { canary: { steps: [] } } },
      status,
      revisions: [],
      targetRevision: 2,
      createdAt: 0,
    });
    const text = formatRollout({
      rollout,
      replicaSets: [],
      listeners: [],
      revisions: [],
      analysisRuns: [run],
    });
    expect(text).toContain('✖ demo-r2-bg  Failed');
    expect(text).toMatch(
      /^ {4}error-rate: ✖ Failed {2}✔ 2 {2}✖ 1 {2}\? 0 {2}⚠ 0 {2}\[✔ 0\.01 ✔ 0\.02 ✖ 0\.4\]$/m,
    );
    expect(text).toMatch(/^ {4}latency: ✔ Successful .*\[✔ 120 ⚠ -\]$/m);
  });
});
