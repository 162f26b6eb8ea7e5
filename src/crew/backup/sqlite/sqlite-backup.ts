import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { BackupError, BackupVerifyError, RestoreError } from '../../errors.js';
import type { BackupDriver, ScratchCheck, SqliteBackupTarget, TableCounts } from '../backup.js';

/** How long a connection of ours waits for a lock held by the service, ms. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * SQLite backups through SQLite's online backup API (better-sqlite3's `db.backup()`): consistent
 * while the service keeps the database open and writing in WAL mode. The backup file is a plain
 * database file (rollback journal), so it can be opened, copied and checked on its own.
 */
export const sqliteBackupDriver: BackupDriver<SqliteBackupTarget> = {
  kind: 'sqlite',
  extension: '.db',

  describe(target) {
    return resolve(target.path);
  },

  baseName(target) {
    const name = basename(target.path, extname(target.path)).replace(/[^A-Za-z0-9_-]/g, '_');
    return name || 'sqlite';
  },

  async dump(target, file) {
    const path = resolve(target.path);
    let source: BetterSqlite3.Database | undefined;
    try {
      source = new BetterSqlite3(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      await source.backup(file);
    } catch (error) {
      throw new BackupError(path, messageOf(error), { cause: error });
    } finally {
      source?.close();
    }
    // The copy inherits WAL mode; switch it to a rollback journal so it is one self-contained file.
    try {
      const copy = new BetterSqlite3(file, { fileMustExist: true });
      try {
        copy.pragma('journal_mode = DELETE');
      } finally {
        copy.close();
      }
    } catch (error) {
      throw new BackupError(path, `cannot finalise ${file}: ${messageOf(error)}`, { cause: error });
    }
  },

  async check(file, server): Promise<ScratchCheck> {
    const scratchDir = await mkdtemp(join(tmpdir(), 'cutover-verify-')).catch((error: unknown) => {
      throw new BackupVerifyError(resolve(server.path), messageOf(error), { cause: error });
    });
    try {
      const scratch = join(scratchDir, 'scratch.db');
      try {
        await copyFile(file, scratch);
      } catch (error) {
        throw new BackupVerifyError(resolve(server.path), messageOf(error), { cause: error });
      }
      let db: BetterSqlite3.Database | undefined;
      try {
        db = new BetterSqlite3(scratch, { fileMustExist: true });
        const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map(
          (row) => row.integrity_check,
        );
        const counts = countTables(db);
        if (problems.length !== 1 || problems[0] !== 'ok') {
          return { ok: false, ...counts, detail: `integrity_check: ${problems.slice(0, 5).join('; ')}` };
        }
        return { ok: true, ...counts, detail: 'integrity_check ok' };
      } catch (error) {
        // A file SQLite cannot read is a bad backup, not a failure to check it.
        return { ok: false, tables: 0, rows: 0, detail: `cannot open the backup: ${messageOf(error)}` };
      } finally {
        db?.close();
      }
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }
  },

  async load(file, target): Promise<TableCounts> {
    const path = resolve(target.path);
    // Read from a scratch copy: opening the backup file itself could leave -wal/-shm files beside it.
    const scratchDir = await mkdtemp(join(tmpdir(), 'cutover-restore-')).catch((error: unknown) => {
      throw new RestoreError(path, messageOf(error), { cause: error });
    });
    try {
      const scratch = join(scratchDir, 'source.db');
      let source: BetterSqlite3.Database | undefined;
      try {
        await copyFile(file, scratch);
        source = new BetterSqlite3(scratch, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
        // The online backup API writes into the live file under its locks; open connections of the
        // service see the restored pages at their next read (SQLite keeps the target's WAL mode).
        await source.backup(path);
      } catch (error) {
        throw new RestoreError(path, messageOf(error), { cause: error });
      } finally {
        source?.close();
      }
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new BetterSqlite3(path, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      return countTables(db);
    } catch (error) {
      throw new RestoreError(path, `restored, but cannot count tables: ${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      db?.close();
    }
  },
};

/** User tables (not `sqlite_*`) and the sum of their rows. */
function countTables(db: BetterSqlite3.Database): TableCounts {
  const names = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
    .pluck()
    .all() as string[];
  let rows = 0;
  for (const name of names) {
    rows += db
      .prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}"`)
      .pluck()
      .get() as number;
  }
  return { tables: names.length, rows };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
