import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  isAlive,
  type LoadGenerator,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/**
 * `kill -9` of the control plane mid-canary: the data plane keeps routing the split, and a new
 * server resumes the rollout at the step it was on (design: "Control plane and data plane are
 * separate processes"; invariants 1 and 5).
 */
describe('Control plane restart', () => {
  const env = CutoverEnv.create('cutover-restart-');
  let port = 0;
  let load: LoadGenerator | undefined;

  const spec = (version: string) =>
    specYaml(
      rolloutDoc('api', {
        replicas: 2,
        port,
        template: sampleTemplate(env, version),
        strategy: {
          canary: {
            scaleDownDelaySeconds: 1,
            abortScaleDownDelaySeconds: 1,
            steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: { duration: '1s' } }],
          },
        },
      }),
    );

  const v2Share = (c: { total: number; byVersion: Record<string, number> }) =>
    (c.byVersion.v2 ?? 0) / c.total;

  beforeAll(async () => {
    port = await freePort();
  });

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
  });

  it('should keep serving the split through a SIGKILL of the server and resume at the same step', async () => {
    await env.applyOk(spec('v1'));
    await env.waitForRollout('api', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    load = startLoad(port, { concurrency: 4 });
    await waitUntil(() => load!.total >= 50, { timeoutMs: 10_000, what: '50 responses of v1' });

    await env.applyOk(spec('v2'));
    const before = await env.waitForRollout(
      'api',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1,
      { what: 'Paused at step 2 (20%)', timeoutMs: 30_000 },
    );
    expect(before.status.weights).toEqual({ canary: 20, stable: 80 });
    const replicasBefore = env.replicaPids().sort();
    expect(replicasBefore).toHaveLength(3); // 2 stable + 1 canary

    const serverPid = env.serverPid();
    const dataPlanePid = env.dataPlanePid();
    expect(serverPid).toBeDefined();
    expect(dataPlanePid).toBeDefined();
    process.kill(serverPid!, 'SIGKILL');
    await waitUntil(() => !isAlive(serverPid!), { timeoutMs: 5_000, what: 'the server to die' });
    const killedAt = Date.now();

    // Without a control plane the router keeps serving the 20% split.
    await waitUntil(() => load!.counts(killedAt).total >= 300, {
      timeoutMs: 20_000,
      what: '300 responses without a server',
    });
    const headless = load.counts(killedAt);
    expect(headless.failed, headless.failures.join('\n')).toBe(0);
    expect(v2Share(headless), JSON.stringify(headless.byVersion)).toBeGreaterThan(0.08);
    expect(v2Share(headless), JSON.stringify(headless.byVersion)).toBeLessThan(0.35);
    expect(isAlive(dataPlanePid!)).toBe(true);
    expect(isAlive(serverPid!)).toBe(false);

    // Any CLI command brings a new server up; it resumes from the store at the same step.
    const after = await env.getRollout('api');
    const newServerPid = env.serverPid();
    expect(newServerPid).toBeDefined();
    expect(newServerPid).not.toBe(serverPid);
    expect(env.dataPlanePid()).toBe(dataPlanePid);
    expect(after.status).toMatchObject({
      phase: 'Paused',
      currentStepIndex: 1,
      weights: { canary: 20, stable: 80 },
      currentRevision: 2,
      stableRevision: 1,
      abort: false,
    });

    // The new server re-adopts the running replicas instead of restarting them, and the split holds.
    const restartedAt = Date.now();
    await waitUntil(() => load!.counts(restartedAt).total >= 300, {
      timeoutMs: 20_000,
      what: '300 responses after restart',
    });
    const resumed = load.counts(restartedAt);
    expect(v2Share(resumed), JSON.stringify(resumed.byVersion)).toBeGreaterThan(0.08);
    expect(v2Share(resumed), JSON.stringify(resumed.byVersion)).toBeLessThan(0.35);
    expect(env.replicaPids().sort()).toEqual(replicasBefore);
    expect((await env.getRollout('api')).status).toMatchObject({ phase: 'Paused', currentStepIndex: 1 });

    // promote continues from that step: 60%, a 1 s pause, then Healthy on revision 2.
    const promoted = await env.cli(['promote', 'api']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const watched = await env.cli(['status', 'api', '--watch', '--timeout', '40s'], { timeoutMs: 50_000 });
    expect(watched.code, watched.stdout + watched.stderr).toBe(0);
    const done = await env.getRollout('api');
    expect(done.status).toMatchObject({ phase: 'Healthy', stableRevision: 2, currentRevision: 2 });
    const history = await env.history('api');
    const completed = history.events.filter((e) => e.reason === 'RolloutStepCompleted').map((e) => e.message);
    expect(completed.some((m) => m.includes('step 3/4'))).toBe(true);
    // No step ran twice after the restart.
    expect(new Set(completed).size).toBe(completed.length);

    const all = await load.stop();
    load = undefined;
    expect(all.failures).toEqual([]);
    expect(all.failed).toBe(0);
  });
});
