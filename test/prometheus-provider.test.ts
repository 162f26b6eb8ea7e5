import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../src/analysis/index.js';
import { ProviderHttpError, ProviderResponseError } from '../src/analysis/index.js';
import { prometheusProvider } from '../src/analysis/providers/prometheus/index.js';
import { DataPlaneClient } from '../src/dataplane/index.js';
import type { Metric } from '../src/spec/types.js';
import {
  CutoverEnv,
  fetchOnce,
  freePort,
  freePorts,
  type LoadGenerator,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';
import { type PrometheusServer, startPrometheus } from './support/prometheus.js';

/**
 * The prometheus metric provider against a real Prometheus that scrapes the data plane's router
 * (`/metrics`) and, found through the data plane's HTTP service discovery (`/v1/sd`), every replica
 * of the sample service (`progressive_agent_requests_total{agent_type,status}`). Then a canary is
 * judged by PromQL alone: the faulty one is aborted, the healthy one promoted.
 */
describe('prometheus provider with a real Prometheus', () => {
  const env = CutoverEnv.create('cutover-prometheus-');
  const name = 'agent';
  let port = 0;
  let prometheus: PrometheusServer | undefined;
  let load: LoadGenerator | undefined;
  let metricsPort = 0;
  let adminSocket = '';

  const run: AnalysisRun = {
    name: 'r',
    rollout: name,
    revision: 1,
    revisions: { stable: 1 },
    kind: 'step',
    spec: { metrics: [] },
    status: { phase: 'Running', startedAt: 0, metricResults: [] },
  };
  const measure = (prometheus: Record<string, unknown>) => {
    const metric: Metric = { name: 'm', provider: { prometheus } };
    return prometheusProvider.measure(metric, {
      run,
      signal: new AbortController().signal,
      stats: () => Promise.reject(new Error('unused')),
    });
  };

  /** Error ratio of one revision's requests, from the replicas' own counters. */
  const errorRatio = (revision: string) =>
    `(sum(rate(progressive_agent_requests_total{status="error",revision="${revision}"}[10s])) or vector(0))` +
    ` / sum(rate(progressive_agent_requests_total{revision="${revision}"}[10s]))`;

  const rollout = (version: string, faultRate: number) =>
    rolloutDoc(name, {
      replicas: 2,
      port,
      template: sampleTemplate(env, version, faultRate > 0 ? { FAULT_RATE: String(faultRate) } : {}),
      strategy: {
        canary: {
          abortScaleDownDelaySeconds: 1,
          scaleDownDelaySeconds: 1,
          steps: [
            { setWeight: 50 },
            {
              analysis: {
                templates: [{ templateName: 'agent-error-ratio' }],
                args: [{ name: 'canary-revision', valueFrom: { podTemplateHashValue: 'Latest' } }],
              },
            },
          ],
        },
      },
    });

  let template: object = {};

  beforeAll(async () => {
    let promPort = 0;
    [port, promPort] = (await freePorts(2)) as [number, number];
    template = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'agent-error-ratio' },
      spec: {
        args: [{ name: 'canary-revision' }],
        metrics: [
          {
            name: 'error-ratio',
            // A new replica is in Prometheus after an SD refresh and two scrapes (rate() needs two
            // samples): ~3 s, longer on a loaded machine. An empty answer then makes `result[0]`
            // unevaluable: the measurement is Error and retried (as Argo), never a Failed one, so
            // the canary is only judged on ratios Prometheus actually computed.
            initialDelay: '5s',
            interval: '2s',
            count: 4,
            failureLimit: 1,
            failureCondition: 'result[0] >= 0.1',
            provider: {
              prometheus: {
                address: `http://127.0.0.1:${promPort}`,
                timeout: 5,
                query: errorRatio('{{args.canary-revision}}'),
              },
            },
          },
        ],
      },
    };
    const applied = await env.apply(specYaml(rollout('v1', 0), template), 'v1.yaml');
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout(name, (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const info = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as {
      metricsPort: number;
      adminSocket: string;
    };
    metricsPort = info.metricsPort;
    adminSocket = info.adminSocket;
    prometheus = await startPrometheus(
      [
        { job_name: 'cutover-router', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
        {
          job_name: 'replicas',
          http_sd_configs: [{ url: `http://127.0.0.1:${metricsPort}/v1/sd`, refresh_interval: '1s' }],
        },
      ],
      { port: promPort },
    );
    load = startLoad(port, { concurrency: 2, pauseMs: 10 });
  });

  afterAll(async () => {
    await load?.stop();
    await prometheus?.stop();
    await env.cleanup();
  });

  it('should list every running replica for Prometheus http_sd, labelled with rollout and revision', async () => {
    const client = new DataPlaneClient({ socketPath: adminSocket });
    try {
      const groups = await client.serviceDiscovery();
      expect(groups).toHaveLength(2);
      for (const group of groups) {
        expect(group.targets).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
        expect(group.labels).toMatchObject({ rollout: name, revision: '1' });
      }
      expect(new Set(groups.map((g) => g.labels.replica)).size).toBe(2);
    } finally {
      await client.close();
    }
    // Prometheus found and scrapes both replicas through it.
    await waitUntil(
      async () => {
        const { result } = await prometheus!.query('up{job="replicas",rollout="agent",revision="1"} == 1');
        return result.length === 2;
      },
      {
        timeoutMs: 15_000,
        what: 'Prometheus to scrape both v1 replicas',
        describe: () => prometheus!.logs(),
      },
    );
  });

  it('should measure vectors, scalars, empty vectors and range queries from real scrapes', async () => {
    const agentRequests = 'sum(progressive_agent_requests_total{rollout="agent",revision="1"})';
    await waitUntil(
      async () => {
        const value = await measure({ address: prometheus!.address, query: agentRequests });
        return Array.isArray(value) && (value[0] as number) > 0;
      },
      { timeoutMs: 15_000, what: 'replica request counts in Prometheus' },
    );
    // The router's own counters, scraped from the data plane's /metrics.
    const router = await waitUntil(
      async () => {
        const value = await measure({
          address: prometheus!.address,
          query: 'sum by (revision) (cutover_router_requests_total{rollout="agent",code_class="2xx"})',
        });
        return Array.isArray(value) && value.length > 0 ? value : undefined;
      },
      { timeoutMs: 10_000, what: 'router request counts in Prometheus' },
    );
    expect(router).toEqual([expect.any(Number)]);
    expect(router[0]).toBeGreaterThan(0);
    const scalar = await measure({ address: prometheus!.address, query: `scalar(${agentRequests})` });
    expect(typeof scalar).toBe('number');
    expect(scalar).toBeGreaterThan(0);
    // rate() over 10 s needs two scrapes of each replica.
    await waitUntil(
      async () =>
        JSON.stringify(await measure({ address: prometheus!.address, query: errorRatio('1') })) === '[0]',
      { timeoutMs: 10_000, what: 'the error ratio of v1 to be [0]' },
    );
    expect(
      await measure({
        address: prometheus!.address,
        query: 'progressive_agent_requests_total{revision="99"}',
      }),
    ).toEqual([]);
    const range = await waitUntil(
      async () => {
        const value = (await measure({
          address: prometheus!.address,
          query: agentRequests,
          rangeQuery: { start: 'now() - 4s', end: 'now()', step: '1s' },
        })) as number[];
        return value.length >= 3 ? value : undefined;
      },
      { timeoutMs: 10_000, what: 'a range query over 4 s to give one value a second' },
    );
    expect(range.length).toBeLessThanOrEqual(5);
    expect([...range].sort((a, b) => a - b)).toEqual(range);
  });

  it('should throw for a PromQL error and for an unreachable Prometheus', async () => {
    await expect(measure({ address: prometheus!.address, query: 'sum(rate(x[5m]' })).rejects.toBeInstanceOf(
      ProviderResponseError,
    );
    await expect(measure({ address: prometheus!.address, query: 'sum(rate(x[5m]' })).rejects.toThrow(
      /prometheus: bad_data: .*parse error/,
    );
    const closed = await freePort();
    await expect(measure({ address: `http://127.0.0.1:${closed}`, query: 'up' })).rejects.toBeInstanceOf(
      ProviderHttpError,
    );
  });

  type RunJson = {
    revision: number;
    status: { phase: string; metricResults: { measurements: { phase: string; value?: string }[] }[] };
  };
  const runsOf = async (revision: number) =>
    (await env.apiGet<{ items: RunJson[] }>(`/api/v1/rollouts/${name}/analysisruns`)).items.filter(
      (r) => r.revision === revision,
    );

  it('should abort a faulty canary and promote a healthy one on a PromQL analysis', async () => {
    const v2 = await env.apply(specYaml(rollout('v2', 0.5), template), 'v2.yaml');
    expect(v2.code, v2.stderr).toBe(0);
    const aborted = await env.waitForRollout(name, (r) => r.status.abort, {
      what: 'aborted by the PromQL analysis',
      timeoutMs: 40_000,
    });
    expect(aborted.status).toMatchObject({ stableRevision: 1, currentRevision: 2 });
    expect(aborted.status.message).toMatch(/AnalysisRun \S+ Failed/);
    const [failedRun] = await runsOf(2);
    expect(failedRun?.status.phase).toBe('Failed');
    const failedValues = failedRun!.status.metricResults[0]!.measurements.filter((m) => m.phase === 'Failed');
    // The error ratio Prometheus computed for revision 2, well above 0.1 with FAULT_RATE=0.5.
    expect(failedValues.some((m) => /^\[0\.[2-8]\d*\]$/.test(m.value ?? ''))).toBe(true);
    await env.waitForRollout(name, (r) => r.status.weights.stable === 100, { what: 'all traffic on v1' });

    const v3 = await env.apply(specYaml(rollout('v3', 0), template), 'v3.yaml');
    expect(v3.code, v3.stderr).toBe(0);
    const promoted = await env.waitForRollout(
      name,
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 3,
      { what: 'v3 promoted after a Successful PromQL analysis', timeoutMs: 40_000 },
    );
    expect(promoted.status.currentRevision).toBe(3);
    expect((await fetchOnce(port)).version).toBe('v3');
    const [successfulRun] = await runsOf(3);
    expect(successfulRun?.status.phase).toBe('Successful');
    // Judged on real data: the healthy canary's error ratio was measured as 0.
    expect(
      successfulRun!.status.metricResults[0]!.measurements.filter((m) => m.value === '[0]').length,
    ).toBeGreaterThanOrEqual(2);
  });
});
