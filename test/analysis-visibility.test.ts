import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  errorRateTemplate,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
} from './support/cutover-env.js';

/** The parts of `get analysisrun -o json` the test reads. */
interface AnalysisRunJson {
  apiVersion: string;
  kind: string;
  metadata: { name: string; rollout: string; revision: number; labels: Record<string, string> };
  spec: { metrics: { name: string; successCondition?: string }[] };
  status: {
    phase: string;
    message?: string;
    metricResults: {
      name: string;
      phase: string;
      successful: number;
      failed: number;
      measurements: { phase: string; value?: string; startedAt: number }[];
    }[];
  };
}

/**
 * A faulty canary aborted by its analysis must be visible: the AnalysisRun with its measurements
 * (`get analysisrun`, `list analysisruns`, `get rollout`), the control plane's /metrics (measurement
 * value, run phase, abort counter), and an abort event naming the metric, value and condition.
 */
describe('Analysis visibility', () => {
  const env = CutoverEnv.create('cutover-visibility-');
  const name = 'vis';
  const run = 'vis-r2-s1';
  let port = 0;

  beforeAll(async () => {
    [port] = (await freePorts(1)) as [number];
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const spec = (version: string, faultRate: number) =>
    specYaml(
      rolloutDoc(name, {
        replicas: 1,
        port,
        template: sampleTemplate(env, version, faultRate > 0 ? { FAULT_RATE: String(faultRate) } : {}),
        strategy: {
          canary: {
            abortScaleDownDelaySeconds: 1,
            steps: [
              { setWeight: 50 },
              { analysis: { templates: [{ templateName: 'error-rate' }] } },
              { pause: {} },
            ],
          },
        },
      }),
      errorRateTemplate('error-rate', '4s'),
    );

  async function scrape(): Promise<string> {
    const apiPort = env.apiPort();
    if (apiPort === undefined) throw new Error('no server.json');
    const res = await request(`http://127.0.0.1:${apiPort}/metrics`, {
      headers: { authorization: `Bearer ${env.apiToken()}` },
      headersTimeout: 5_000,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body.text();
  }

  /** The value of the sample `series` (name and labels exactly as exposed), if present. */
  const sample = (text: string, series: string): number | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('should show the failing measurements, export them as metrics and name the failed condition in the abort event', async () => {
    await env.applyOk(spec('v1', 0), 'v1.yaml');
    await env.waitForRollout(name, (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const before = await scrape();
    expect(
      sample(before, `cutover_analysis_aborts_total{rollout="${name}",reason="AnalysisRunFailed"}`),
    ).toBe(undefined);
    expect(sample(before, `cutover_rollout_phase{rollout="${name}",phase="Healthy"}`)).toBe(1);

    const load = startLoad(port, { concurrency: 3 });
    try {
      const applied = await env.apply(spec('v2', 0.5), 'v2.yaml');
      expect(applied.code, applied.stderr).toBe(0);
      await env.waitForRollout(name, (r) => r.status.abort, {
        what: 'aborted by analysis',
        timeoutMs: 35_000,
      });
    } finally {
      await load.stop();
    }

    // The stored run and its measurements, as `get analysisrun -o json`.
    const json = JSON.parse(
      (await env.cliOk(['get', 'analysisrun', run, '-o', 'json'])).stdout,
    ) as AnalysisRunJson;
    expect(json).toMatchObject({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { name: run, rollout: name, revision: 2, labels: { 'rollout-type': 'Step' } },
      status: { phase: 'Failed' },
    });
    expect(json.spec.metrics[0]?.successCondition).toBe('isNaN(result) || result < 0.05');
    const metric = json.status.metricResults.find((m) => m.name === 'error-rate')!;
    expect(metric).toMatchObject({ phase: 'Failed', failed: 1 });
    const last = metric.measurements.at(-1)!;
    expect(last.phase).toBe('Failed');
    const failedValue = Number(last.value);
    expect(failedValue).toBeGreaterThanOrEqual(0.05);

    // The abort event names the metric, the value and the condition.
    const history = await env.history(name);
    const aborts = history.events.filter((e) => e.reason === 'RolloutAborted');
    expect(aborts).toHaveLength(1);
    const match =
      /AnalysisRun vis-r2-s1 Failed: metric "error-rate" = ([\d.e-]+) failed successCondition "isNaN\(result\) \|\| result < 0\.05" \(failed 1 > failureLimit 0\)$/.exec(
        aborts[0]!.message,
      );
    expect(match, aborts[0]!.message).not.toBeNull();
    expect(Number(match![1])).toBeCloseTo(failedValue, 5);
    expect((await env.getRollout(name)).status.message).toContain('metric "error-rate" = ');

    // The text views: the failing metric and its value.
    const text = (await env.cliOk(['get', 'analysisrun', run])).stdout;
    expect(text).toMatch(/^Status:\s+✖ Failed$/m);
    expect(text).toMatch(/^METRIC error-rate {2}✖ Failed$/m);
    expect(text).toContain('Condition:    successCondition isNaN(result) || result < 0.05');
    expect(text).toContain(`✖ Failed       ${last.value}`);
    const rollout = (await env.cliOk(['get', 'rollout', name])).stdout;
    expect(rollout).toMatch(/^ {4}error-rate: ✖ Failed {2}✔ \d+ {2}✖ 1 .*✖ [\d.]+\]$/m);
    const list = (await env.cliOk(['list', 'analysisruns', '--rollout', name])).stdout;
    expect(list).toMatch(/^vis-r2-s1\s+vis\s+2\s+step\s+✖ Failed\s/m);
    // --watch on a completed run prints it once and exits.
    const watched = await env.cli(['get', 'analysisrun', run, '--watch'], { timeoutMs: 15_000 });
    expect(watched.code).toBe(0);
    expect(watched.stdout.match(/^Name:/gm)).toHaveLength(1);
    const missing = await env.cli(['get', 'analysisrun', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('analysis run nope not found');

    // The control plane's /metrics.
    const after = await scrape();
    const labels = `rollout="${name}",analysisrun="${run}"`;
    expect(sample(after, `cutover_analysis_measurement_value{${labels},metric="error-rate"}`)).toBeCloseTo(
      failedValue,
      9,
    );
    expect(sample(after, `cutover_analysis_run_phase{${labels},phase="Failed"}`)).toBe(1);
    expect(sample(after, `cutover_analysis_run_phase{${labels},phase="Running"}`)).toBe(0);
    expect(sample(after, `cutover_analysis_aborts_total{rollout="${name}",reason="AnalysisRunFailed"}`)).toBe(
      1,
    );
    expect(
      sample(
        after,
        `cutover_analysis_measurements_total{rollout="${name}",metric="error-rate",phase="Failed"}`,
      ),
    ).toBe(1);
    expect(sample(after, `cutover_rollout_phase{rollout="${name}",phase="Degraded"}`)).toBe(1);
    expect(sample(after, 'cutover_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    expect(after).toMatch(/^process_resident_memory_bytes \d/m);
  });
});
