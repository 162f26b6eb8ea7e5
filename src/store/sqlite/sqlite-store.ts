import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';

/**
 * The embedded default store: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
 * The event log and the audit log are append-only, enforced by triggers.
 * @param path - database file, e.g. `$CUTOVER_HOME/cutover.db`; `:memory:` for tests.
 * @throws StoreError when the schema cannot be migrated.
 */
export async function openSqliteStore(path: string): Promise<KyselyStore> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across a process crash
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
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
