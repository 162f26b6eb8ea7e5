import { sql } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import type { AnalysisRun } from '../analysis/types.js';
import { auditHash, GENESIS_HASH, verifyAuditChain } from '../auth/index.js';
import { initialStatus } from '../engine/index.js';
import type { HandoffRun } from '../handoff/types.js';
import type { FeatureFlags } from '../spec/index.js';
import type { RolloutSpec } from '../spec/types.js';
import type { KyselyStore } from './kysely-store.js';
import type { NewEvent } from './store.js';
import { describeStore } from './store-backends.test-helper.js';

const spec = (version: string): RolloutSpec => ({
  port: 8080,
  template: { command: ['node', 'server.mjs'], env: { VERSION: version } },
  strategy: { canary: { steps: [{ setWeight: 20 }] } },
});

describeStore('Store', (t) => {
  let store: KyselyStore;
  beforeEach(() => {
    store = t.store();
  });

  it('should number revisions and keep re-applies idempotent', async () => {
    const first = await store.apply(
      { rollouts: [{ name: 'web', spec: spec('v1'), hash: 'aaa' }], templates: [] },
      'user:a',
      1,
    );
    expect(first).toEqual([{ name: 'web', change: 'created', revision: 1 }]);
    const again = await store.apply(
      { rollouts: [{ name: 'web', spec: spec('v1'), hash: 'aaa' }], templates: [] },
      'user:a',
      2,
    );
    expect(again).toEqual([{ name: 'web', change: 'unchanged', revision: 1 }]);
    const next = await store.apply(
      { rollouts: [{ name: 'web', spec: spec('v2'), hash: 'bbb' }], templates: [] },
      'user:a',
      3,
    );
    expect(next).toEqual([{ name: 'web', change: 'revised', revision: 2 }]);
    const rollout = await store.getRollout('web');
    expect(rollout?.revisions.map((r) => r.number)).toEqual([1, 2]);
    expect(rollout?.targetRevision).toBe(2);
    const events = await store.listEvents({ rollout: 'web' });
    expect(events.map((e) => e.reason)).toEqual(['RolloutCreated', 'RevisionCreated']);
    expect(events.every((e) => e.actor === 'user:a')).toBe(true);
  });

  it('should return to the stable revision when its template is applied again', async () => {
    await store.apply({ rollouts: [{ name: 'web', spec: spec('v1'), hash: 'aaa' }], templates: [] }, 'u', 1);
    const r = await store.getRollout('web');
    await store.saveStatus('web', { ...r!.status, stableRevision: 1, currentRevision: 1 }, []);
    await store.apply({ rollouts: [{ name: 'web', spec: spec('v2'), hash: 'bbb' }], templates: [] }, 'u', 2);
    const back = await store.apply(
      { rollouts: [{ name: 'web', spec: spec('v1'), hash: 'aaa' }], templates: [] },
      'u',
      3,
    );
    expect(back).toEqual([{ name: 'web', change: 'revised', revision: 1 }]);
  });

  it('should apply all resources or none', async () => {
    await expect(
      store.apply(
        {
          rollouts: [
            { name: 'a', spec: spec('v1'), hash: 'aaa' },
            // the same name twice in one transaction violates the primary key
            { name: 'a', spec: spec('v1'), hash: 'aaa' },
          ],
          templates: [],
        },
        'u',
        1,
      ),
    ).resolves.toBeDefined();
    const rollouts = await store.listRollouts();
    expect(rollouts.map((r) => r.name)).toEqual(['a']);
  });

  it('should refuse to edit or delete events (append-only log)', async () => {
    await store.appendEvents([
      { time: 1, rollout: 'web', type: 'Normal', reason: 'X', message: 'm', actor: 'u' },
    ]);
    // biome-ignore lint/suspicious/noExplicitAny: reaching the raw connection on purpose
    const db = (store as any).db;
    await expect(sql`UPDATE events SET message = 'forged'`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM events`.execute(db)).rejects.toThrow(/append-only/);
    expect((await store.listEvents())[0]?.message).toBe('m');
  });

  it('should chain audit entries and refuse to edit or delete them', async () => {
    const entry = (status: number) => ({
      time: 1,
      actor: 'user:a',
      role: 'admin',
      method: 'POST',
      path: '/api/v1/tokens',
      summary: '',
      status,
    });
    const first = await store.appendAudit(entry(200), auditHash);
    const second = await store.appendAudit(entry(400), auditHash);
    expect(first).toMatchObject({ id: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ id: 2, prevHash: first.hash });
    expect(await store.listAudit()).toEqual([first, second]);
    expect(await store.listAudit({ afterId: 1 })).toEqual([second]);
    expect(verifyAuditChain(await store.listAudit()).ok).toBe(true);
    // biome-ignore lint/suspicious/noExplicitAny: reaching the raw connection on purpose
    const db = (store as any).db;
    await expect(sql`UPDATE audit SET status = 200`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('should store tokens with their user and revoke them by id or by user', async () => {
    const token = (id: string, user: string) => ({
      id,
      user,
      kind: 'agent' as const,
      role: 'deployer' as const,
      qualifier: null,
      hash: 'h',
      createdAt: 1,
    });
    await store.createToken(token('a1', 'bot'));
    await store.createToken(token('a2', 'bot'));
    await store.createToken(token('b1', 'eve'));
    expect(await store.getToken('a1')).toEqual({ ...token('a1', 'bot'), revokedAt: null });
    expect(await store.revokeTokens({ id: 'a1' }, 5)).toBe(1);
    expect(await store.revokeTokens({ id: 'a1' }, 6)).toBe(0);
    expect(await store.revokeTokens({ user: 'bot' }, 7)).toBe(1);
    expect((await store.listTokens()).map((t) => [t.id, t.revokedAt])).toEqual([
      ['a1', 5],
      ['a2', 7],
      ['b1', null],
    ]);
  });

  it('should keep an AnalysisRun created twice once', async () => {
    const run = {
      name: 'web-r2-bg',
      rollout: 'web',
      revision: 2,
      revisions: { stable: 1, canary: 2 },
      kind: 'background' as const,
      spec: { metrics: [] },
      status: { phase: 'Running' as const, startedAt: 1, metricResults: [] },
    };
    await store.createAnalysisRun(run, 1);
    await store.createAnalysisRun({ ...run, status: { ...run.status, phase: 'Failed' } }, 2);
    expect((await store.getAnalysisRun('web-r2-bg'))?.status.phase).toBe('Running');
    expect(await store.listAnalysisRuns({ rollout: 'web', active: true })).toHaveLength(1);
  });

  it('should store FeatureFlags by name, replace them, and record each change once', async () => {
    const flags = (name: string, defaultVariant: string, environment?: string): FeatureFlags => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'FeatureFlags',
      metadata: { name, ...(environment !== undefined ? { environment } : {}) },
      spec: {
        flags: {
          planner: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant },
        },
      },
    });
    await store.apply(
      { rollouts: [], templates: [], featureFlags: [flags('b', 'off', 'production'), flags('a', 'off')] },
      'user:a',
      1,
    );
    expect((await store.listFeatureFlags()).map((f) => f.metadata)).toEqual([
      { name: 'a' },
      { name: 'b', environment: 'production' },
    ]);
    // The same resource again changes nothing; a changed one replaces the stored one.
    await store.apply({ rollouts: [], templates: [], featureFlags: [flags('a', 'off')] }, 'user:a', 2);
    await store.apply({ rollouts: [], templates: [], featureFlags: [flags('a', 'on')] }, 'user:b', 3);
    expect((await store.getFeatureFlags('a'))?.spec.flags['planner']?.['defaultVariant']).toBe('on');
    expect(await store.getFeatureFlags('zzz')).toBeUndefined();
    const events = (await store.listEvents()).filter((e) => e.reason === 'FeatureFlagsConfigured');
    expect(events.map((e) => [e.actor, e.message])).toEqual([
      ['user:a', 'FeatureFlags b created (environment production): 1 flag(s): planner'],
      ['user:a', 'FeatureFlags a created: 1 flag(s): planner'],
      ['user:b', 'FeatureFlags a updated: 1 flag(s): planner'],
    ]);
  });

  it('should refuse the status of an unknown rollout with CUTOVER_E_NOT_FOUND', async () => {
    await expect(
      store.saveStatus('nope', initialStatus(1), [
        { time: 1, rollout: 'nope', type: 'Normal', reason: 'X', message: 'm', actor: 'u' },
      ]),
    ).rejects.toMatchObject({ code: 'CUTOVER_E_NOT_FOUND' });
    expect(await store.listEvents()).toEqual([]);
  });

  it('should delete a rollout with its revisions, runs, handoffs and checksums, and keep the others', async () => {
    for (const name of ['web', 'api']) {
      await store.apply({ rollouts: [{ name, spec: spec('v1'), hash: 'aaa' }], templates: [] }, 'u', 1);
      await store.createAnalysisRun(analysisRun(name), 1);
      await store.createHandoffRun(handoffRun(name), 1);
      await store.putHandoffState({
        rollout: name,
        kind: 'snapshot',
        replica: `${name}-1`,
        sha256: 'x',
        size: 1,
        data: Buffer.from([1]),
        exportedAt: 1,
      });
      await store.putWorkdirChecksum({
        rollout: name,
        revision: 1,
        cwd: '/w',
        checksum: { sha256: 's', files: 1, bytes: 1 },
        takenAt: 1,
      });
    }
    await store.deleteRollout('web', {
      time: 2,
      rollout: 'web',
      type: 'Normal',
      reason: 'RolloutDeleted',
      message: 'deleted',
      actor: 'u',
    });
    expect(await store.getRollout('web')).toBeUndefined();
    expect((await store.listRollouts()).map((r) => r.name)).toEqual(['api']);
    expect(await store.listAnalysisRuns({ rollout: 'web' })).toEqual([]);
    expect(await store.listHandoffRuns({ rollout: 'web' })).toEqual([]);
    expect(await store.latestHandoffState('web')).toBeUndefined();
    expect(await store.listWorkdirChecksums('web')).toEqual([]);
    expect((await store.listAnalysisRuns()).map((r) => r.rollout)).toEqual(['api']);
    expect((await store.listHandoffRuns()).map((r) => r.rollout)).toEqual(['api']);
    expect((await store.latestHandoffState('api'))?.replica).toBe('api-1');
    expect((await store.listWorkdirChecksums()).map((c) => c.rollout)).toEqual(['api']);
    expect((await store.listEvents({ rollout: 'web' })).at(-1)?.reason).toBe('RolloutDeleted');
    // Re-created, it starts again at revision 1 without its predecessor's runs.
    await store.apply({ rollouts: [{ name: 'web', spec: spec('v2'), hash: 'bbb' }], templates: [] }, 'u', 3);
    expect((await store.getRollout('web'))?.revisions.map((r) => [r.number, r.hash])).toEqual([[1, 'bbb']]);
    expect(await store.getAnalysisRun('web-r1-bg')).toBeUndefined();
  });

  it('should query events by rollout, release, afterId and limit, oldest first with increasing ids', async () => {
    const event = (rollout: string | null, release: string | null, time: number): NewEvent => ({
      time,
      rollout,
      release,
      type: 'Normal',
      reason: `R${time}`,
      message: 'm',
      actor: 'u',
    });
    await store.appendEvents([event('web', null, 1_700_000_000_001), event('api', null, 1_700_000_000_002)]);
    await store.appendEvents([]);
    await store.appendEvents([event(null, 'rel', 1_700_000_000_003), event('web', 'rel', 1_700_000_000_004)]);
    const all = await store.listEvents();
    expect(all.map((e) => e.reason)).toEqual([
      'R1700000000001',
      'R1700000000002',
      'R1700000000003',
      'R1700000000004',
    ]);
    expect(all.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(all[3]).toEqual({ id: 4, ...event('web', 'rel', 1_700_000_000_004) });
    expect(typeof all[0]?.time).toBe('number');
    expect(all[0]?.release).toBeNull();
    expect((await store.listEvents({ rollout: 'web' })).map((e) => e.id)).toEqual([1, 4]);
    expect((await store.listEvents({ release: 'rel' })).map((e) => e.id)).toEqual([3, 4]);
    expect((await store.listEvents({ afterId: 2 })).map((e) => e.id)).toEqual([3, 4]);
    expect((await store.listEvents({ limit: 2 })).map((e) => e.id)).toEqual([3, 4]);
    expect((await store.listEvents({ rollout: 'web', afterId: 1, limit: 1 })).map((e) => e.id)).toEqual([4]);
    expect(await store.listEvents({ afterId: 4 })).toEqual([]);
  });
});

function analysisRun(rollout: string): AnalysisRun {
  return {
    name: `${rollout}-r1-bg`,
    rollout,
    revision: 1,
    revisions: { stable: 1, canary: 1 },
    kind: 'background',
    spec: { metrics: [] },
    status: { phase: 'Running', startedAt: 1, metricResults: [] },
  };
}

function handoffRun(rollout: string): HandoffRun {
  return { name: `${rollout}-r1-handoff`, rollout, phase: 'Running' } as HandoffRun;
}
