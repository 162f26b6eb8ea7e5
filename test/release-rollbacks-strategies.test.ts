import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CutoverEnv, fetchOnce, freePort, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';
import { type PacedLoad, pacedLoad } from './support/paced-load.js';

interface ReleaseJson {
  status: string;
  stageResults: { stage: string; result: string; reason?: string }[];
  incidents: { trigger: string; status: string; reason: string; escalated: boolean }[];
}

const PRODUCTION = {
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'production' },
  spec: { order: 1 },
};

/**
 * The RollbackCoordinator with other strategies and signals, on real processes: a healthy canary
 * at 10 req/s ships (no false rollback at a low rate), a replica that exits every few seconds is
 * rolled back on its restarts although no client sees an error (H), a rolling Rollout rolled back
 * by traffic ends ROLLED_BACK (F), and a release of type rollback is immediate.
 */
describe('Release rollbacks (strategies, restarts, rollback releases)', () => {
  const env = CutoverEnv.create('cutover-rollbacks2-');
  const ports = { web: 0, api: 0 };
  let manager = '';
  let ops = '';
  const loads: PacedLoad[] = [];

  const release = (
    name: string,
    service: 'web' | 'api',
    version: string,
    extra: {
      env?: Record<string, string>;
      strategy?: object;
      type?: string;
      monitor?: object;
      rollback?: object;
    } = {},
  ) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version,
      ...(extra.type === undefined ? {} : { type: extra.type }),
      team: 'checkout',
      environments: ['production'],
      rollouts: [
        {
          name: service,
          spec: {
            replicas: service === 'api' ? 2 : 1,
            port: ports[service],
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: { VERSION: version, ...extra.env },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 2,
            },
            strategy: extra.strategy ?? {
              canary: {
                scaleDownDelaySeconds: 1,
                abortScaleDownDelaySeconds: 1,
                steps: [
                  { setWeight: 20 },
                  { pause: { duration: '10s' } },
                  { setWeight: 50 },
                  { pause: { duration: '2s' } },
                ],
              },
            },
          },
        },
      ],
      smokeTests: [{ name: 'healthz', http: { path: '/healthz', expectStatus: 200 } }],
      monitor: extra.monitor ?? { checkpoints: ['2s'] },
      ...(extra.rollback === undefined ? {} : { rollback: extra.rollback }),
    },
  });

  const get = (name: string) => env.apiGet<ReleaseJson>(`/api/v1/releases/${name}`);
  const run = async (doc: ReturnType<typeof release>, approver = manager) => {
    const name = doc.metadata.name;
    await env.cliOk(['release', 'create', '-f', env.write(`${name}.yaml`, stringify(doc))]);
    await waitUntil(async () => (await get(name)).status === 'WAITING_APPROVAL', {
      timeoutMs: 60_000,
      what: `${name} waiting for approval`,
    });
    await env.cliOk(['release', 'approve', name, '--comment', 'ok'], { env: { CUTOVER_TOKEN: approver } });
  };
  const ended = (name: string, timeoutMs = 120_000) =>
    waitUntil(
      async () => {
        const r = await get(name);
        return ['SUCCESS', 'ROLLED_BACK', 'FAILED'].includes(r.status) ? r : undefined;
      },
      { timeoutMs, what: `${name} to end` },
    );
  const setWeights = async (rollout: string, since: number) =>
    (await env.history(rollout)).events
      .filter((e) => e.time >= since && e.reason === 'SetWeight')
      .map((e) => e.message);

  beforeAll(async () => {
    ports.web = await freePort();
    ports.api = await freePort();
    env.write('replicas/.keep', '');
    await env.cliOk(['apply', '-f', env.write('environments.yaml', stringify(PRODUCTION))]);
    manager = await env.token('mia', 'approver', 'manager');
    ops = await env.token('otto', 'approver', 'devops');
  }, 60_000);

  afterAll(async () => {
    for (const load of loads) await load.stop();
    await env.cleanup();
  });

  it('should ship a healthy canary at 10 req/s, then roll back one whose replica exits every 3 s after it answered what it had (H)', async () => {
    await run(release('web-v1', 'web', 'v1'));
    expect((await ended('web-v1')).status).toBe('SUCCESS');
    const load = pacedLoad(ports.web, 10, 4);
    loads.push(load);
    await run(release('web-v2', 'web', 'v2'));
    const v2 = await ended('web-v2');
    expect(v2.status, JSON.stringify(v2, null, 2)).toBe('SUCCESS');
    expect(v2.incidents).toEqual([]);

    await run(
      release('web-v3', 'web', 'v3', {
        env: { EXIT_AFTER_MS: '3000' },
        monitor: { checkpoints: ['30s'] },
        // Caught at the 2nd restart: before the 3rd would make it a CrashLoopBackOff (Degraded).
        rollback: { maxRestarts: 1 },
      }),
    );
    const v3 = await ended('web-v3');
    expect(v3.status, JSON.stringify(v3.stageResults, null, 2)).toBe('ROLLED_BACK');
    expect(v3.incidents[0]).toMatchObject({ trigger: 'restarts', status: 'ROLLED_BACK' });
    expect(v3.incidents[0]?.reason).toMatch(/restarted \d+ times \(> 1\)/);
    expect((await fetchOnce(ports.web)).version).toBe('v2');
  }, 240_000);

  it('should roll a rolling Rollout back by traffic after it completed and end ROLLED_BACK, not FAILED (F)', async () => {
    const rolling = { rolling: { maxSurge: 1, maxUnavailable: 0 } };
    await run(release('api-v1', 'api', 'v1', { strategy: rolling }));
    expect((await ended('api-v1')).status).toBe('SUCCESS');
    await run(release('api-v2', 'api', 'v2', { strategy: rolling, monitor: { checkpoints: ['60s'] } }));
    await waitUntil(
      async () => ((await get('api-v2')) as { stage?: string }).stage === 'MONITOR' || undefined,
      {
        timeoutMs: 90_000,
        what: 'api-v2 in MONITOR',
      },
    );
    await env.cliOk(['release', 'rollback', 'api-v2', '--type', 'traffic', '--reason', 'bad answers']);
    const r = await ended('api-v2');
    expect(r.status, JSON.stringify(r.stageResults, null, 2)).toBe('ROLLED_BACK');
    expect(r.incidents[0]).toMatchObject({ status: 'ROLLED_BACK', escalated: false });
    expect((await fetchOnce(ports.api)).version).toBe('v1');
  }, 240_000);

  it('should carry a release of type rollback at once: no canary step, no pause', async () => {
    const started = Date.now();
    await run(release('web-v1-again', 'web', 'v1', { type: 'rollback' }), ops);
    const r = await ended('web-v1-again');
    expect(r.status, JSON.stringify(r.stageResults, null, 2)).toBe('SUCCESS');
    expect(await setWeights('web-production', started)).toEqual(['Set canary weight to 100%']);
    const events = (await env.history('web-production')).events.filter((e) => e.time >= started);
    expect(events.map((e) => e.reason)).toContain('RolloutFastTracked');
    expect(events.map((e) => e.reason)).not.toContain('RolloutPaused');
    expect((await fetchOnce(ports.web)).version).toBe('v1');
  }, 120_000);
});
