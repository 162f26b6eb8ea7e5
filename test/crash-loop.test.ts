import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  type RolloutJson,
  rolloutDoc,
  SAMPLE_SERVICE,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/**
 * A canary that starts crash-looping while the rollout waits at `pause: {}`, and a template whose
 * process cannot be started, with real processes (issue 9: the first stayed Paused for 45 s with
 * 5 restarts and no event; the second stayed Progressing with no event).
 */
describe('Crash-looping and unstartable revisions', () => {
  const env = CutoverEnv.create('cutover-crashloop-');
  let crashPort = 0;
  let spawnPort = 0;

  /**
   * The sample service, except that it exits with code 3 as soon as `crash` exists in its working
   * directory: at once when started with it there, and within 100 ms when it appears.
   */
  const CRASHY = [
    "import { existsSync } from 'node:fs';",
    "if (existsSync('crash')) process.exit(3);",
    "setInterval(() => { if (existsSync('crash')) process.exit(3); }, 100);",
    'await import(process.env.SERVICE);',
  ].join('\n');

  const canary = {
    abortScaleDownDelaySeconds: 2,
    steps: [{ setWeight: 50 }, { pause: {} }],
  };

  const events = async (name: string, reason: string) =>
    (await env.history(name)).events.filter((e) => e.reason === reason);

  beforeAll(async () => {
    [crashPort = 0, spawnPort = 0] = await freePorts(2);
    env.write('crashy/crashy.mjs', CRASHY);
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('should make a canary that crash-loops during pause: {} Degraded with an event, and abort it to stable', async () => {
    // rolloutDoc() does not know progressDeadlineAbort.
    const doc = (template: Record<string, unknown>) =>
      specYaml({
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'Rollout',
        metadata: { name: 'web' },
        spec: { replicas: 2, port: crashPort, progressDeadlineAbort: true, template, strategy: { canary } },
      });
    await env.applyOk(doc(sampleTemplate(env, 'v1')), 'web.yaml');
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const crashy = {
      command: ['node', env.path('crashy/crashy.mjs')],
      cwd: env.path('crashy'),
      env: { VERSION: 'v2', SERVICE: SAMPLE_SERVICE },
      readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
    };
    const revised = await env.apply(doc(crashy), 'web.yaml');
    expect(revised.code, revised.stderr).toBe(0);
    await env.waitForRollout('web', (r) => r.status.phase === 'Paused' && r.status.weights.canary === 50, {
      what: 'Paused at 50% on v2',
      timeoutMs: 30_000,
    });

    const crashedAt = Date.now();
    env.write('crashy/crash', '');
    // 1 s + 2 s + 4 s of backoff: about 8 s; the bug left it Paused for good.
    const aborted = await env.waitForRollout('web', (r) => r.status.abort, {
      what: 'aborted for the crash loop',
      timeoutMs: 30_000,
    });
    const seconds = (Date.now() - crashedAt) / 1000;
    expect(seconds).toBeLessThan(25);
    expect(aborted.status.phase).toBe('Degraded');
    expect(aborted.status.message).toMatch(
      /^RolloutAborted: Rollout aborted update to revision 2: CrashLoopBackOff: replica web-r2-\d of revision 2 exited with code 3, restarted \d+ times without a ready period$/,
    );
    expect(aborted.status.weights).toEqual({ canary: 0, stable: 100 });

    const crashLoop = await events('web', 'CrashLoopBackOff');
    expect(crashLoop).toHaveLength(1);
    expect(crashLoop[0]).toMatchObject({ type: 'Warning', rollout: 'web', actor: 'controller' });
    expect(crashLoop[0]!.message).toMatch(
      /^Replica web-r2-\d of revision 2 exited with code 3, restarted \d+ times without a ready period$/,
    );
    expect((await events('web', 'RolloutAborted')).map((e) => e.message)).toEqual([
      expect.stringContaining('CrashLoopBackOff: replica web-r2-'),
    ]);

    // All traffic on stable, as the router serves it: no request fails, none reaches v2.
    await waitUntil(
      async () => {
        const { listeners } = await env.apiGet<{
          listeners: { port: number; backends: { revision: number; weight: number }[] }[];
        }>('/api/v1/rollouts/web/replicasets');
        const routed = listeners.find((l) => l.port === crashPort)?.backends.filter((b) => b.weight > 0);
        return routed?.length === 1 && routed[0]?.revision === 1 && routed[0].weight === 100;
      },
      { timeoutMs: 10_000, what: 'the router to send 100% to revision 1' },
    );
    const load = startLoad(crashPort, { concurrency: 4 });
    await waitUntil(() => load.total >= 300, { timeoutMs: 20_000, what: '300 responses after the abort' });
    const counts = await load.stop();
    expect(counts.failures).toEqual([]);
    expect(counts.byVersion).toEqual({ v1: counts.total });

    const status = await env.cli(['status', 'web']);
    expect(status.code, status.stdout + status.stderr).toBe(3);
    expect(status.stdout).toContain('Degraded - RolloutAborted:');
    expect(status.stdout).toContain('exited with code 3');

    // The phase is on /metrics; an abort for a crash loop is not counted as an analysis abort.
    const metrics = await request(`http://127.0.0.1:${env.apiPort()}/metrics`, {
      headers: { authorization: `Bearer ${env.apiToken()}` },
      headersTimeout: 5_000,
    }).then((res) => res.body.text());
    expect(metrics).toContain('cutover_rollout_phase{rollout="web",phase="Degraded"} 1');
    expect(metrics).not.toContain('cutover_analysis_aborts_total{rollout="web"');
  }, 120_000);

  it('should report a template whose process cannot start (ENOENT) with the reason, Degraded', async () => {
    const doc = (template: Record<string, unknown>) =>
      specYaml(rolloutDoc('api', { replicas: 1, port: spawnPort, template, strategy: { canary } }));
    await env.applyOk(doc(sampleTemplate(env, 'v1')), 'api.yaml');
    await env.waitForRollout('api', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const applied = Date.now();
    // apply checks that command[0] is an executable, except when it is a $(VAR) reference, which
    // is expanded per replica: here to a file that does not exist.
    const missing = {
      command: ['$(APP_BIN)', '--port', '$(PORT)'],
      cwd: env.path('replicas'),
      env: { APP_BIN: env.path('no-such-command') },
    };
    await env.applyOk(doc(missing), 'api.yaml');

    // Without progressDeadlineAbort: Degraded with the reason, not aborted (it used to stay Progressing).
    const degraded: RolloutJson = await env.waitForRollout('api', (r) => r.status.phase === 'Degraded', {
      what: 'Degraded for the failed spawn',
      timeoutMs: 15_000,
    });
    expect((Date.now() - applied) / 1000).toBeLessThan(12);
    expect(degraded.status.abort).toBe(false);
    expect(degraded.status.message).toMatch(
      /^RunContainerError: replica api-r2-0 of revision 2 cannot start: spawn failed: ENOENT \(exit code 127\), restarted \d+ times? without a ready period$/,
    );
    const failed = await events('api', 'RunContainerError');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'Warning', rollout: 'api' });
    expect(failed[0]!.message).toContain('spawn failed: ENOENT (exit code 127)');

    const got = await env.cliOk(['get', 'rollout', 'api']);
    expect(got.stdout).toContain(
      '✖ Degraded (RunContainerError: replica api-r2-0 of revision 2 cannot start',
    );
    expect(got.stdout).toContain('REPLICA FAILURES');
    const status = await env.cli(['status', 'api']);
    expect(status.code, status.stdout + status.stderr).toBe(3);
    expect(status.stdout).toContain('Degraded - RunContainerError: ');
    // The stable revision keeps serving.
    for (let i = 0; i < 20; i++)
      expect(await fetchOnce(spawnPort)).toMatchObject({ status: 200, version: 'v1' });
  });
});
