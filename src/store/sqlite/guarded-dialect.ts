import type BetterSqlite3 from 'better-sqlite3';
import { type DatabaseConnection, type Driver, SqliteDialect, SqliteDriver } from 'kysely';
import { StoreError } from '../errors.js';
import { guardConnection } from '../guard-connection.js';

/**
 * Whether an error means the disk of the database is full: SQLite's `SQLITE_FULL` ("database or
 * disk is full"), or a file system `ENOSPC`.
 */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC';
}

/** A disk-full error as the store's `CUTOVER_E_STORE_FULL`; any other error unchanged. */
function mapError(error: unknown): unknown {
  if (!isDiskFull(error)) return error;
  return new StoreError(
    'CUTOVER_E_STORE_FULL',
    'the disk of the data directory is full: nothing was written (free space, then retry)',
    { cause: error },
  );
}

/**
 * Kysely's SQLite driver with two guards:
 * - a disk-full error is a `StoreError` `CUTOVER_E_STORE_FULL`;
 * - `ROLLBACK` is skipped when SQLite has already rolled the transaction back by itself (it does so
 *   on `SQLITE_FULL`), so the original error is thrown, not "cannot rollback - no transaction is
 *   active".
 */
class GuardedSqliteDriver extends SqliteDriver {
  readonly #connections = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    let guarded = this.#connections.get(connection);
    if (!guarded) {
      guarded = guardConnection(connection, mapError);
      this.#connections.set(connection, guarded);
    }
    return guarded;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.database.inTransaction) await super.rollbackTransaction(connection);
  }
}

/** Kysely's SQLite dialect over {@link GuardedSqliteDriver}. */
export class GuardedSqliteDialect extends SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database });
  }

  override createDriver(): Driver {
    return new GuardedSqliteDriver(this.database);
  }
}
