import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import { GuardedSqliteDialect } from './guarded-dialect.js';

/**
 * The embedded default store: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
 * The event log and the audit log are append-only, enforced by triggers. A full disk is a
 * `StoreError` `CUTOVER_E_STORE_FULL` and leaves the transaction rolled back whole.
 * @param path - database file, e.g. `$CUTOVER_HOME/cutover.db`; `:memory:` for tests.
 * @throws StoreError when the schema cannot be migrated.
 */
export async function openSqliteStore(path: string): Promise<KyselyStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across a process crash
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new GuardedSqliteDialect(database) });
  const store = new KyselyStore(db);
  await store.migrate();
  for (const [table, message] of [
    ['events', 'events are append-only'],
    ['audit', 'the audit log is append-only'],
  ] as const) {
    await sql
      .raw(
        `CREATE TRIGGER IF NOT EXISTS ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER IF NOT EXISTS ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
  }
  return store;
}
