import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/support/postgres.js';
import { auditHash, GENESIS_HASH, verifyAuditChain } from '../auth/index.js';
import type { FeatureFlags } from '../spec/index.js';
import type { RolloutSpec } from '../spec/types.js';
import type { KyselyStore } from './kysely-store.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** One contract suite per backend, as Kysely's DIALECTS loop: each test opens a new, empty store. */
const BACKENDS: { name: string; open: () => Promise<{ store: KyselyStore; drop(): Promise<void> }> }[] = [
  {
    name: 'sqlite',
    open: async () => ({
      store: await openSqliteStore(join(mkdtempSync(join(tmpdir(), 'cutover-store-')), 'c.db')),
      drop: async () => undefined,
    }),
  },
  {
    name: 'postgres',
    open: async () => {
      const database = await freshDatabase();
      return { store: await openPostgresStore(database.url), drop: () => database.drop() };
    },
  },
];

const spec = (version: string): RolloutSpec => ({
  port: 8080,
  template: { command: ['node', 'server.mjs'], env: { VERSION: version } },
  strategy: { canary: { steps: [{ setWeight: 20 }] } },
});

for (const backend of BACKENDS) {
  describe(`Store (${backend.name})`, () => {
    let store: KyselyStore;
    let drop: () => Promise<void>;
    beforeEach(async () => {
      ({ store, drop } = await backend.open());
    });
    afterEach(async () => {
      await store.close();
      await drop();
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
      await store.apply(
        { rollouts: [{ name: 'web', spec: spec('v1'), hash: 'aaa' }], templates: [] },
        'u',
        1,
      );
      const r = await store.getRollout('web');
      await store.saveStatus('web', { ...r!.status, stableRevision: 1, currentRevision: 1 }, []);
      await store.apply(
        { rollouts: [{ name: 'web', spec: spec('v2'), hash: 'bbb' }], templates: [] },
        'u',
        2,
      );
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
  });
}
