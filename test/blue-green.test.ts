import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  type LoadGenerator,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/** Blue-green with manual promotion: the preview port shows v2 while production stays on v1. */
describe('BlueGreen rollout', () => {
  const env = CutoverEnv.create('cutover-bluegreen-');
  let port = 0;
  let previewPort = 0;
  let load: LoadGenerator | undefined;

  const spec = (version: string) =>
    specYaml(
      rolloutDoc('shop', {
        replicas: 2,
        port,
        template: sampleTemplate(env, version),
        strategy: { blueGreen: { previewPort, autoPromotionEnabled: false, scaleDownDelaySeconds: 1 } },
      }),
    );

  /** Versions answering `n` sequential requests on `p`. */
  async function versionsOn(p: number, n: number): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await fetchOnce(p);
      expect(r.status).toBe(200);
      seen[r.version] = (seen[r.version] ?? 0) + 1;
    }
    return seen;
  }

  beforeAll(async () => {
    [port, previewPort] = (await freePorts(2)) as [number, number];
  });

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
  });

  it('should serve v2 on the preview port only, then on the main port after promote, without failing a request', async () => {
    await env.applyOk(spec('v1'));
    await env.waitForRollout('shop', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    expect(await versionsOn(port, 5)).toEqual({ v1: 5 });

    load = startLoad(port, { concurrency: 4 });
    await waitUntil(() => load!.total >= 50, { timeoutMs: 10_000, what: '50 responses of v1' });

    const revised = await env.apply(spec('v2'));
    expect(revised.code, revised.stderr).toBe(0);
    const paused = await env.waitForRollout('shop', (r) => r.status.phase === 'Paused', {
      what: 'Paused with the preview up',
      timeoutMs: 30_000,
    });
    expect(paused.status.currentRevision).toBe(2);
    expect(paused.status.stableRevision).toBe(1);

    const pausedAt = Date.now();
    expect(await versionsOn(previewPort, 20)).toEqual({ v2: 20 });
    await waitUntil(() => load!.counts(pausedAt).total >= 200, {
      timeoutMs: 20_000,
      what: '200 responses while paused',
    });
    const whilePaused = load.counts(pausedAt);
    expect(whilePaused.byVersion).toEqual({ v1: whilePaused.total });

    // Still paused: nothing promotes it but a person.
    const status = await env.cli(['status', 'shop']);
    expect(status.code, status.stdout + status.stderr).toBe(5);
    expect(status.stdout).toContain('Paused');
    expect((await env.getRollout('shop')).status.phase).toBe('Paused');

    const promoted = await env.cli(['promote', 'shop']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const watched = await env.cli(['status', 'shop', '--watch', '--timeout', '30s'], { timeoutMs: 40_000 });
    expect(watched.code, watched.stdout + watched.stderr).toBe(0);

    const healthy = await env.getRollout('shop');
    expect(healthy.status.phase).toBe('Healthy');
    expect(healthy.status.stableRevision).toBe(2);

    const promotedAt = Date.now();
    await waitUntil(() => load!.counts(promotedAt).total >= 200, {
      timeoutMs: 20_000,
      what: '200 responses after promote',
    });
    const after = load.counts(promotedAt);
    expect(after.byVersion).toEqual({ v2: after.total });
    expect(await versionsOn(port, 5)).toEqual({ v2: 5 });

    // The old active side goes away after scaleDownDelaySeconds, and the main port stays clean throughout.
    await waitUntil(() => env.replicaPids().length === 2, {
      timeoutMs: 20_000,
      what: 'v1 replicas to be scaled down (2 replicas left)',
      describe: () => `${env.replicaPids().length} replica processes`,
    });
    const all = await load.stop();
    load = undefined;
    expect(all.failures).toEqual([]);
    expect(all.failed).toBe(0);
    expect(all.byVersion.v1).toBeGreaterThan(0);
    expect(all.byVersion.v2).toBeGreaterThan(0);
  });
});
