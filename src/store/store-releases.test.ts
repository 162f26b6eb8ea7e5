import { beforeEach, expect, it } from 'vitest';
import type { DeploymentRecord, IncidentRecord } from '../records/types.js';
import type { ReleaseSpec } from '../spec/release-types.js';
import type { PlanProgress, Release } from '../workflow/index.js';
import type { KyselyStore } from './kysely-store.js';
import type { NewEvent, StoredRelease } from './store.js';
import { describeStore } from './store-backends.test-helper.js';

/** The store keeps a release's state and spec as JSON: only the fields it indexes matter here. */
const release = (name: string, createdAt: number, status = 'Pending'): StoredRelease => ({
  state: { name, status, createdAt, history: [] } as unknown as Release,
  spec: { metadata: { name } } as unknown as ReleaseSpec,
  baseDir: `/releases/${name}`,
});

const event = (release: string, reason: string): NewEvent => ({
  time: 1,
  rollout: null,
  release,
  type: 'Normal',
  reason,
  message: 'm',
  actor: 'u',
});

const progress = (environment: string, percent: number): PlanProgress => ({
  environment,
  percent,
  rollouts: [],
  phases: [],
  smokeTests: [],
  updatedAt: percent,
});

describeStore('Store releases', (t) => {
  let store: KyselyStore;
  beforeEach(() => {
    store = t.store();
  });

  it('should create a release once and refuse a second of that name with CUTOVER_E_STORE_CONFLICT', async () => {
    await store.createRelease(release('r1', 10), [event('r1', 'ReleaseCreated')]);
    await expect(store.createRelease(release('r1', 20), [event('r1', 'Again')])).rejects.toMatchObject({
      code: 'CUTOVER_E_STORE_CONFLICT',
    });
    expect(await store.getRelease('r1')).toEqual({ ...release('r1', 10), progress: [] });
    expect((await store.listEvents({ release: 'r1' })).map((e) => e.reason)).toEqual(['ReleaseCreated']);
    expect(await store.getRelease('zzz')).toBeUndefined();
  });

  it('should save a release state and its progress per environment, and list releases newest first', async () => {
    await store.createRelease(release('old', 10), []);
    await store.createRelease(release('new', 30), []);
    await store.createRelease(release('mid', 20), []);
    expect((await store.listReleases()).map((r) => r.state.name)).toEqual(['new', 'mid', 'old']);

    await store.saveRelease(release('mid', 20, 'Deploying').state, [event('mid', 'ReleaseDeploying')]);
    await store.saveReleaseProgress('mid', progress('staging', 50), [event('mid', 'Progress')]);
    await store.saveReleaseProgress('mid', progress('production', 10), []);
    await store.saveReleaseProgress('mid', progress('staging', 100), []);
    const mid = await store.getRelease('mid');
    expect(mid?.state.status).toBe('Deploying');
    expect(mid?.progress).toEqual([progress('production', 10), progress('staging', 100)]);
    expect((await store.listEvents({ release: 'mid' })).map((e) => e.reason)).toEqual([
      'ReleaseDeploying',
      'Progress',
    ]);
    await expect(store.saveRelease(release('nope', 1).state, [])).rejects.toMatchObject({
      code: 'CUTOVER_E_STORE_NOT_FOUND',
    });
    await expect(store.saveReleaseProgress('nope', progress('staging', 1), [])).rejects.toMatchObject({
      code: 'CUTOVER_E_STORE_NOT_FOUND',
    });
  });

  it('should replace deployment records and query them by the time their DEPLOY started', async () => {
    const record = (name: string, deployStartedAt: number, version = 'v1') =>
      ({ release: name, environment: 'production', version, deployStartedAt }) as unknown as DeploymentRecord;
    await store.saveDeploymentRecord(record('c', 300));
    await store.saveDeploymentRecord(record('a', 100));
    await store.saveDeploymentRecord(record('b', 200));
    await store.saveDeploymentRecord(record('a', 150, 'v2'));
    expect(await store.getDeploymentRecord('a')).toEqual(record('a', 150, 'v2'));
    expect(await store.getDeploymentRecord('zzz')).toBeUndefined();
    expect((await store.listDeploymentRecords()).map((r) => r.release)).toEqual(['a', 'b', 'c']);
    // [from, to): from included, to excluded.
    expect((await store.listDeploymentRecords({ from: 150, to: 300 })).map((r) => r.release)).toEqual([
      'a',
      'b',
    ]);
    expect((await store.listDeploymentRecords({ from: 151 })).map((r) => r.release)).toEqual(['b', 'c']);
    expect((await store.listDeploymentRecords({ to: 150 })).map((r) => r.release)).toEqual([]);
  });

  it('should replace incidents and list them by release, oldest first', async () => {
    const incident = (name: string, release: string, detectedAt: number, services: string[] = []) =>
      ({ name, release, environment: 'production', services, detectedAt }) as unknown as IncidentRecord;
    await store.saveIncident(incident('i2', 'r1', 20));
    await store.saveIncident(incident('i1', 'r1', 10));
    await store.saveIncident(incident('i3', 'r2', 15));
    await store.saveIncident(incident('i2', 'r1', 20, ['web']));
    expect((await store.listIncidents()).map((i) => i.name)).toEqual(['i1', 'i3', 'i2']);
    expect(await store.listIncidents({ release: 'r1' })).toEqual([
      incident('i1', 'r1', 10),
      incident('i2', 'r1', 20, ['web']),
    ]);
    expect(await store.listIncidents({ release: 'zzz' })).toEqual([]);
  });

  it('should keep freeze overrides per environment in the order they were given', async () => {
    const override = (freeze: string, at: number) => ({
      freeze,
      actor: 'alice',
      role: 'admin',
      reason: 'fix',
      at,
    });
    await store.appendFreezeOverride('production', override('holidays', 2));
    await store.appendFreezeOverride('staging', override('friday', 3));
    await store.appendFreezeOverride('production', override('holidays', 1));
    expect(await store.listFreezeOverrides('production')).toEqual([
      override('holidays', 2),
      override('holidays', 1),
    ]);
    expect(await store.listFreezeOverrides('staging')).toEqual([override('friday', 3)]);
    expect(await store.listFreezeOverrides('dev')).toEqual([]);
  });
});
