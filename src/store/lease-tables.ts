import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { ControlPlaneReplica, Lease } from './store.js';

/**
 * The controller lease and the replicas seen (several control-plane replicas on one database):
 * SQL shared by every backend. Times are the database's clock (`now()`), so replicas on machines
 * whose clocks disagree still agree on when a lease expires.
 */
export class LeaseTables {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: (db: Kysely<Database>) => Promise<number>,
  ) {}

  /**
   * One attempt of `holder` at the lease, in one transaction, as Kubernetes' leader election: the
   * holder renews it (same token); anyone takes an expired (or absent) one with the token + 1;
   * an unexpired lease of another holder is left as it is.
   * @returns the lease after the attempt (its `holder` says who leads) and the database's time.
   */
  tryAcquire(name: string, holder: string, durationMs: number): Promise<{ lease: Lease; now: number }> {
    return this.db.transaction().execute(async (tx) => {
      const now = await this.now(tx);
      const row = await tx.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) {
        const lease = { holder, token: 1, acquiredAt: now, renewedAt: now, expiresAt: now + durationMs };
        await tx
          .insertInto('leases')
          .values({ name, ...toRow(lease) })
          .execute();
        return { lease, now };
      }
      const current = toLease(row);
      if (current.expiresAt > now && current.holder !== holder) return { lease: current, now };
      const lease =
        current.expiresAt > now
          ? { ...current, renewedAt: now, expiresAt: now + durationMs }
          : {
              holder,
              token: current.token + 1,
              acquiredAt: now,
              renewedAt: now,
              expiresAt: now + durationMs,
            };
      await tx.updateTable('leases').set(toRow(lease)).where('name', '=', name).execute();
      return { lease, now };
    });
  }

  /** Ends the lease at once if `holder` still holds it with `token` (a graceful stop hands over now). */
  async release(name: string, holder: string, token: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const now = await this.now(tx);
      await tx
        .updateTable('leases')
        .set({ expires_at: now })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .where('token', '=', token)
        .execute();
    });
  }

  async get(name: string): Promise<{ lease: Lease | undefined; now: number }> {
    const row = await this.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    return { lease: row ? toLease(row) : undefined, now: await this.now(this.db) };
  }

  /** Records (or refreshes) a replica, its `seenAt` the database's time. */
  async heartbeat(replica: Omit<ControlPlaneReplica, 'seenAt'>): Promise<void> {
    const now = await this.now(this.db);
    const values = {
      address: replica.address,
      pid: replica.pid,
      host: replica.host,
      version: replica.version,
      started_at: replica.startedAt,
      seen_at: now,
    };
    await this.db
      .insertInto('replicas')
      .values({ id: replica.id, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
  }

  /** Replicas seen since `since` (ms since the epoch, the database's clock), by id. */
  async list(since: number): Promise<ControlPlaneReplica[]> {
    const rows = await this.db
      .selectFrom('replicas')
      .selectAll()
      .where('seen_at', '>=', since)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      address: r.address,
      pid: Number(r.pid),
      host: r.host,
      version: r.version,
      startedAt: Number(r.started_at),
      seenAt: Number(r.seen_at),
    }));
  }
}

function toLease(row: Database['leases']): Lease {
  return {
    holder: row.holder,
    token: Number(row.token),
    acquiredAt: Number(row.acquired_at),
    renewedAt: Number(row.renewed_at),
    expiresAt: Number(row.expires_at),
  };
}

function toRow(lease: Lease): Omit<Database['leases'], 'name'> {
  return {
    holder: lease.holder,
    token: lease.token,
    acquired_at: lease.acquiredAt,
    renewed_at: lease.renewedAt,
    expires_at: lease.expiresAt,
  };
}
