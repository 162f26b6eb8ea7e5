import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import type { HandoffRun, StoredHandoffState } from '../handoff/types.js';
import type { KyselyStore } from './kysely-store.js';
import { describeStore } from './store-backends.test-helper.js';

/** The store keeps a run as JSON: only the fields it indexes matter here. */
const run = (name: string, rollout: string, phase = 'Running'): HandoffRun =>
  ({ name, rollout, phase, createdAt: 1 }) as unknown as HandoffRun;

const state = (
  rollout: string,
  kind: StoredHandoffState['kind'],
  data: Buffer,
  exportedAt: number,
  runName?: string,
): Omit<StoredHandoffState, 'id'> => ({
  rollout,
  kind,
  ...(runName !== undefined ? { run: runName } : {}),
  replica: `${rollout}-1`,
  sha256: `sha-${exportedAt}`,
  size: data.length,
  data,
  exportedAt,
});

describeStore('Store handoffs', (t) => {
  let store: KyselyStore;
  beforeEach(() => {
    store = t.store();
  });

  it('should keep a handoff run created twice once, save it, and list runs newest first', async () => {
    await store.createHandoffRun(run('web-r2-handoff', 'web'), 1);
    await store.createHandoffRun(run('web-r2-handoff', 'web', 'Failed'), 2);
    expect(await store.getHandoffRun('web-r2-handoff')).toEqual(run('web-r2-handoff', 'web'));
    await store.createHandoffRun(run('web-r3-handoff', 'web'), 3);
    await store.createHandoffRun(run('api-r2-handoff', 'api'), 4);
    await store.saveHandoffRun(run('web-r2-handoff', 'web', 'Succeeded'), 5);
    expect((await store.getHandoffRun('web-r2-handoff'))?.phase).toBe('Succeeded');
    expect(await store.getHandoffRun('zzz')).toBeUndefined();
    expect((await store.listHandoffRuns()).map((r) => r.name)).toEqual([
      'api-r2-handoff',
      'web-r3-handoff',
      'web-r2-handoff',
    ]);
    expect((await store.listHandoffRuns({ rollout: 'web' })).map((r) => r.name)).toEqual([
      'web-r3-handoff',
      'web-r2-handoff',
    ]);
    expect((await store.listHandoffRuns({ rollout: 'web', active: true })).map((r) => r.name)).toEqual([
      'web-r3-handoff',
    ]);
  });

  it('should give back the exact bytes of a state, 1 MiB included, with numeric ids', async () => {
    const big = randomBytes(1024 * 1024);
    const edge = Buffer.from([0, 255, 0, 10, 13, 92, 39]);
    const bigRef = await store.putHandoffState(state('web', 'handoff', big, 10, 'web-r2-handoff'));
    const edgeRef = await store.putHandoffState(state('web', 'snapshot', edge, 20));
    expect(bigRef).toEqual({ id: 1, sha256: 'sha-10', size: 1024 * 1024, exportedAt: 10 });
    expect(edgeRef.id).toBe(2);
    const { data, ...stored } = (await store.getHandoffState(bigRef.id)) ?? { data: undefined };
    const { data: _, ...put } = state('web', 'handoff', big, 10, 'web-r2-handoff');
    expect(stored).toEqual({ id: 1, ...put });
    // Buffer.equals, not toEqual: a deep comparison of 1 MiB byte by byte takes seconds.
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(data?.equals(big)).toBe(true);
    const snapshot = await store.getHandoffState(edgeRef.id);
    expect(snapshot?.data.equals(edge)).toBe(true);
    expect(snapshot).not.toHaveProperty('run');
    expect((await store.handoffStateOfRun('web-r2-handoff'))?.id).toBe(1);
    expect(await store.handoffStateOfRun('zzz')).toBeUndefined();
    expect((await store.latestHandoffState('web'))?.id).toBe(2);
    expect(await store.latestHandoffState('api')).toBeUndefined();
    expect(await store.getHandoffState(99)).toBeUndefined();
  });

  it('should keep only the last 5 snapshots of a rollout, and every handoff export', async () => {
    await store.putHandoffState(state('web', 'handoff', Buffer.from('h'), 1, 'web-r2-handoff'));
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await store.putHandoffState(state('web', 'snapshot', Buffer.from([i]), 10 + i))).id);
    }
    await store.putHandoffState(state('api', 'snapshot', Buffer.from('a'), 5));
    expect(ids).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(await store.getHandoffState(2)).toBeUndefined();
    expect(await store.getHandoffState(3)).toBeUndefined();
    for (const id of ids.slice(2)) expect((await store.getHandoffState(id))?.kind).toBe('snapshot');
    expect((await store.getHandoffState(8))?.data).toEqual(Buffer.from([6]));
    expect((await store.handoffStateOfRun('web-r2-handoff'))?.id).toBe(1);
    expect((await store.latestHandoffState('api'))?.id).toBe(9);
  });
});
