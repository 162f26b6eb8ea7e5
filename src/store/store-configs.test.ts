import { beforeEach, expect, it } from 'vitest';
import type { KyselyStore } from './kysely-store.js';
import type { ConfigKind, NewEvent, StoredConfigVersion } from './store.js';
import { describeStore } from './store-backends.test-helper.js';

const input = (kind: ConfigKind, name: string, sha256: string): Omit<StoredConfigVersion, 'version'> => ({
  kind,
  name,
  data: `{"v":"${sha256}"}`,
  sha256,
  keys: ['A', 'B'],
  createdAt: 1_700_000_000_000,
  actor: 'user:a',
});

const configured =
  (name: string) =>
  (version: number): NewEvent[] => [
    {
      time: 1,
      rollout: null,
      type: 'Normal',
      reason: 'ConfigVersionCreated',
      message: `${name} v${version}`,
      actor: 'u',
    },
  ];

describeStore('Store configs', (t) => {
  let store: KyselyStore;
  beforeEach(() => {
    store = t.store();
  });

  it('should number versions per kind and name, and add none for an unchanged fingerprint', async () => {
    expect(await store.putConfigVersion(input('ConfigMap', 'app', 'h1'), configured('app'))).toEqual({
      version: 1,
      created: true,
    });
    expect(await store.putConfigVersion(input('ConfigMap', 'app', 'h2'), configured('app'))).toEqual({
      version: 2,
      created: true,
    });
    expect(await store.putConfigVersion(input('ConfigMap', 'app', 'h2'), configured('app'))).toEqual({
      version: 2,
      created: false,
    });
    // A Secret of the same name and another ConfigMap are numbered on their own.
    expect(await store.putConfigVersion(input('Secret', 'app', 'h2'), configured('secret'))).toEqual({
      version: 1,
      created: true,
    });
    expect(await store.putConfigVersion(input('ConfigMap', 'db', 'h1'), configured('db'))).toEqual({
      version: 1,
      created: true,
    });
    for (let i = 3; i <= 11; i++)
      await store.putConfigVersion(input('ConfigMap', 'app', `h${i}`), configured('app'));
    expect((await store.getConfigVersion('ConfigMap', 'app'))?.version).toBe(11);
    expect(await store.getConfigVersion('ConfigMap', 'app', 2)).toEqual({
      ...input('ConfigMap', 'app', 'h2'),
      version: 2,
    });
    expect(await store.getConfigVersion('ConfigMap', 'app', 99)).toBeUndefined();
    expect(await store.getConfigVersion('Secret', 'zzz')).toBeUndefined();
    expect((await store.listEvents()).map((e) => e.message).slice(0, 4)).toEqual([
      'app v1',
      'app v2',
      'secret v1',
      'db v1',
    ]);
  });

  it('should list the latest version of each name, or every version, and replace a version data', async () => {
    await store.putConfigVersion(input('ConfigMap', 'b', 'h1'), () => []);
    await store.putConfigVersion(input('ConfigMap', 'a', 'h1'), () => []);
    await store.putConfigVersion(input('ConfigMap', 'a', 'h2'), () => []);
    await store.putConfigVersion(input('Secret', 'a', 'h1'), () => []);
    const versions = (list: StoredConfigVersion[]) => list.map((v) => `${v.kind}/${v.name}@${v.version}`);
    expect(versions(await store.listConfigVersions())).toEqual([
      'ConfigMap/a@2',
      'Secret/a@1',
      'ConfigMap/b@1',
    ]);
    expect(versions(await store.listConfigVersions({ kind: 'ConfigMap' }))).toEqual([
      'ConfigMap/a@2',
      'ConfigMap/b@1',
    ]);
    expect(versions(await store.listConfigVersions({ kind: 'ConfigMap', all: true }))).toEqual([
      'ConfigMap/a@1',
      'ConfigMap/a@2',
      'ConfigMap/b@1',
    ]);
    await store.replaceConfigData('ConfigMap', 'a', 1, '{"rewrapped":true}');
    expect((await store.getConfigVersion('ConfigMap', 'a', 1))?.data).toBe('{"rewrapped":true}');
    expect((await store.getConfigVersion('ConfigMap', 'a', 2))?.data).toBe('{"v":"h2"}');
    expect((await store.getConfigVersion('Secret', 'a', 1))?.data).toBe('{"v":"h1"}');
  });

  it('should set, keep the notified version of, and remove secret rotation schedules', async () => {
    const slack = [{ slack: { channel: '#ops' } }];
    await store.putSecretRotation('token', { schedule: '0 0 1 * *', notifications: slack });
    await store.putSecretRotation('api-key', { schedule: '0 0 * * 1', notifications: [] });
    expect(await store.listSecretRotations()).toEqual([
      { name: 'api-key', schedule: '0 0 * * 1', notifications: [], notifiedVersion: null },
      { name: 'token', schedule: '0 0 1 * *', notifications: slack, notifiedVersion: null },
    ]);
    await store.markSecretRotationNotified('token', 3);
    await store.putSecretRotation('token', { schedule: '0 0 15 * *', notifications: slack });
    expect((await store.listSecretRotations())[1]).toEqual({
      name: 'token',
      schedule: '0 0 15 * *',
      notifications: slack,
      notifiedVersion: 3,
    });
    await store.putSecretRotation('token', null);
    expect((await store.listSecretRotations()).map((r) => r.name)).toEqual(['api-key']);
  });

  it('should keep the first checksum of a revision working directory, by rollout and revision', async () => {
    const checksum = (
      rollout: string,
      revision: number,
      sha256: string,
      manifest?: Record<string, string>,
    ) => ({
      rollout,
      revision,
      cwd: `/srv/${rollout}`,
      checksum: { sha256, files: 2, bytes: 5_000_000_000, ...(manifest !== undefined ? { manifest } : {}) },
      takenAt: 1_700_000_000_000 + revision,
    });
    await store.putWorkdirChecksum(checksum('web', 2, 's2'));
    await store.putWorkdirChecksum(checksum('web', 1, 's1', { 'a.js': 'x' }));
    await store.putWorkdirChecksum(checksum('api', 1, 'a1'));
    await store.putWorkdirChecksum(checksum('web', 1, 'other'));
    expect(await store.listWorkdirChecksums('web')).toEqual([
      checksum('web', 1, 's1', { 'a.js': 'x' }),
      checksum('web', 2, 's2'),
    ]);
    expect((await store.listWorkdirChecksums()).map((c) => `${c.rollout}@${c.revision}`)).toEqual([
      'api@1',
      'web@1',
      'web@2',
    ]);
    expect(await store.listWorkdirChecksums('zzz')).toEqual([]);
  });
});
