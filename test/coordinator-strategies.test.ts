import { afterAll, describe, expect, it } from 'vitest';
import {
  activePoller,
  coordinatorHandoff,
  coordinatorTemplate,
  sessionTraffic,
} from './support/coordinator.js';
import { CutoverEnv, freePort, rolloutDoc, specYaml, waitUntil } from './support/cutover-env.js';

interface HandoffRunJson {
  kind: string;
  phase: string;
  fromReplica: string | null;
  toReplica: string | null;
  steps: { name: string }[];
}

/**
 * The coordination handoff under rolling, recreate and a stateful rolling update of one replica
 * (in place: the state leaves before the ordinal's successor starts), under session traffic.
 */
describe('coordination handoff with rolling, recreate and stateful updates (real processes)', () => {
  const env = CutoverEnv.create('cutover-handoff-strategies-');
  afterAll(async () => {
    await env.cleanup();
  });

  async function updateUnderTraffic(
    name: string,
    spec: (version: string) => Record<string, unknown>,
  ): Promise<HandoffRunJson> {
    const port = (spec('v1') as { port: number }).port;
    const doc = (version: string) =>
      specYaml(rolloutDoc(name, spec(version) as Parameters<typeof rolloutDoc>[1]));
    await env.applyOk(doc('v1'), `${name}.yaml`);
    await env.waitForRollout(name, (r) => r.status.phase === 'Healthy' && r.status['activeReplica'] != null, {
      what: 'an active coordinator',
    });
    const traffic = sessionTraffic(port, name, 2);
    const poller = activePoller(env, name);
    await waitUntil(() => traffic.ok >= 50, { timeoutMs: 10_000, what: '50 increments' });
    await env.applyOk(doc('v2'), `${name}.yaml`);
    await env.waitForRollout(name, (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'updated to v2',
      timeoutMs: 60_000,
    });
    const after = traffic.ok;
    await waitUntil(() => traffic.ok >= after + 30, { timeoutMs: 10_000, what: '30 increments on v2' });
    await traffic.stop();
    await poller.stop();
    expect(traffic.failures).toEqual([]);
    expect(traffic.mismatches).toEqual([]);
    expect(poller.maxActive).toBe(1);
    // Healthy once the new replica is active; the run ends with its last step (a shutdown) after.
    return waitUntil(
      async () => {
        const { items } = await env.apiGet<{ items: HandoffRunJson[] }>(`/api/v1/rollouts/${name}/handoffs`);
        return items[0]?.phase === 'Running' ? undefined : items[0];
      },
      { timeoutMs: 15_000, what: `the ${name} handoff ended` },
    );
  }

  it('should hand over before the last old replica of a rolling update stops', async () => {
    const port = await freePort();
    const run = await updateUnderTraffic('roll', (version) => ({
      replicas: 2,
      port,
      template: coordinatorTemplate(env, version),
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
      handoff: coordinatorHandoff(),
    }));
    expect(run).toMatchObject({ kind: 'Update', phase: 'Successful' });
    expect(run.fromReplica).toMatch(/^roll-r1-/);
    expect(run.toReplica).toMatch(/^roll-r2-/);
  }, 90_000);

  it('should hand over between the stop and the start of a recreate', async () => {
    const port = await freePort();
    const run = await updateUnderTraffic('recr', (version) => ({
      replicas: 1,
      port,
      template: coordinatorTemplate(env, version),
      strategy: { recreate: {} },
      // Not a singleton: outside a handoff every ready replica is sent requests.
      handoff: coordinatorHandoff({ timeoutSeconds: 10, singleton: false }),
    }));
    expect(run).toMatchObject({
      kind: 'Update',
      phase: 'Successful',
      fromReplica: 'recr-r1-0',
      toReplica: 'recr-r2-0',
    });
    expect(run.steps.map((s) => s.name)).toEqual([
      'drain',
      'prepare',
      'export',
      'shutdown',
      'stop',
      'import',
      'activate',
      'verify',
      'release',
    ]);
  }, 90_000);

  it('should hand a stateful ordinal over in place: exported and shut down before its successor starts', async () => {
    const port = await freePort();
    const run = await updateUnderTraffic('single', (version) => ({
      replicas: 1,
      port,
      template: coordinatorTemplate(env, version),
      strategy: { rolling: {} },
      stateful: {},
      handoff: coordinatorHandoff({ timeoutSeconds: 10 }),
    }));
    expect(run).toMatchObject({
      kind: 'Update',
      phase: 'Successful',
      fromReplica: 'single-0',
      toReplica: 'single-0',
    });
    expect(run.steps.map((s) => s.name)).toContain('stop');
  }, 90_000);
});
