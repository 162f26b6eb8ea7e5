import { describe, expect, it } from 'vitest';
import {
  type AnalysisRun,
  createAnalysisRun,
  measurementFromValue,
  recordMeasurement,
} from '../analysis/index.js';
import type { ControllerStats } from '../controller/index.js';
import { initialStatus, type RolloutStatus } from '../engine/index.js';
import type { Metric } from '../spec/types.js';
import type { StoredRollout } from '../store/index.js';
import { ControlPlaneMetrics, lastNumericValue } from './control-plane-metrics.js';

const errorRate: Metric = {
  name: 'error-rate',
  interval: '1s',
  successCondition: 'isNaN(result) || result < 0.05',
  provider: { builtin: { metric: 'error-rate' } },
};

function run(name: string, rollout: string, values: unknown[]): AnalysisRun {
  let r = createAnalysisRun({
    name,
    rollout,
    revision: 2,
    revisions: { stable: 1, canary: 2 },
    kind: 'background',
    spec: { metrics: [errorRate] },
    now: 0,
  });
  values.forEach((v, i) => {
    r = recordMeasurement(r, 'error-rate', measurementFromValue(errorRate, v, i * 1000, i * 1000), i * 1000);
  });
  return r;
}

function rollout(name: string, phase: RolloutStatus['phase'], runs: AnalysisRun[]): StoredRollout {
  const status: RolloutStatus = {
    ...initialStatus(0),
    phase,
    analysisRuns: runs.map((r) => ({ name: r.name, kind: r.kind, phase: r.status.phase })),
  };
  return {
    name,
    spec: { port: 8080, template: { command: ['x'] }, strategy: { canary: {} } },
    status,
    revisions: [],
    targetRevision: 2,
    createdAt: 0,
  };
}

/** Metrics over a fixed store: `demo` aborted by r2 (0.01 then 0.4); an older run r1 no longer current. */
function setup(stats: Partial<ControllerStats> = {}) {
  const old = run('demo-r1-bg', 'demo', [0.01, 0.02]);
  const failed = run('demo-r2-bg', 'demo', [0.01, 0.4]);
  const running = run('web-r5-bg', 'web', [Number.NaN]);
  const rollouts = [rollout('demo', 'Degraded', [failed]), rollout('web', 'Progressing', [running])];
  const metrics = new ControlPlaneMetrics({
    store: {
      listRollouts: async () => rollouts,
      listAnalysisRuns: async () => [running, failed, old],
    },
    stats: () => ({
      reconciles: 7,
      lastReconcileMs: 3,
      analysisAborts: 1,
      analysisAbortsBy: { demo: { AnalysisRunFailed: 1 } },
      ...stats,
    }),
    version: '9.9.9',
    processMetrics: false,
  });
  return { metrics, failed };
}

/** The sample lines of `name` (exact metric name, with labels). */
async function samples(metrics: ControlPlaneMetrics, name: string): Promise<string[]> {
  const { body } = await metrics.text();
  return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('ControlPlaneMetrics', () => {
  it('should export the last measured value of each current run, NaN included', async () => {
    const { metrics } = setup();
    const lines = await samples(metrics, 'cutover_analysis_measurement_value');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(
      'cutover_analysis_measurement_value{rollout="demo",analysisrun="demo-r2-bg",metric="error-rate"} 0.4',
    );
    // prom-client writes `Nan`; Prometheus parses NaN case-insensitively (Go's strconv.ParseFloat).
    expect(lines[1]).toMatch(
      /^cutover_analysis_measurement_value\{rollout="web",analysisrun="web-r5-bg",metric="error-rate"\} nan$/i,
    );
  });

  it('should export 1 for the current phase of each current run and metric', async () => {
    const { metrics, failed } = setup();
    expect(failed.status.phase).toBe('Failed');
    const phases = await samples(metrics, 'cutover_analysis_run_phase');
    expect(phases).toContain(
      'cutover_analysis_run_phase{rollout="demo",analysisrun="demo-r2-bg",phase="Failed"} 1',
    );
    expect(phases).toContain(
      'cutover_analysis_run_phase{rollout="demo",analysisrun="demo-r2-bg",phase="Successful"} 0',
    );
    expect(phases).toContain(
      'cutover_analysis_run_phase{rollout="web",analysisrun="web-r5-bg",phase="Running"} 1',
    );
    expect(phases.join('\n')).not.toContain('demo-r1-bg'); // not current any more
    expect(await samples(metrics, 'cutover_analysis_metric_phase')).toContain(
      'cutover_analysis_metric_phase{rollout="demo",analysisrun="demo-r2-bg",metric="error-rate",phase="Failed"} 1',
    );
  });

  it('should count measurements per rollout, metric and phase over every stored run', async () => {
    const { metrics } = setup();
    const lines = await samples(metrics, 'cutover_analysis_measurements_total');
    expect(lines).toContain(
      'cutover_analysis_measurements_total{rollout="demo",metric="error-rate",phase="Successful"} 3',
    );
    expect(lines).toContain(
      'cutover_analysis_measurements_total{rollout="demo",metric="error-rate",phase="Failed"} 1',
    );
    expect(lines).toContain(
      'cutover_analysis_measurements_total{rollout="demo",metric="error-rate",phase="Error"} 0',
    );
    expect(lines).toContain(
      'cutover_analysis_measurements_total{rollout="web",metric="error-rate",phase="Successful"} 1',
    );
  });

  it('should count aborts due to analysis per rollout and reason, and keep counting across scrapes', async () => {
    const byReason = { AnalysisRunFailed: 1 };
    const { metrics } = setup({ analysisAbortsBy: { demo: byReason } });
    expect(await samples(metrics, 'cutover_analysis_aborts_total')).toEqual([
      'cutover_analysis_aborts_total{rollout="demo",reason="AnalysisRunFailed"} 1',
    ]);
    byReason.AnalysisRunFailed = 3;
    expect(await samples(metrics, 'cutover_analysis_aborts_total')).toEqual([
      'cutover_analysis_aborts_total{rollout="demo",reason="AnalysisRunFailed"} 3',
    ]);
  });

  it('should export rollouts per phase, the rollout count, reconciles and the reconcile histogram', async () => {
    const { metrics } = setup();
    metrics.observeReconcile(0.004);
    metrics.observeReconcile(0.3);
    expect(await samples(metrics, 'cutover_rollouts')).toEqual(['cutover_rollouts 2']);
    expect(await samples(metrics, 'cutover_rollouts_by_phase')).toEqual([
      'cutover_rollouts_by_phase{phase="Healthy"} 0',
      'cutover_rollouts_by_phase{phase="Progressing"} 1',
      'cutover_rollouts_by_phase{phase="Paused"} 0',
      'cutover_rollouts_by_phase{phase="Degraded"} 1',
    ]);
    expect(await samples(metrics, 'cutover_rollout_phase')).toContain(
      'cutover_rollout_phase{rollout="demo",phase="Degraded"} 1',
    );
    expect(await samples(metrics, 'cutover_reconciles_total')).toEqual(['cutover_reconciles_total 7']);
    expect(await samples(metrics, 'cutover_reconcile_duration_seconds_count')).toEqual([
      'cutover_reconcile_duration_seconds_count 2',
    ]);
    expect(await samples(metrics, 'cutover_reconcile_duration_seconds_bucket')).toContain(
      'cutover_reconcile_duration_seconds_bucket{le="0.005"} 1',
    );
    expect(await samples(metrics, 'cutover_info')).toEqual(['cutover_info{version="9.9.9"} 1']);
  });

  it('should read the store once per scrape', async () => {
    let reads = 0;
    const metrics = new ControlPlaneMetrics({
      store: {
        listRollouts: async () => {
          reads++;
          return [];
        },
        listAnalysisRuns: async () => [],
      },
      stats: () => ({ reconciles: 0, lastReconcileMs: 0, analysisAborts: 0, analysisAbortsBy: {} }),
      version: '0',
      processMetrics: false,
    });
    await metrics.text();
    expect(reads).toBe(1);
    await metrics.text();
    expect(reads).toBe(2);
  });

  it("should add Node's process metrics by default, in its own registry", async () => {
    const metrics = new ControlPlaneMetrics({
      store: { listRollouts: async () => [], listAnalysisRuns: async () => [] },
      stats: () => ({ reconciles: 0, lastReconcileMs: 0, analysisAborts: 0, analysisAbortsBy: {} }),
      version: '0',
    });
    const { body, contentType } = await metrics.text();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });
});

describe('lastNumericValue', () => {
  it('should read numbers, Go-style NaN and Inf, the first element of an array, and skip the rest', () => {
    expect(lastNumericValue([{ value: '0.25' }])).toBe(0.25);
    expect(lastNumericValue([{ value: 'NaN' }])).toBeNaN();
    expect(lastNumericValue([{ value: '+Inf' }])).toBe(Number.POSITIVE_INFINITY);
    expect(lastNumericValue([{ value: '-Inf' }])).toBe(Number.NEGATIVE_INFINITY);
    expect(lastNumericValue([{ value: '[0.9,0.95]' }])).toBe(0.9);
    expect(lastNumericValue([{ value: '[null]' }])).toBeNaN();
    expect(lastNumericValue([{ value: '0.5' }, {}, { value: 'hello' }, { value: '' }])).toBe(0.5);
    expect(lastNumericValue([{ value: '{"a":1}' }])).toBeUndefined();
    expect(lastNumericValue([])).toBeUndefined();
  });
});
