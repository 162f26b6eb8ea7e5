import { beforeEach, expect, it } from 'vitest';
import type { KyselyStore } from './kysely-store.js';
import { describeStore } from './store-backends.test-helper.js';

const MINUTE_MS = 60_000;

describeStore('Store leases', (t) => {
  let store: KyselyStore;
  beforeEach(() => {
    store = t.store();
  });

  it('should give the first holder token 1, renew it with the same token, and refuse another holder while unexpired', async () => {
    expect(await store.getLease('controller')).toMatchObject({ lease: undefined });
    const first = await store.tryAcquireLease('controller', 'a', MINUTE_MS);
    expect(first.lease).toEqual({
      holder: 'a',
      token: 1,
      acquiredAt: first.now,
      renewedAt: first.now,
      expiresAt: first.now + MINUTE_MS,
    });
    expect(typeof first.now).toBe('number');
    const renewed = await store.tryAcquireLease('controller', 'a', MINUTE_MS);
    expect(renewed.lease).toMatchObject({
      holder: 'a',
      token: 1,
      acquiredAt: first.now,
      expiresAt: renewed.now + MINUTE_MS,
    });
    const refused = await store.tryAcquireLease('controller', 'b', MINUTE_MS);
    expect(refused.lease).toEqual(renewed.lease);
    expect((await store.getLease('controller')).lease).toEqual(renewed.lease);
    // Another lease name is another lease.
    expect((await store.tryAcquireLease('other', 'b', MINUTE_MS)).lease).toMatchObject({
      holder: 'b',
      token: 1,
    });
  });

  it('should let another holder take an expired lease with the token + 1', async () => {
    await store.tryAcquireLease('controller', 'a', MINUTE_MS);
    // A renewal for 0 ms expires at once: no waiting for the clock.
    await store.tryAcquireLease('controller', 'a', 0);
    const taken = await store.tryAcquireLease('controller', 'b', MINUTE_MS);
    expect(taken.lease).toMatchObject({ holder: 'b', token: 2, acquiredAt: taken.now });
    expect((await store.tryAcquireLease('controller', 'a', MINUTE_MS)).lease).toMatchObject({
      holder: 'b',
      token: 2,
    });
  });

  it('should end a lease released by its holder with its token, and no other', async () => {
    await store.tryAcquireLease('controller', 'a', MINUTE_MS);
    await store.releaseLease('controller', 'a', 2);
    await store.releaseLease('controller', 'b', 1);
    expect((await store.tryAcquireLease('controller', 'b', MINUTE_MS)).lease).toMatchObject({
      holder: 'a',
      token: 1,
    });
    await store.releaseLease('controller', 'a', 1);
    const { lease, now } = await store.getLease('controller');
    expect(lease?.expiresAt).toBeLessThanOrEqual(now);
    expect((await store.tryAcquireLease('controller', 'b', MINUTE_MS)).lease).toMatchObject({
      holder: 'b',
      token: 2,
    });
  });

  it('should record replicas, refresh them on heartbeat, and list those seen since a time', async () => {
    const replica = (id: string, version: string) => ({
      id,
      address: `http://${id}:7070`,
      pid: 4_000_000,
      host: id,
      version,
      startedAt: 1_700_000_000_000,
    });
    const { now: before } = await store.getLease('controller');
    await store.heartbeatReplica(replica('r2', '1.0.0'));
    await store.heartbeatReplica(replica('r1', '1.0.0'));
    await store.heartbeatReplica(replica('r2', '1.1.0'));
    const replicas = await store.listReplicas(0);
    expect(replicas.map(({ seenAt: _, ...r }) => r)).toEqual([
      replica('r1', '1.0.0'),
      replica('r2', '1.1.0'),
    ]);
    const { now: after } = await store.getLease('controller');
    for (const r of replicas) {
      expect(r.seenAt).toBeGreaterThanOrEqual(before);
      expect(r.seenAt).toBeLessThanOrEqual(after);
    }
    expect(await store.listReplicas(after + MINUTE_MS)).toEqual([]);
    const r1 = replicas[0]?.seenAt ?? 0;
    const r2 = replicas[1]?.seenAt ?? 0;
    expect((await store.listReplicas(Math.max(r1, r2))).map((r) => r.id)).toEqual(
      r1 === r2 ? ['r1', 'r2'] : ['r2'],
    );
  });
});
