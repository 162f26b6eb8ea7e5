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
import { loadavg } from 'node:os';
import { DataPlaneClient } from '../src/dataplane/client.js';
import {
  CutoverEnv,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from '../test/support/cutover-env.js';
import {
  firstFailedMeasurementAt,
  measureWindow,
  printScaleFigures,
  printSlope,
  type ScaleFigures,
  storeMiB,
} from './scale-measure.js';

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
    const failedAt = await firstFailedMeasurementAt(env, 'r0');
    await dataPlane.close();
    return { n, steady, updating, storeMiB: storeMiB(env), abortMs: weightAtZero - failedAt, loadAtStart };
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
    printScaleFigures(f, 'failed measurement -> canary at 0 %');
  }
  printSlope(figures);
}
