import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, hasChromium, launchChromium, signIn, watchConsole } from './support/browser.js';
import {
  activePoller,
  coordinationStatus,
  coordinatorHandoff,
  coordinatorTemplate,
  sessionTraffic,
} from './support/coordinator.js';
import { CutoverEnv, freePorts, isAlive, rolloutDoc, specYaml, waitUntil } from './support/cutover-env.js';

interface HandoffRunJson {
  name: string;
  kind: string;
  phase: 'Running' | 'Successful' | 'Failed';
  pending: string[];
  fromReplica: string | null;
  toReplica: string | null;
  state?: { sha256: string; size: number };
  steps: { name: string; replica?: string; ok: boolean; detail?: string }[];
  message?: string;
}

/**
 * The sample coordinator agent shipped with blue-green and the coordination handoff, under session
 * traffic, through the real server, data plane and router: no session loses its state, no request
 * fails, and at no instant are two coordinators active.
 */
describe('coordination handoff of a stateful coordinator (blue-green, real processes)', () => {
  const env = CutoverEnv.create('cutover-handoff-');
  let port = 0;
  let previewPort = 0;

  const spec = (
    version: string,
    extraEnv: Record<string, string> = {},
    handoff: Record<string, unknown> = {},
  ) =>
    specYaml(
      rolloutDoc('coord', {
        replicas: 1,
        port,
        template: coordinatorTemplate(env, version, extraEnv),
        strategy: { blueGreen: { previewPort, autoPromotionSeconds: 1, scaleDownDelaySeconds: 2 } },
        ...({ handoff: coordinatorHandoff(handoff) } as object),
      } as Parameters<typeof rolloutDoc>[1]),
    );

  const handoffs = async () =>
    (await env.apiGet<{ items: HandoffRunJson[] }>('/api/v1/rollouts/coord/handoffs')).items;

  /** The replica ports of a revision, from the data plane. */
  async function portsOf(revision: number): Promise<number[]> {
    const { items } = await env.apiGet<{
      items: { revision: number; replicaStatuses: { port: number; pid: number | null }[] }[];
    }>('/api/v1/rollouts/coord/replicasets');
    return items
      .filter((s) => s.revision === revision)
      .flatMap((s) => s.replicaStatuses.filter((r) => r.pid !== null).map((r) => r.port));
  }

  beforeAll(async () => {
    [port, previewPort] = (await freePorts(2)) as [number, number];
    const applied = await env.apply(spec('v1'));
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout(
      'coord',
      (r) => r.status.phase === 'Healthy' && r.status['activeReplica'] != null,
      {
        what: 'Healthy with an active coordinator',
      },
    );
  }, 60_000);

  afterAll(async () => {
    await env.cleanup();
  });

  it('should activate the first revision through activate and verify', async () => {
    const [first] = await handoffs();
    expect(first).toMatchObject({
      kind: 'Activation',
      phase: 'Successful',
      fromReplica: null,
      toReplica: 'coord-r1-0',
    });
    expect(first!.steps.map((s) => s.name)).toEqual(['activate', 'verify', 'release']);
  });

  it('should hand the sessions over at promotion: every counter intact, no request failed, never two active', async () => {
    const traffic = sessionTraffic(port, 'promote');
    const poller = activePoller(env, 'coord');
    await waitUntil(() => traffic.ok >= 100, { timeoutMs: 10_000, what: '100 increments on v1' });
    const v1 = (await portsOf(1))[0]!;

    await env.applyOk(spec('v2'));
    const healthy = await env.waitForRollout(
      'coord',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2,
      { what: 'promoted to v2', timeoutMs: 45_000 },
    );
    const afterPromotion = traffic.ok;
    await waitUntil(() => traffic.ok >= afterPromotion + 50, {
      timeoutMs: 10_000,
      what: '50 increments on v2',
    });
    await traffic.stop();
    await poller.stop();

    expect(traffic.failures).toEqual([]);
    expect(traffic.mismatches).toEqual([]);
    expect(poller.polls).toBeGreaterThan(20);
    expect(poller.maxActive).toBe(1);
    expect([...poller.seenActive].sort()).toEqual(['coord-r1-0@v1', 'coord-r2-0@v2']);
    expect(healthy.status['activeReplica']).toMatchObject({ id: 'coord-r2-0', revision: 2 });

    const [update] = await handoffs();
    expect(update).toMatchObject({
      kind: 'Update',
      phase: 'Successful',
      fromReplica: 'coord-r1-0',
      toReplica: 'coord-r2-0',
    });
    expect(update!.steps.map((s) => s.name)).toEqual([
      'drain',
      'prepare',
      'export',
      'import',
      'activate',
      'verify',
      'release',
      'shutdown',
    ]);
    expect(update!.state!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The old coordinator was shut down before its revision was scaled down.
    await waitUntil(async () => (await portsOf(1)).length === 0, {
      timeoutMs: 15_000,
      what: 'v1 scaled down',
    });
    const status = await coordinationStatus(v1);
    expect(status === undefined || status.shutDown).toBe(true);

    // Every session's counter, read on the new coordinator, is what its client last saw.
    const v2 = (await portsOf(2))[0]!;
    for (const [session, count] of traffic.counts) {
      const res = await fetch(`http://127.0.0.1:${v2}/api/v1/sessions/${session}`);
      expect(((await res.json()) as { counter: number }).counter, session).toBe(count);
    }
  }, 90_000);

  it('should abort an update whose verify fails, leaving the old coordinator active with its state and no request failed', async () => {
    const traffic = sessionTraffic(port, 'verify');
    const poller = activePoller(env, 'coord');
    await waitUntil(() => traffic.ok >= 50, { timeoutMs: 10_000, what: '50 increments on v2' });

    await env.applyOk(spec('v3', { VERIFY_FAIL: '1' }));
    const aborted = await env.waitForRollout('coord', (r) => r.status.abort, {
      what: 'aborted by the failed verify',
      timeoutMs: 45_000,
    });
    expect(aborted.status.message).toContain('verify');
    const before = traffic.ok;
    await waitUntil(() => traffic.ok >= before + 50, {
      timeoutMs: 15_000,
      what: '50 increments after the abort',
    });
    await traffic.stop();
    await poller.stop();

    expect(traffic.failures).toEqual([]);
    expect(traffic.mismatches).toEqual([]);
    expect(poller.maxActive).toBe(1);
    const [failed] = await handoffs();
    expect(failed).toMatchObject({ phase: 'Failed', fromReplica: 'coord-r2-0', toReplica: 'coord-r3-0' });
    expect(failed!.message).toMatch(/^verify coord-r3-0 failed: HTTP 200, \{\$\.active\} = false/);
    // The old coordinator was re-activated after its preparation.
    expect(failed!.steps.at(-1)).toMatchObject({ name: 'activate', replica: 'coord-r2-0', ok: true });
    const v2 = (await portsOf(2))[0]!;
    expect((await coordinationStatus(v2))?.active).toBe(true);
    const history = await env.history('coord');
    expect(history.events.some((e) => e.reason === 'HandoffFailed' && e.message.includes('verify'))).toBe(
      true,
    );
  }, 90_000);

  it.skipIf(!hasChromium() && !process.env.CI)(
    'should show the active replica and the failed handoff, step by step, on the dashboard',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        const errors = watchConsole(page);
        await signIn(page, `http://127.0.0.1:${env.apiPort()}/ui/#/rollouts/coord`, adminToken(env));
        const section = page.getByRole('region', { name: 'Coordination handoff' });
        await section.getByText('Active replica: coord-r2-0 (revision 2)').waitFor({ timeout: 10_000 });
        const run = section.getByRole('article', { name: /^handoff coord-r3-handoff/ });
        await run.getByRole('alert').waitFor();
        expect(await run.getByRole('alert').textContent()).toMatch(/^verify coord-r3-0 failed/);
        const rows = await run.getByRole('row').allTextContents();
        expect(rows.some((r) => r.includes('✖ verify') && r.includes('coord-r3-0'))).toBe(true);
        expect(rows.some((r) => r.includes('✔ export') && r.includes('coord-r2-0'))).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    30_000,
  );

  it('should resume a handoff after kill -9 of the control plane between export and import, with the same stored state', async () => {
    const traffic = sessionTraffic(port, 'resume', 2);
    await waitUntil(() => traffic.ok >= 30, { timeoutMs: 10_000, what: '30 increments' });
    // The first import hangs (10 s timeout): the control plane dies while it waits.
    await env.applyOk(spec('v4', { HANG: 'import:1' }, { timeoutSeconds: 10 }));
    const exported = await waitUntil(
      async () => {
        const [run] = await handoffs();
        return run?.name.startsWith('coord-r4') && run.pending[0] === 'import' ? run : undefined;
      },
      { timeoutMs: 45_000, what: 'the v4 handoff past its export' },
    );
    const server = env.serverPid()!;
    process.kill(server, 'SIGKILL');
    await waitUntil(() => !isAlive(server), { timeoutMs: 5_000, what: 'the server gone' });

    // Any command starts a new server, which resumes the run at its import.
    await env.cliOk(['get', 'rollout', 'coord']);
    const done = await waitUntil(
      async () => {
        const [run] = await handoffs();
        return run?.phase === 'Successful' ? run : undefined;
      },
      { timeoutMs: 45_000, what: 'the resumed handoff completed' },
    );
    await traffic.stop();
    expect(done.state).toEqual(exported.state);
    expect(done.steps.filter((s) => s.name === 'export')).toHaveLength(1);
    expect(traffic.failures).toEqual([]);
    expect(traffic.mismatches).toEqual([]);
    const v4 = (await portsOf(4))[0]!;
    const status = await coordinationStatus(v4);
    expect(status).toMatchObject({ active: true, imports: 1, version: 'v4' });
  }, 120_000);

  it('should abort with a clear error on a state over maxStateBytes and on a hung step, the old coordinator still active', async () => {
    const traffic = sessionTraffic(port, 'bad', 2);
    const poller = activePoller(env, 'coord');
    await waitUntil(() => traffic.ok >= 30, { timeoutMs: 10_000, what: '30 increments' });
    const failedRun = async (revision: number) =>
      waitUntil(
        async () => {
          const [run] = await handoffs();
          return run?.name.startsWith(`coord-r${revision}`) && run.phase === 'Failed' ? run : undefined;
        },
        { timeoutMs: 45_000, what: `the handoff to revision ${revision} failed` },
      );

    await env.applyOk(spec('v5', {}, { maxStateBytes: 64 }));
    const tooLarge = await failedRun(5);
    expect(tooLarge.message).toBe(
      'export coord-r4-0 failed: the answer is larger than maxStateBytes (64 bytes)',
    );
    expect(tooLarge.state).toBeUndefined();

    await env.applyOk(spec('v6', { HANG: 'activate' }, { timeoutSeconds: 1 }));
    const hung = await failedRun(6);
    expect(hung.message).toBe('activate coord-r6-0 failed: timed out after 1000 ms');
    const aborted = await env.waitForRollout(
      'coord',
      (r) => r.status.abort && r.status.currentRevision === 6,
      {
        what: 'the update to v6 aborted',
      },
    );
    expect(aborted.status.message).toContain('activate coord-r6-0 failed: timed out after 1000 ms');

    const before = traffic.ok;
    await waitUntil(() => traffic.ok >= before + 30, { timeoutMs: 15_000, what: '30 increments after' });
    await traffic.stop();
    await poller.stop();
    expect(traffic.failures).toEqual([]);
    expect(traffic.mismatches).toEqual([]);
    expect(poller.maxActive).toBe(1);
    expect((await coordinationStatus((await portsOf(4))[0]!))?.active).toBe(true);
  }, 120_000);

  it('should fail over to a standby from the latest snapshot when the active coordinator is killed', async () => {
    const haPort = (await freePorts(1))[0]!;
    const ha = specYaml(
      rolloutDoc('coordha', {
        replicas: 2,
        port: haPort,
        template: coordinatorTemplate(env, 'v1'),
        strategy: { recreate: {} },
        ...({ handoff: coordinatorHandoff({ snapshotIntervalSeconds: 1 }) } as object),
      } as Parameters<typeof rolloutDoc>[1]),
    );
    await env.applyOk(ha, 'ha.yaml');
    const ready = await env.waitForRollout(
      'coordha',
      (r) => r.status.phase === 'Healthy' && r.status['activeReplica'] != null,
      {
        what: 'an active coordinator',
      },
    );
    const active = (ready.status['activeReplica'] as { id: string }).id;
    const traffic = sessionTraffic(haPort, 'ha', 2);
    await waitUntil(() => traffic.ok >= 50, { timeoutMs: 10_000, what: '50 increments' });
    // Two snapshot periods: the latest snapshot holds these sessions.
    await new Promise((r) => setTimeout(r, 2_500));
    await traffic.stop();
    const before = new Map(traffic.counts);

    const { items } = await env.apiGet<{
      items: { replicaStatuses: { id: string; pid: number | null }[] }[];
    }>('/api/v1/rollouts/coordha/replicasets');
    const pid = items.flatMap((s) => s.replicaStatuses).find((r) => r.id === active)!.pid!;
    const killedAt = Date.now();
    process.kill(-pid, 'SIGKILL');

    const after = await env.waitForRollout(
      'coordha',
      (r) =>
        (r.status['activeReplica'] as { id: string } | null)?.id !== undefined &&
        r.status['handoff'] !== undefined &&
        (r.status['handoff'] as { kind: string; phase: string }).kind === 'Failover' &&
        (r.status['handoff'] as { phase: string }).phase === 'Successful',
      { what: 'a failover', timeoutMs: 20_000 },
    );
    const backAt = Date.now();
    expect(backAt - killedAt).toBeLessThan(10_000);
    const runs = (await env.apiGet<{ items: HandoffRunJson[] }>('/api/v1/rollouts/coordha/handoffs')).items;
    expect(runs[0]).toMatchObject({ kind: 'Failover', phase: 'Successful' });
    expect(runs[0]!.steps.map((s) => s.name)).toEqual(['import', 'activate', 'verify', 'release']);
    const history = await env.history('coordha');
    expect(
      history.events.some((e) => e.reason === 'HandoffCompleted' && /Failover.*s old/.test(e.message)),
    ).toBe(true);

    // The new active coordinator serves the sessions as the last snapshot had them.
    const newActive = (after.status['activeReplica'] as { id: string }).id;
    const res = await fetch(`http://127.0.0.1:${haPort}/api/v1/sessions/ha-w0-s0/increment`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { counter: number; replica: string };
    expect(body.replica).toBe(newActive);
    expect(body.counter).toBeGreaterThan(1);
    expect(body.counter).toBeLessThanOrEqual(before.get('ha-w0-s0')! + 1);
  }, 90_000);
});
