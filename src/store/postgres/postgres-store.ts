import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import { FencedPostgresDriver, type FenceToken } from './fenced-driver.js';
import { installTriggers } from './triggers.js';

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Connections in the pool. @default 10 */
  maxConnections?: number;
  /** Run the migrations and install the triggers (the first open of a server does). @default true */
  migrate?: boolean;
}

/**
 * PostgreSQL's int8 (`bigint`, `bigserial`) as a JavaScript number instead of node-postgres' string:
 * every int8 the store keeps (times in ms, ids, fencing tokens) is far below 2^53.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The store on PostgreSQL (Kysely's PostgreSQL dialect over `pg`), for several control-plane
 * replicas on one database. The same migrations as SQLite's; the event log and the audit log are
 * append-only (triggers); write transactions are serialized (a transaction-scoped advisory lock,
 * as SQLite's single writer), so numbering (revisions, audit ids, config versions) needs no retry;
 * while a fencing token is set ({@link PostgresStore.setFence}), every write is refused once the
 * token is no longer the controller lease's (`CUTOVER_E_FENCED`).
 * @param url - `postgres://user@host:port/database` (libpq's URI form; the password, if any, is
 *   never logged or shown).
 * @throws StoreError `CUTOVER_E_STORE_UNAVAILABLE` when the database cannot be reached,
 *   `CUTOVER_E_STORE_MIGRATION` when the schema cannot be migrated.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const fence: FenceToken = { value: undefined };
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types });
  // An idle connection the server closes (a restart of PostgreSQL) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({
    dialect: new (class extends PostgresDialect {
      override createDriver() {
        return new FencedPostgresDriver({ pool }, fence, url);
      }
    })({ pool }),
  });
  const store = new PostgresStore(db, fence);
  try {
    await sql`select 1`.execute(db);
    if (options.migrate !== false) {
      await store.migrate();
      await installTriggers(db);
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return store;
}

/** {@link KyselyStore} on PostgreSQL, with a fencing token for the controller's writes. */
export class PostgresStore extends KyselyStore {
  constructor(
    db: Kysely<Database>,
    private readonly fence: FenceToken,
  ) {
    super(db);
  }

  /**
   * Sets (or with `undefined`, clears) the fencing token every later write of this store is checked
   * against: a write while the controller lease holds another token fails with `CUTOVER_E_FENCED`
   * and changes nothing.
   */
  setFence(token: number | undefined): void {
    this.fence.value = token;
  }

  protected override async clock(db: Kysely<Database>): Promise<number> {
    const { rows } = await sql<{
      now: number;
    }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db);
    return Number(rows[0]?.now);
  }
}
