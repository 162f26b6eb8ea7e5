/**
 * Release plan benchmark (issue 13): a plan of 10 Rollouts (the sample service, a canary with a
 * 50% step and a 2 s pause each, real processes) with `maxParallelism: 3`, carried out by the crew.
 * - Parallelism: the plan's wall time (first `PlanRolloutStarted` to last `PlanRolloutHealthy`)
 *   against the sum of the Rollouts' own durations (each one's start to its Healthy); the ratio is
 *   what the parallelism achieves (at most 3).
 * - Plan-wide rollback: a release whose last Rollout fails its `afterEach` test
 *   (`immediateEscalation`) after the nine others shipped; the time from its `PlanRolloutFailed` to
 *   every Rollout back on its checkpoint (the last `PlanRolloutRolledBack`, each checked serving
 *   the old version). Goal ≤ 10 s for 10 Rollouts.
 */
import { loadavg } from 'node:os';
import { stringify } from 'yaml';
import { CutoverEnv, freePorts, SAMPLE_SERVICE, waitUntil } from '../test/support/cutover-env.js';

const ROLLOUTS = 10;
const PARALLELISM = 3;

interface ReleaseEvent {
  reason: string;
  message: string;
  time: number;
}

export async function printReleasePlanBench(): Promise<void> {
  console.log('\n== release plan: 10 Rollouts, maxParallelism 3 (real processes) ==');
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores)`,
  );
  const env = CutoverEnv.create('cutover-bench-plan-');
  try {
    env.write('replicas/.keep', '');
    await env.applyEnvironments('dev');
    const manager = await env.token('mia', 'approver', 'manager');
    const ports = await freePorts(ROLLOUTS);
    const names = ports.map((_, i) => `agent${i}`);
    const doc = (name: string, version: string, faultyLast = false) => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Release',
      metadata: { name },
      spec: {
        version,
        environments: ['dev'],
        monitor: { checkpoints: ['1s'] },
        plan: {
          maxParallelism: PARALLELISM,
          afterEach: [{ name: 'register-agent', http: { path: '/register' } }],
        },
        rollouts: names.map((n, i) => ({
          name: n,
          // The last one starts after every other shipped: the whole plan must come back.
          ...(i === ROLLOUTS - 1 ? { priority: 2 } : { priority: 1 }),
          spec: {
            replicas: 1,
            port: ports[i],
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: {
                VERSION: version,
                AGENT_TYPE: n,
                ...(faultyLast && i === ROLLOUTS - 1 ? { FAULT_RATE: '1' } : {}),
              },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 1,
            },
            strategy: {
              canary: { scaleDownDelaySeconds: 0, steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }] },
            },
          },
        })),
      },
    });
    const carry = async (name: string, version: string, faultyLast = false) => {
      await env.cliOk([
        'release',
        'create',
        '-f',
        env.write(`${name}.yaml`, stringify(doc(name, version, faultyLast))),
      ]);
      return waitUntil(
        async () => {
          const r = await env.apiGet<{ status: string }>(`/api/v1/releases/${name}`);
          if (r.status === 'WAITING_APPROVAL')
            await env.cliOk(['release', 'approve', name, '--comment', 'bench'], {
              env: { CUTOVER_TOKEN: manager },
            });
          return ['SUCCESS', 'FAILED', 'ROLLED_BACK'].includes(r.status) ? r.status : undefined;
        },
        { timeoutMs: 300_000, what: `${name} to end` },
      );
    };
    const events = async (name: string) =>
      (await env.apiGet<{ items: ReleaseEvent[] }>(`/api/v1/releases/${name}/events`)).items;

    if ((await carry('plan-v1', 'v1')) !== 'SUCCESS') throw new Error('plan-v1 did not ship');
    const status = await carry('plan-v2', 'v2');
    const log = await events('plan-v2');
    const spans = names.map((n) => {
      const start = log.find((e) => e.reason === 'PlanRolloutStarted' && e.message.startsWith(`${n}-dev `));
      const end = log.find((e) => e.reason === 'PlanRolloutHealthy' && e.message.startsWith(`${n}-dev `));
      if (start === undefined || end === undefined) throw new Error(`plan-v2 (${status}): ${n} has no span`);
      return end.time - start.time;
    });
    const first = Math.min(...log.filter((e) => e.reason === 'PlanRolloutStarted').map((e) => e.time));
    const last = Math.max(...log.filter((e) => e.reason === 'PlanRolloutHealthy').map((e) => e.time));
    const wall = last - first;
    const sum = spans.reduce((a, b) => a + b, 0);
    console.log(
      `plan-v2 ${status}: wall ${(wall / 1000).toFixed(1)} s, sum of the Rollouts' own durations ${(sum / 1000).toFixed(1)} s (each ${(Math.min(...spans) / 1000).toFixed(1)}..${(Math.max(...spans) / 1000).toFixed(1)} s): ratio ${(sum / wall).toFixed(2)} (at most ${PARALLELISM})`,
    );

    const failed = await carry('plan-v3', 'v3', true);
    const log3 = await events('plan-v3');
    const failedAt = log3.find((e) => e.reason === 'PlanRolloutFailed')?.time;
    const back = log3.filter((e) => e.reason === 'PlanRolloutRolledBack');
    if (failedAt === undefined || back.length === 0)
      throw new Error(`plan-v3 (${failed}): no failure or no rollback`);
    const restoredMs = Math.max(...back.map((e) => e.time)) - failedAt;
    const serving = await Promise.all(
      ports.map(async (p) => (await (await fetch(`http://127.0.0.1:${p}/`)).text()).trim()),
    );
    const onCheckpoint = serving.filter((s) => s === 'hello from v2').length;
    console.log(
      `plan-v3 ${failed}: ${back.length} Rollouts rolled back; critical failure -> every Rollout back on its checkpoint ${(restoredMs / 1000).toFixed(2)} s (goal <= 10 s)${restoredMs <= 10_000 ? '' : `  MISSED by ${((restoredMs - 10_000) / 1000).toFixed(2)} s`}; ${onCheckpoint}/${ROLLOUTS} serve v2`,
    );
  } finally {
    await env.cleanup();
  }
}
