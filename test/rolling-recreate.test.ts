import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/** Rolling and recreate updates from v1 to v2 under steady keep-alive load. */
describe('Rolling and Recreate rollouts', () => {
  const env = CutoverEnv.create('cutover-rolling-');
  let ports: number[] = [];

  beforeAll(async () => {
    ports = await freePorts(2);
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const spec = (
    name: string,
    port: number,
    version: string,
    replicas: number,
    strategy: Record<string, unknown>,
  ) => specYaml(rolloutDoc(name, { replicas, port, template: sampleTemplate(env, version), strategy }));

  /**
   * Applies v1, waits for Healthy, then applies v2 under load and waits for Healthy again while
   * sampling the ready replicas of every revision. Returns the load counts, the smallest total of
   * ready replicas seen during the update, and whether v1 and v2 were ever seen ready together.
   */
  async function update(name: string, port: number, replicas: number, strategy: Record<string, unknown>) {
    await env.applyOk(spec(name, port, 'v1', replicas, strategy), `${name}.yaml`);
    await env.waitForRollout(
      name,
      (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === replicas,
      {
        what: `Healthy on v1 with ${replicas} ready`,
      },
    );
    expect((await fetchOnce(port)).version).toBe('v1');

    const load = startLoad(port, { concurrency: 4 });
    try {
      await waitUntil(() => load.total >= 50, { timeoutMs: 10_000, what: '50 responses of v1' });
      const applied = await env.apply(spec(name, port, 'v2', replicas, strategy), `${name}.yaml`);
      expect(applied.code, applied.stderr).toBe(0);

      let minReady = Number.POSITIVE_INFINITY;
      let bothReady = false;
      const done = await waitUntil(
        async () => {
          const byRevision = await env.readyByRevision(name);
          minReady = Math.min(minReady, (byRevision[1] ?? 0) + (byRevision[2] ?? 0));
          if ((byRevision[1] ?? 0) > 0 && (byRevision[2] ?? 0) > 0) bothReady = true;
          const r = await env.rolloutFromApi(name);
          return r.status.phase === 'Healthy' && r.status.stableRevision === 2 ? r : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 100, what: `${name} Healthy on revision 2` },
      );
      expect(done.status.currentRevision).toBe(2);

      const healthyAt = Date.now();
      await waitUntil(() => load.counts(healthyAt).total >= 150, {
        timeoutMs: 20_000,
        what: '150 responses after Healthy',
      });
      const after = load.counts(healthyAt);
      expect(after.byVersion).toEqual({ v2: after.total });
      const all = await load.stop();
      return { all, minReady, bothReady };
    } finally {
      await load.stop();
    }
  }

  it('should replace 3 replicas one at a time (maxSurge 1, maxUnavailable 0) without failing a request', async () => {
    const { all, minReady, bothReady } = await update('rolling', ports[0]!, 3, {
      rolling: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(all.failures).toEqual([]);
    expect(all.failed).toBe(0);
    // Both versions answered during the update: traffic followed the ready replicas.
    expect(all.byVersion.v1).toBeGreaterThan(0);
    expect(all.byVersion.v2).toBeGreaterThan(0);
    // maxUnavailable 0: never fewer than 3 ready replicas.
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(bothReady).toBe(true);
    expect((await env.getRollout('rolling')).status).toMatchObject({
      phase: 'Healthy',
      stableRevision: 2,
      readyReplicas: 3,
    });
  });

  it('should stop v1 before starting v2 and hold requests meanwhile so none fails', async () => {
    const { all, bothReady } = await update('recreate', ports[1]!, 2, { recreate: {} });
    expect(all.failures).toEqual([]);
    expect(all.failed).toBe(0);
    expect(all.byVersion.v1).toBeGreaterThan(0);
    expect(all.byVersion.v2).toBeGreaterThan(0);
    // Recreate: v1 and v2 never run side by side (sampled every 100 ms).
    expect(bothReady).toBe(false);
    expect((await env.getRollout('recreate')).status).toMatchObject({ phase: 'Healthy', stableRevision: 2 });
  });
});
