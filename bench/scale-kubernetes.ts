/**
 * Scale of one control plane on the kubernetes platform (issue 15, part 4): N Argo Rollouts (a
 * Gateway API canary, 2 replicas each, steps `setWeight: 50`, `pause: {}`) under one
 * `cutover server --platform kubernetes` on SQLite, against the simulated Kubernetes API server
 * (`test/support/simulated-kube-api.ts`), so that the number of processes is not the limit. The
 * simulated API server runs in this benchmark's process: its CPU is the benchmark's, not the control
 * plane's, and only the server process is measured.
 *
 * For each N, as `bench/scale.ts` does: the reconcile pass (mean, p50, p99 from the server's own
 * `cutover_reconcile_duration_seconds`, per pass and per Rollout) while every Rollout is steady and
 * while every Rollout is updating (its canary at 50 %, paused); the server's CPU (share of one core)
 * and RSS over the same windows; the store's size; and the time from the failed measurement of one
 * Rollout's background analysis (a `web` metric against a small HTTP server here, switched from
 * good to bad) to its HTTPRoute holding the canary at weight 0; then every other Rollout promoted at
 * once through the API: the writes of a changed Rollout (`cutover_rollout_write_duration_seconds`,
 * mean, p50, p99) and the time until all are Healthy. `BENCH_SCALE_K8S_N` (default
 * `100,300,1000`) sets the sizes; the baseline is N = 1 in the same run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { request } from 'undici';
import { KubeObjects } from '../src/platform/kubernetes/kube-objects.js';
import type { HttpRoute } from '../src/platform/kubernetes/traffic/gateway-api.js';
import { CutoverEnv, specYaml, waitUntil } from '../test/support/cutover-env.js';
import { gatewayObjects } from '../test/support/kube/cluster-objects.js';
import { startSimulatedKubeApi } from '../test/support/simulated-kube-api.js';
import * as measure from './scale-measure.js';

const NS = 'bench';
/**
 * Rollouts per applied file (each file one `cutover apply`, under the API's 1 MiB body limit and the
 * CLI's 30 s answer timeout on a loaded machine).
 */
const APPLY_BATCH = 25;
/** Attempts of one file's apply (idempotent: the same documents again) when the CLI gave up waiting. */
const APPLY_ATTEMPTS = 3;
/** Cluster objects created at once before the Rollouts are applied. */
const SETUP_CONCURRENCY = 16;

/** A small HTTP server answering `{"ok": true}` until {@link Quality.fail}, then `{"ok": false}`. */
interface Quality {
  url: string;
  fail(): void;
  close(): Promise<void>;
}

async function startQuality(): Promise<Quality> {
  let ok = true;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/quality`,
    fail: () => {
      ok = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An Argo Rollout `r<i>` on image `version`; r0 carries the background analysis. */
function argoRollout(i: number, version: string): object {
  const name = `r${i}`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name, namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: `registry.example.com/web:${version}` }] },
      },
      strategy: {
        canary: {
          stableService: `${name}-stable`,
          canaryService: `${name}-canary`,
          scaleDownDelaySeconds: 1,
          trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: name, namespace: NS } } },
          ...(i === 0 ? { analysis: { templates: [{ templateName: 'quality' }] } } : {}),
          steps: [{ setWeight: 50 }, { pause: {} }],
        },
      },
    },
  };
}

/** The background analysis of r0: one `web` measurement a second, failed at the first bad answer. */
function qualityTemplate(url: string): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'quality', namespace: NS },
    spec: {
      metrics: [
        {
          name: 'quality',
          interval: '1s',
          failureLimit: 0,
          successCondition: 'result == true',
          provider: { web: { url, jsonPath: '{$.ok}' } },
        },
      ],
    },
  };
}

/** Runs `work(i)` for i in 0..n-1, `concurrency` at a time. */
async function forEachIndex(
  n: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

/** Applies the N Rollouts on `version(i)` (and the template), {@link APPLY_BATCH} per file. */
async function applyRollouts(env: CutoverEnv, n: number, url: string, version: (i: number) => string) {
  for (let from = 0; from < n; from += APPLY_BATCH) {
    const docs = Array.from({ length: Math.min(APPLY_BATCH, n - from) }, (_, k) =>
      argoRollout(from + k, version(from + k)),
    );
    const file = env.write(
      `batch-${from}.yaml`,
      specYaml(...(from === 0 ? [qualityTemplate(url)] : []), ...docs),
    );
    for (let attempt = 1; ; attempt++) {
      const result = await env.cli(['apply', '-f', file], { timeoutMs: 300_000 });
      if (result.code === 0) break;
      if (attempt >= APPLY_ATTEMPTS) throw new Error(`cutover apply -f ${file}: ${result.stderr}`);
    }
  }
}

/** Every Rollout but r0 promoted at once (its pause left: 100 %, then promoted to stable). */
interface Changes {
  /** Rollouts promoted. */
  rollouts: number;
  /** Writes of a changed Rollout (`cutover_rollout_write_duration_seconds`) until all were Healthy. */
  writes: number;
  /** Mean write, ms (exact); p50 and p99 as upper bounds of the histogram's buckets, ms. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** From the first promote sent to every promoted Rollout Healthy, ms. */
  wallMs: number;
  /** CPU over that time, share of one core: the server's, and this process's (the simulated API server's). */
  serverCpu: number;
  benchCpu: number;
}

/** Promotes r1..r(n-1) through the API, 16 at a time (within its rate limit), and waits until each is Healthy. */
async function promoteAll(env: CutoverEnv, n: number, pid: number): Promise<Changes | undefined> {
  if (n < 2) return undefined;
  const before = await measure.histogramBuckets(env, 'cutover_rollout_write_duration_seconds');
  const started = Date.now();
  const serverCpuBefore = measure.cpuMs(pid);
  const benchCpuBefore = process.cpuUsage();
  await forEachIndex(n - 1, 16, async (k) => {
    for (;;) {
      const res = await request(`http://127.0.0.1:${env.apiPort()}/api/v1/rollouts/r${k + 1}/promote`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.apiToken()}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const text = await res.body.text();
      if (res.statusCode === 200) return;
      // The API's rate limit per token (50 requests/s): wait as told, then again.
      if (res.statusCode === 429) await new Promise((r) => setTimeout(r, 1000));
      else throw new Error(`promote r${k + 1}: HTTP ${res.statusCode} ${text}`);
    }
  });
  await waitUntil(
    async () => {
      const { items } = await env.apiGet<{ items: { name: string; status: { phase: string } }[] }>(
        '/api/v1/rollouts',
      );
      return items.filter((r) => r.name !== 'r0' && r.status.phase === 'Healthy').length === n - 1;
    },
    { timeoutMs: 60_000 + n * 500, intervalMs: 500, what: `${n - 1} promoted Rollouts Healthy` },
  );
  const wallMs = Date.now() - started;
  const serverCpu = (measure.cpuMs(pid) - serverCpuBefore) / wallMs;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const after = await measure.histogramBuckets(env, 'cutover_rollout_write_duration_seconds');
  const { count, meanMs } = measure.countAndMeanMs(before, after);
  return {
    rollouts: n - 1,
    writes: count,
    meanMs,
    p50Ms: measure.quantileMs(before, after, 0.5),
    p99Ms: measure.quantileMs(before, after, 0.99),
    wallMs,
    serverCpu,
    benchCpu: (benchCpu.user + benchCpu.system) / 1000 / wallMs,
  };
}

/** The simulated API server over the updating window (it runs in this process). */
interface SimulatedApiLoad {
  /** Requests it answered per reconcile pass (count; watches count once, when they start). */
  requestsPerPass: number;
  /** CPU of this process (the simulated API server and the benchmark's polling), share of one core. */
  cpu: number;
}

async function scale(
  n: number,
): Promise<
  measure.ScaleFigures & { simulated: SimulatedApiLoad; applyMs: number; changes: Changes | undefined }
> {
  const api = await startSimulatedKubeApi();
  const quality = await startQuality();
  const env = CutoverEnv.create('cutover-bench-scale-k8s-');
  try {
    env.env['KUBECONFIG'] = env.write('kubeconfig.yaml', api.kubeconfig());
    env.env['CUTOVER_PLATFORM'] = 'kubernetes';
    const config = new KubeConfig();
    config.loadFromString(api.kubeconfig());
    const objects = new KubeObjects(config);
    await forEachIndex(n, SETUP_CONCURRENCY, (i) => gatewayObjects(objects, NS, `r${i}`));
    const loadAtStart = loadavg()[0] ?? 0;
    const applyStarted = Date.now();
    await applyRollouts(env, n, quality.url, () => 'v1');
    const applyMs = Date.now() - applyStarted;
    const pid = env.serverPid();
    if (pid === undefined) throw new Error('no server');
    const phases = async () =>
      (await env.apiGet<{ items: { status: { phase: string } }[] }>('/api/v1/rollouts')).items.map(
        (r) => r.status.phase,
      );
    const waitFor = (phase: string) =>
      waitUntil(async () => (await phases()).filter((p) => p === phase).length === n, {
        timeoutMs: 60_000 + n * 500,
        intervalMs: 2000,
        what: `${n} Rollouts ${phase}`,
      });
    await waitFor('Healthy');
    const steady = await measure.measureWindow(env, pid);
    // Every Rollout updates to a paused 50 % canary; r0's background analysis measures meanwhile.
    await applyRollouts(env, n, quality.url, () => 'v2');
    await waitFor('Paused');
    const requestsBefore = api.requests.length;
    const cpuBefore = process.cpuUsage();
    const windowStarted = Date.now();
    const updating = await measure.measureWindow(env, pid);
    const cpu = process.cpuUsage(cpuBefore);
    const simulated: SimulatedApiLoad = {
      requestsPerPass: (api.requests.length - requestsBefore) / Math.max(1, updating.passes),
      cpu: (cpu.user + cpu.system) / 1000 / (Date.now() - windowStarted),
    };
    // r0's analysis turns bad: time from its failed measurement to its HTTPRoute at 0 % canary.
    const canaryWeight = () =>
      (api.get('httproutes.gateway.networking.k8s.io', NS, 'r0') as HttpRoute | undefined)?.spec?.rules?.[0]
        ?.backendRefs?.[1]?.weight;
    if (canaryWeight() !== 50)
      throw new Error(`r0's HTTPRoute holds canary weight ${canaryWeight()}, not 50`);
    quality.fail();
    const weightAtZero = await waitUntil(() => (canaryWeight() === 0 ? Date.now() : undefined), {
      timeoutMs: 60_000 + n * 100,
      intervalMs: 5,
      what: "r0's HTTPRoute back at canary weight 0",
    });
    const failedAt = await measure.firstFailedMeasurementAt(env, 'r0');
    const changes = await promoteAll(env, n, pid);
    return {
      n,
      steady,
      updating,
      storeMiB: measure.storeMiB(env),
      abortMs: weightAtZero - failedAt,
      loadAtStart,
      simulated,
      applyMs,
      changes,
    };
  } finally {
    await env.cleanup();
    await quality.close();
    await api.close();
  }
}

/** Prints the figures of `npm run bench -- scale-kubernetes`. */
export async function printScaleKubernetesBench(): Promise<void> {
  const sizes = (process.env.BENCH_SCALE_K8S_N ?? '100,300,1000').split(',').map(Number);
  console.log(
    '\n== scale-kubernetes: one control plane (SQLite, kubernetes platform, simulated API server in the bench process), N Argo Rollouts of 2 replicas ==',
  );
  const figures: measure.ScaleFigures[] = [];
  for (const n of [1, ...sizes]) {
    const f = await scale(n);
    figures.push(f);
    measure.printScaleFigures(f, "failed measurement -> HTTPRoute's canary weight 0");
    console.log(
      `  simulated API server while updating: ${f.simulated.requestsPerPass.toFixed(0)} requests per pass, CPU of the bench process ${(f.simulated.cpu * 100).toFixed(0)} % of a core; first apply of the N Rollouts ${(f.applyMs / 1000).toFixed(1)} s`,
    );
    const c = f.changes;
    console.log(
      c === undefined
        ? '  rollout changes: n/a (r0 only)'
        : `  rollout changes: ${c.rollouts} Rollouts promoted at once, ${c.writes} writes: mean ${c.meanMs.toFixed(1)} ms, p50 <= ${c.p50Ms} ms, p99 <= ${c.p99Ms} ms per write (bucket bounds); all Healthy ${(c.wallMs / 1000).toFixed(1)} s after the first promote; CPU meanwhile: server ${(c.serverCpu * 100).toFixed(0)} %, bench process (simulated API server) ${(c.benchCpu * 100).toFixed(0)} % of a core`,
    );
  }
  measure.printSlope(figures);
}
