import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  type LoadGenerator,
  type RolloutJson,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/**
 * The operations of `kubectl argo rollouts` on a canary, in the order a person would use them:
 * pause / resume, abort / retry, promote, undo; refusals; list and history.
 */
describe('Rollout commands', () => {
  const env = CutoverEnv.create('cutover-commands-');
  let port = 0;
  let otherPort = 0;
  let load: LoadGenerator | undefined;

  const spec = (version: string) =>
    specYaml(
      rolloutDoc('cmd', {
        replicas: 2,
        port,
        template: sampleTemplate(env, version),
        strategy: {
          canary: {
            abortScaleDownDelaySeconds: 1,
            scaleDownDelaySeconds: 1,
            steps: [{ setWeight: 50 }, { pause: {} }],
          },
        },
      }),
    );

  const pausedAtStep2 = (r: RolloutJson) =>
    r.status.phase === 'Paused' &&
    r.status.currentStepIndex === 1 &&
    r.status.weights.canary === 50 &&
    r.status.pauseConditions.some((p) => p.reason === 'CanaryPauseStep');

  /** Waits for `n` responses sent from now on and returns their counts by version. */
  async function nextResponses(n: number): Promise<Record<string, number>> {
    const from = Date.now();
    await waitUntil(() => load!.counts(from).total >= n, { timeoutMs: 20_000, what: `${n} responses` });
    const c = load!.counts(from);
    expect(c.failures).toEqual([]);
    return c.byVersion;
  }

  /** Runs a command that must be refused with `message`; nothing may change. */
  async function expectRefused(args: string[], message: RegExp): Promise<void> {
    const before = await env.rolloutFromApi('cmd');
    const result = await env.cli(args);
    expect(result.code, result.stdout).not.toBe(0);
    expect(result.stderr).toMatch(message);
    const after = await env.rolloutFromApi('cmd');
    expect(after.status).toEqual(before.status);
  }

  beforeAll(async () => {
    [port, otherPort] = (await freePorts(2)) as [number, number];
    const other = rolloutDoc('other', {
      replicas: 1,
      port: otherPort,
      template: sampleTemplate(env, 'o1'),
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const created = await env.apply(`${spec('v1')}---\n${specYaml(other)}`);
    expect(created.code, created.stderr).toBe(0);
    await env.waitForRollout('cmd', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    await env.waitForRollout('other', (r) => r.status.phase === 'Healthy', { what: 'Healthy on o1' });
    load = startLoad(port, { concurrency: 3 });
  });

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
  });

  it('should refuse retry, abort and promote on a healthy rollout with a message and change nothing', async () => {
    await expectRefused(['retry', 'cmd'], /only an aborted update can be retried/);
    await expectRefused(['abort', 'cmd'], /no update in progress/);
    await expectRefused(['promote', 'cmd'], /no update in progress/);
    const missing = await env.cli(['promote', 'no-such-rollout']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-rollout.*not found/);
  });

  it('should hold a new revision while paused and carry on after resume', async () => {
    const paused = await env.cli(['pause', 'cmd']);
    expect(paused.code, paused.stderr).toBe(0);
    expect((await env.getRollout('cmd')).status.controllerPause).toBe(true);
    await expectRefused(['pause', 'cmd'], /already paused/);

    await env.applyOk(spec('v2'));
    const held = await env.waitForRollout('cmd', (r) => r.status.currentRevision === 2, {
      what: 'revision 2 noticed',
    });
    expect(held.status.phase).toBe('Paused');
    // While paused it does not move: no traffic to v2 over the next few hundred requests.
    expect(await nextResponses(200)).toEqual({ v1: expect.any(Number) });
    expect((await env.getRollout('cmd')).status).toMatchObject({
      currentStepIndex: 0,
      weights: { canary: 0, stable: 100 },
    });

    const resumed = await env.cli(['resume', 'cmd']);
    expect(resumed.code, resumed.stderr).toBe(0);
    await env.waitForRollout('cmd', pausedAtStep2, { what: 'Paused at step 2 with 50%' });
    const split = await nextResponses(200);
    expect(split.v1).toBeGreaterThan(40);
    expect(split.v2).toBeGreaterThan(40);
    await expectRefused(['resume', 'cmd'], /not paused/);

    // Paused indefinitely: `status --watch` gives up with exit 4, `status` alone exits 5.
    const watched = await env.cli(['status', 'cmd', '--watch', '--timeout', '2s']);
    expect(watched.code, watched.stdout + watched.stderr).toBe(4);
    expect(watched.stdout).toMatch(/timed out/);
    expect((await env.cli(['status', 'cmd'])).code).toBe(5);
    expect((await env.cli(['get', 'rollout', 'cmd', '-o', 'yaml'])).code).toBe(2);
    const unknown = await env.cli(['get', 'rollout', 'nope', '-o', 'json']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nope.*not found/);
  });

  it('should abort to all-v1 and retry the update from its first step', async () => {
    const aborted = await env.cli(['abort', 'cmd']);
    expect(aborted.code, aborted.stderr).toBe(0);
    const degraded = await env.getRollout('cmd');
    expect(degraded.status).toMatchObject({
      phase: 'Degraded',
      abort: true,
      weights: { canary: 0, stable: 100 },
    });
    const status = await env.cli(['status', 'cmd']);
    expect(status.code).toBe(3);
    expect(await nextResponses(200)).toEqual({ v1: expect.any(Number) });
    await expectRefused(['abort', 'cmd'], /already aborted/);
    await expectRefused(['promote', 'cmd'], /aborted.*retry/);

    const retried = await env.cli(['retry', 'cmd']);
    expect(retried.code, retried.stderr).toBe(0);
    const again = await env.waitForRollout('cmd', pausedAtStep2, {
      what: 'Paused at step 2 again after retry',
    });
    expect(again.status.abort).toBe(false);
    const split = await nextResponses(200);
    expect(split.v2).toBeGreaterThan(40);

    expect((await env.cli(['promote', 'cmd'])).code).toBe(0);
    await env.waitForRollout('cmd', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'Healthy on revision 2',
    });
    expect(await nextResponses(100)).toEqual({ v2: expect.any(Number) });
  });

  it('should undo back to the template of revision 1', async () => {
    const undone = await env.cli(['undo', 'cmd']);
    expect(undone.code, undone.stderr).toBe(0);
    // As Argo: the old template comes back as a new revision and goes through the strategy.
    const update = await env.waitForRollout('cmd', (r) => r.status.currentRevision === 3, {
      what: 'revision 3',
    });
    expect(update.status.stableRevision).toBe(2);
    const history = await env.history('cmd');
    expect(history.revisions.map((r) => r.number)).toEqual([1, 2, 3]);
    expect(history.revisions[2]!.hash).toBe(history.revisions[0]!.hash);

    const full = await env.cli(['promote', 'cmd', '--full']);
    expect(full.code, full.stderr).toBe(0);
    const healthy = await env.waitForRollout(
      'cmd',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 3,
      { what: 'Healthy on revision 3' },
    );
    expect(healthy.status.currentRevision).toBe(3);
    expect(await nextResponses(100)).toEqual({ v1: expect.any(Number) });
    expect((await fetchOnce(port)).body).toBe('hello from v1\n');
  });

  it('should list every rollout as JSON', async () => {
    const list = await env.cliOk(['list', 'rollouts', '-o', 'json']);
    const { items } = JSON.parse(list.stdout) as { items: RolloutJson[] };
    expect(items.map((r) => r.metadata.name).sort()).toEqual(['cmd', 'other']);
    const cmd = items.find((r) => r.metadata.name === 'cmd')!;
    expect(cmd).toMatchObject({ apiVersion: 'cutover.dev/v1alpha1', kind: 'Rollout', spec: { port } });
    expect(cmd.status).toMatchObject({ phase: 'Healthy', stableRevision: 3 });
    expect(items.find((r) => r.metadata.name === 'other')!.status).toMatchObject({
      phase: 'Healthy',
      stableRevision: 1,
    });
    const text = await env.cliOk(['list', 'rollouts']);
    expect(text.stdout).toMatch(/^cmd\s+Canary\s+Healthy/m);
    expect(text.stdout).toMatch(/^other\s+Rolling\s+Healthy/m);
  });

  it('should record every operation in history with its actor', async () => {
    const { events } = await env.history('cmd');
    const byUser = events.filter((e) => e.actor.startsWith('user:'));
    const reasonsOf = (list: typeof events) => new Set(list.map((e) => e.reason));
    for (const reason of [
      'RolloutCreated',
      'RolloutPaused',
      'RolloutResumed',
      'RolloutAborted',
      'RolloutRetried',
      'RolloutPromoted',
    ]) {
      expect(reasonsOf(byUser), reason).toContain(reason);
    }
    const byController = events.filter((e) => e.actor === 'controller');
    for (const reason of ['SetWeight', 'RolloutStepCompleted', 'RolloutCompleted']) {
      expect(reasonsOf(byController), reason).toContain(reason);
    }
    // The undo is an apply by the user: a revision created with its template.
    expect(byUser.some((e) => e.reason === 'RevisionCreated' && e.message.includes('Revision 3'))).toBe(true);
    // No event comes from an unnamed actor.
    expect(events.every((e) => e.actor === 'controller' || /^user:\S+$/.test(e.actor))).toBe(true);
    // Events are in order.
    const times = events.map((e) => e.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const text = await env.cliOk(['history', 'cmd']);
    expect(text.stdout).toMatch(/user:\S+\s+⚠? ?RolloutAborted/);
    expect(text.stdout).toMatch(/controller\s+SetWeight/);

    const all = await load!.stop();
    load = undefined;
    expect(all.failures).toEqual([]);
  });
});
