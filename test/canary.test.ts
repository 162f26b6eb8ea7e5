import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePort,
  type LoadGenerator,
  rolloutDoc,
  specYaml,
  startLoad,
  staticSite,
  waitUntil,
} from './support/cutover-env.js';

/**
 * A canary of a server nobody here wrote (`python3 -m http.server`), from a directory serving
 * "v1" to one serving "v2", promoted through its steps under steady keep-alive load.
 */
describe('Canary rollout', () => {
  const env = CutoverEnv.create('cutover-canary-');
  let port = 0;
  let load: LoadGenerator | undefined;

  const spec = (dir: string) =>
    specYaml(
      rolloutDoc('web', {
        replicas: 2,
        port,
        template: {
          command: ['python3', '-m', 'http.server', '$(PORT)', '--bind', '127.0.0.1'],
          cwd: `./${dir}`,
          readinessProbe: { httpGet: { path: '/' }, periodSeconds: 1 },
        },
        strategy: {
          canary: {
            abortScaleDownDelaySeconds: 2,
            scaleDownDelaySeconds: 1,
            steps: [
              { setWeight: 20 },
              { pause: {} },
              { setWeight: 50 },
              { pause: { duration: '1s' } },
              { pause: {} },
            ],
          },
        },
      }),
    );

  beforeAll(async () => {
    port = await freePort();
    staticSite(env, 'v1', 'v1');
    staticSite(env, 'v2', 'v2');
  });

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
  });

  it('should move traffic from v1 to v2 step by step without failing a request', async () => {
    const created = await env.apply(spec('v1'), 'web.yaml');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('rollout.cutover.dev/web created (revision 1)');
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on revision 1' });
    expect((await fetchOnce(port)).version).toBe('v1');

    load = startLoad(port, { concurrency: 4 });
    await waitUntil(() => load!.total >= 50, { timeoutMs: 10_000, what: '50 responses of v1' });

    const revised = await env.apply(spec('v2'), 'web.yaml');
    expect(revised.code, revised.stderr).toBe(0);
    expect(revised.stdout).toContain('revised (revision 2)');

    // Paused at step 2 (index 1) with 20% on the canary.
    const paused = await env.waitForRollout(
      'web',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1,
      { what: 'Paused at the 20% step', timeoutMs: 30_000 },
    );
    expect(paused.status.weights).toEqual({ canary: 20, stable: 80 });
    expect(paused.status.stableRevision).toBe(1);
    expect(paused.status.currentRevision).toBe(2);

    const from = Date.now();
    await waitUntil(() => load!.counts(from).total >= 300, {
      timeoutMs: 20_000,
      what: '300 responses at 20%',
    });
    const atTwenty = load.counts(from);
    const share = (atTwenty.byVersion.v2 ?? 0) / atTwenty.total;
    expect(share, JSON.stringify(atTwenty.byVersion)).toBeGreaterThan(0.08);
    expect(share, JSON.stringify(atTwenty.byVersion)).toBeLessThan(0.35);
    expect(Object.keys(atTwenty.byVersion).sort()).toEqual(['v1', 'v2']);

    const status = await env.cli(['status', 'web']);
    expect(status.code, status.stdout + status.stderr).toBe(5);
    expect(status.stdout).toContain('Paused');

    // promote: past the pause; setWeight 50, a 1 s pause, then the last indefinite pause.
    const promoted = await env.cli(['promote', 'web']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const atFifty = await env.waitForRollout(
      'web',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 4,
      { what: 'Paused at the last step (50%)', timeoutMs: 30_000 },
    );
    expect(atFifty.status.weights).toEqual({ canary: 50, stable: 50 });
    const fromFifty = Date.now();
    await waitUntil(() => load!.counts(fromFifty).total >= 200, {
      timeoutMs: 20_000,
      what: '200 responses at 50%',
    });
    const fifty = load.counts(fromFifty);
    const shareFifty = (fifty.byVersion.v2 ?? 0) / fifty.total;
    expect(shareFifty, JSON.stringify(fifty.byVersion)).toBeGreaterThan(0.35);
    expect(shareFifty, JSON.stringify(fifty.byVersion)).toBeLessThan(0.65);

    expect((await env.cli(['promote', 'web'])).code).toBe(0);
    const watched = await env.cli(['status', 'web', '--watch', '--timeout', '40s'], { timeoutMs: 50_000 });
    expect(watched.code, watched.stdout + watched.stderr).toBe(0);
    expect(watched.stdout).toContain('Healthy');

    const done = await env.getRollout('web');
    expect(done.status.phase).toBe('Healthy');
    expect(done.status.stableRevision).toBe(2);
    expect(done.status.currentRevision).toBe(2);
    expect(done.status.weights.canary).toBe(100);

    // Every request after completion lands on v2, while the old v1 replicas scale down.
    const end = Date.now();
    await waitUntil(() => load!.counts(end).total >= 200, {
      timeoutMs: 20_000,
      what: '200 responses after Healthy',
    });
    await waitUntil(() => env.replicaPids('v1').length === 0, {
      timeoutMs: 20_000,
      what: 'the v1 replicas to scale down',
      describe: () => `${env.replicaPids('v1').length} v1 replica processes`,
    });
    const after = load.counts(end);
    expect(after.byVersion).toEqual({ v2: after.total });

    const all = await load.stop();
    load = undefined;
    expect(all.failures).toEqual([]);
    expect(all.failed).toBe(0);
    expect(all.total).toBeGreaterThan(700);
  });
});
