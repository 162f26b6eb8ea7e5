/**
 * Scale of one control plane on the local platform (issue 15, part 4): N Rollouts (one replica of
 * the sample service each) under one server on SQLite. For each N: the reconcile pass (p50, p99 from
 * the server's own `cutover_reconcile_duration_seconds` histogram, per pass and per Rollout) while
 * every Rollout is steady and while every Rollout is updating (a canary at 50 %, paused); the
 * server's CPU (share of one core) and RSS over the same windows; the store's size; and the time from
 * a failed measurement of one Rollout's analysis to the data plane holding its canary at 0 %.
 * `BENCH_SCALE_N` (default `20,100`) sets the sizes. The slope says whether a Rollout's cost grows
 * with N. The baseline is the same server with N = 1, measured in the same run.
 */
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { request } from 'undici';
import { DataPlaneClient } from '../src/dataplane/client.js';
import {
  CutoverEnv,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from '../test/support/cutover-env.js';

const WINDOW_MS = 15_000;
const TICK_MS = 1000 / Number(process.env.CLK_TCK ?? 100);

interface Window {
  passes: number;
  p50Ms: number;
  p99Ms: number;
  cpu: number;
  rssMiB: number;
}

interface ScaleFigures {
  n: number;
  steady: Window;
  updating: Window;
  storeMiB: number;
  abortMs: number;
  loadAtStart: number;
}

/** Cumulative bucket counts of the reconcile histogram, by upper bound (s). */
async function reconcileBuckets(env: CutoverEnv): Promise<Map<number, number>> {
  const res = await request(`http://127.0.0.1:${env.apiPort()}/metrics`, {
    headers: { authorization: `Bearer ${env.apiToken()}` },
  });
  const text = await res.body.text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^cutover_reconcile_duration_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
    buckets.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  }
  return buckets;
}

/** The q quantile (0..1) of the passes between two bucket snapshots: the upper bound of its bucket, ms. */
function quantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const le of bounds) {
    const count = (after.get(le) ?? 0) - (before.get(le) ?? 0);
    if (count >= q * total) return le * 1000;
  }
  return Number.POSITIVE_INFINITY;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

async function measureWindow(env: CutoverEnv, pid: number): Promise<Window> {
  const before = await reconcileBuckets(env);
  const cpuBefore = cpuTicks(pid);
  const started = Date.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const after = await reconcileBuckets(env);
  const elapsed = Date.now() - started;
  return {
    passes: (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0),
    p50Ms: quantileMs(before, after, 0.5),
    p99Ms: quantileMs(before, after, 0.99),
    cpu: ((cpuTicks(pid) - cpuBefore) * TICK_MS) / elapsed,
    rssMiB: rssMiB(pid),
  };
}

async function scale(n: number): Promise<ScaleFigures> {
  const env = CutoverEnv.create('cutover-bench-scale-');
  try {
    const ports = await freePorts(n);
    const doc = (i: number, version: string, analysis: boolean) =>
      rolloutDoc(`r${i}`, {
        replicas: 1,
        port: ports[i] ?? 0,
        template: sampleTemplate(env, version),
        strategy: {
          canary: {
            scaleDownDelaySeconds: 1,
            abortScaleDownDelaySeconds: 1,
            steps: analysis
              ? [{ setWeight: 50 }, { analysis: { templates: [{ templateName: 'fails' }] } }, { pause: {} }]
              : [{ setWeight: 50 }, { pause: {} }],
          },
        },
      });
    const failing = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'fails' },
      spec: { metrics: [{ name: 'fails', provider: { job: { command: ['false'] } } }] },
    };
    const loadAtStart = loadavg()[0] ?? 0;
    await env.cliOk(
      ['apply', '-f', env.write('v1.yaml', specYaml(failing, ...ports.map((_, i) => doc(i, 'v1', i === 0))))],
      {
        timeoutMs: 300_000,
      },
    );
    const pid = env.serverPid();
    if (pid === undefined) throw new Error('no server');
    const rollouts = async () =>
      (await env.apiGet<{ items: { status: { phase: string } }[] }>('/api/v1/rollouts')).items;
    await waitUntil(async () => (await rollouts()).every((r) => r.status.phase === 'Healthy'), {
      timeoutMs: 60_000 + n * 2000,
      intervalMs: 1000,
      what: `${n} Rollouts Healthy`,
    });
    const steady = await measureWindow(env, pid);
    // Every Rollout but r0 updates to a paused 50 % canary.
    await env.cliOk(
      [
        'apply',
        '-f',
        env.write(
          'v2.yaml',
          specYaml(failing, ...ports.map((_, i) => doc(i, i === 0 ? 'v1' : 'v2', i === 0))),
        ),
      ],
      {
        timeoutMs: 300_000,
      },
    );
    await waitUntil(
      async () => (await rollouts()).filter((r) => r.status.phase === 'Paused').length >= n - 1,
      { timeoutMs: 60_000 + n * 2000, intervalMs: 1000, what: `${n - 1} canaries paused` },
    );
    const updating = await measureWindow(env, pid);
    // r0's update: its analysis fails at once; time from the failed measurement to 0 % on the data plane.
    const dataPlane = new DataPlaneClient({ socketPath: env.path('run/dataplane.sock') });
    await env.cliOk(
      [
        'apply',
        '-f',
        env.write(
          'v3.yaml',
          specYaml(failing, ...ports.map((_, i) => doc(i, i === 0 ? 'v3' : 'v2', i === 0))),
        ),
      ],
      {
        timeoutMs: 300_000,
      },
    );
    const canaryWeight = async () => {
      const r0 = (await dataPlane.state()).rollouts.find((r) => r.rollout === 'r0');
      return r0?.listeners[0]?.backends.find((b) => b.revision === 2)?.weight ?? 0;
    };
    await waitUntil(async () => (await canaryWeight()) === 50, {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: 'r0 canary at 50 %',
    });
    const weightAtZero = await waitUntil(
      async () => ((await canaryWeight()) === 0 ? Date.now() : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 10,
        what: 'r0 canary back at 0 %',
      },
    );
    const runs = await env.apiGet<{
      items: { status: { metricResults: { measurements: { finishedAt?: number; phase: string }[] }[] } }[];
    }>('/api/v1/analysisruns?rollout=r0');
    const failedAt = Math.min(
      ...runs.items.flatMap((run) =>
        run.status.metricResults.flatMap((m) =>
          m.measurements
            .filter((x) => x.phase === 'Failed')
            .map((x) => x.finishedAt ?? Number.POSITIVE_INFINITY),
        ),
      ),
    );
    if (!Number.isFinite(failedAt))
      throw new Error(`r0: no failed measurement in ${JSON.stringify(runs.items)}`);
    await dataPlane.close();
    const storeMiB =
      ['cutover.db', 'cutover.db-wal']
        .map((f) => {
          try {
            return statSync(env.path(f)).size;
          } catch {
            return 0;
          }
        })
        .reduce((a, b) => a + b, 0) /
      1024 /
      1024;
    return { n, steady, updating, storeMiB, abortMs: weightAtZero - failedAt, loadAtStart };
  } finally {
    await env.cleanup();
  }
}

/** Prints the figures of `npm run bench -- scale`. */
export async function printScaleBench(): Promise<void> {
  const sizes = (process.env.BENCH_SCALE_N ?? '20,100').split(',').map(Number);
  console.log('\n== scale: one control plane (SQLite, local platform), N Rollouts of 1 replica ==');
  const figures: ScaleFigures[] = [];
  for (const n of [1, ...sizes]) {
    const f = await scale(n);
    figures.push(f);
    const w = (x: Window) =>
      `pass p50 <= ${x.p50Ms.toFixed(1)} ms, p99 <= ${x.p99Ms.toFixed(1)} ms (histogram bucket bounds; p99 per Rollout <= ${(x.p99Ms / n).toFixed(2)} ms), ${x.passes} passes, CPU ${(x.cpu * 100).toFixed(0)} % of a core, RSS ${x.rssMiB.toFixed(0)} MiB`;
    console.log(`N=${f.n} (load ${f.loadAtStart.toFixed(1)} at start)`);
    console.log(`  steady:   ${w(f.steady)}`);
    console.log(`  updating: ${w(f.updating)}`);
    console.log(`  store ${f.storeMiB.toFixed(1)} MiB; failed measurement -> canary at 0 %: ${f.abortMs} ms`);
  }
  const [first, last] = [figures[1], figures.at(-1)];
  if (first && last && last.n > first.n)
    console.log(
      `slope of the updating pass p50 per Rollout: ${((last.updating.p50Ms - first.updating.p50Ms) / (last.n - first.n)).toFixed(3)} ms per added Rollout (per-Rollout p50 ${(first.updating.p50Ms / first.n).toFixed(2)} ms at N=${first.n}, ${(last.updating.p50Ms / last.n).toFixed(2)} ms at N=${last.n})`,
    );
}
