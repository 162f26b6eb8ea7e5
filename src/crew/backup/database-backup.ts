import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { systemClock } from '../../clock/index.js';
import { BackupError, RestoreError } from '../errors.js';
import {
  BACKUP_KINDS,
  type BackupDriver,
  type BackupOptions,
  type BackupTarget,
  type BackupVerification,
  type DatabaseBackup,
  DEFAULT_BACKUP_TIMEOUT_MS,
  type RestoreResult,
} from './backup.js';
import { postgresBackupDriver } from './postgres/postgres-backup.js';
import { sqliteBackupDriver } from './sqlite/sqlite-backup.js';

/** One driver per kind, as Kysely's dialects. */
const DRIVERS = { sqlite: sqliteBackupDriver, postgres: postgresBackupDriver } as const;

/**
 * Back up a database into `dir` while the service keeps running, then (by default) verify the
 * backup by restoring it into a scratch database. The real database is only read.
 *
 * SQLite uses the online backup API; Postgres runs `pg_dump --format=custom`. The file is named
 * `<kind>-<name>-<UTC time>-<random>.<db|dump>` so backups never overwrite each other.
 * A backup that fails its check is returned with `verification.verified: false` (errors as data):
 * the caller (PreDeploymentValidator) decides whether to release anyway.
 *
 * @param target - the database; a Postgres URL's password is passed to the tools as `PGPASSWORD`.
 * @param dir - directory for the backup file, created if missing.
 * @param options - see {@link BackupOptions}; `verify` @default true, `timeoutMs` @default 300000 ms.
 * @throws BackupError (`CUTOVER_E_BACKUP_FAILED`) when the target is invalid or the dump fails; no file is left.
 * @throws BackupVerifyError (`CUTOVER_E_BACKUP_VERIFY_FAILED`) when the check cannot run at all.
 * @example
 * const backup = await createBackup({ kind: 'sqlite', path: 'data/app.db' }, 'backups');
 * if (!backup.verification.verified) throw new Error(backup.verification.detail);
 */
export async function createBackup(
  target: BackupTarget,
  dir: string,
  options: BackupOptions = {},
): Promise<DatabaseBackup> {
  const invalid = invalidTarget(target);
  if (invalid) throw new BackupError(String(target?.kind ?? 'database'), invalid);
  const driver = driverFor(target);
  const described = driver.describe(target);
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_BACKUP_TIMEOUT_MS;
  const directory = resolve(dir);
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new BackupError(described, `cannot create ${directory}: ${messageOf(error)}`, { cause: error });
  }
  const createdAt = clock.now();
  const stamp = new Date(createdAt).toISOString().replace(/[:.]/g, '-');
  const file = join(
    directory,
    `${target.kind}-${driver.baseName(target)}-${stamp}-${randomBytes(3).toString('hex')}${driver.extension}`,
  );
  let digest: { sha256: string; bytes: number };
  try {
    await driver.dump(target, file, { timeoutMs });
    digest = await digestFile(file);
  } catch (error) {
    await rm(file, { force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(described, messageOf(error), { cause: error });
  }
  const backup: DatabaseBackup = {
    kind: target.kind,
    target: described,
    file,
    bytes: digest.bytes,
    sha256: digest.sha256,
    createdAt,
    verification: { verified: false, checkedAt: null, tables: 0, rows: 0, detail: 'not verified' },
  };
  if (options.verify === false) return backup;
  // Check on the same server as the target (with its credentials), never in the target itself.
  return { ...backup, verification: await check(backup, target, options) };
}

/**
 * Check a backup: its SHA-256 must still match, and it must restore into a scratch database
 * (SQLite: a temporary copy passing `PRAGMA integrity_check`; Postgres: a randomly named database
 * created on the target's server with `pg_restore`, always dropped afterwards). Counts the tables
 * and rows found there. Never touches the real database.
 *
 * @param backup - a result of {@link createBackup}.
 * @param options - `scratchUrl` (Postgres) names the server for the scratch database
 *   @default the backup's `target`; `timeoutMs` @default 300000 ms.
 * @returns the verification; `verified: false` with a `detail` for a tampered, missing or unrestorable file.
 * @throws BackupVerifyError (`CUTOVER_E_BACKUP_VERIFY_FAILED`) when the scratch database cannot be created or dropped.
 */
export async function verifyBackup(
  backup: DatabaseBackup,
  options: BackupOptions = {},
): Promise<BackupVerification> {
  const server: BackupTarget =
    backup.kind === 'sqlite'
      ? { kind: 'sqlite', path: backup.target }
      : { kind: 'postgres', url: options.scratchUrl ?? backup.target };
  return check(backup, server, options);
}

/**
 * Put a backup back into a database: what the RollbackCoordinator's `database` rollback does.
 * Refuses unless the file's SHA-256 still matches the backup. SQLite: the online backup API writes
 * into the live file, so the service may keep its connection open and sees the restored data at its
 * next query. Postgres: `pg_restore --clean --if-exists --single-transaction` (objects of the backup
 * are dropped and recreated; objects the backup does not know are left alone). A migration that
 * renamed a table leaves its constraints behind (index names, foreign keys), so recreating the
 * backup's table can fail: the restore then throws and, being one transaction, changes nothing.
 *
 * @param backup - a result of {@link createBackup}.
 * @param target - the database to restore into, usually the one backed up.
 * @returns when the restore finished and the backup's tables and rows as now in the target.
 * @throws RestoreError (`CUTOVER_E_RESTORE_FAILED`) on a kind mismatch, a changed or missing file, or a failed restore.
 * @example await restoreBackup(backup, { kind: 'postgres', url: process.env.DATABASE_URL! });
 */
export async function restoreBackup(
  backup: DatabaseBackup,
  target: BackupTarget,
  options: BackupOptions = {},
): Promise<RestoreResult> {
  const invalid = invalidTarget(target);
  if (invalid) throw new RestoreError(String(target?.kind ?? 'database'), invalid);
  const driver = driverFor(target);
  const described = driver.describe(target);
  if (backup.kind !== target.kind) {
    throw new RestoreError(
      described,
      `the backup is of a ${backup.kind} database, the target is ${target.kind}`,
    );
  }
  let digest: { sha256: string };
  try {
    digest = await digestFile(backup.file);
  } catch (error) {
    throw new RestoreError(described, `cannot read ${backup.file}: ${messageOf(error)}`, { cause: error });
  }
  if (digest.sha256 !== backup.sha256) {
    throw new RestoreError(
      described,
      `refusing to restore ${backup.file}: its sha256 is ${digest.sha256}, the backup recorded ${backup.sha256}`,
    );
  }
  const counts = await driver.load(backup.file, target, {
    timeoutMs: options.timeoutMs ?? DEFAULT_BACKUP_TIMEOUT_MS,
  });
  return { restoredAt: (options.clock ?? systemClock).now(), ...counts };
}

async function check(
  backup: DatabaseBackup,
  server: BackupTarget,
  options: BackupOptions,
): Promise<BackupVerification> {
  const clock = options.clock ?? systemClock;
  const notVerified = (detail: string): BackupVerification => ({
    verified: false,
    checkedAt: clock.now(),
    tables: 0,
    rows: 0,
    detail,
  });
  let digest: { sha256: string };
  try {
    digest = await digestFile(backup.file);
  } catch (error) {
    return notVerified(`cannot read ${backup.file}: ${messageOf(error)}`);
  }
  if (digest.sha256 !== backup.sha256) {
    return notVerified(
      `sha256 mismatch: the file has ${digest.sha256}, the backup recorded ${backup.sha256}`,
    );
  }
  const result = await driverFor(server).check(backup.file, server, {
    timeoutMs: options.timeoutMs ?? DEFAULT_BACKUP_TIMEOUT_MS,
  });
  return {
    verified: result.ok,
    checkedAt: clock.now(),
    tables: result.tables,
    rows: result.rows,
    detail: result.detail,
  };
}

function driverFor(target: BackupTarget): BackupDriver<BackupTarget> {
  // Each driver only ever receives targets of its own kind (checked by invalidTarget).
  return DRIVERS[target.kind] as BackupDriver<BackupTarget>;
}

/** Why `target` cannot be used, naming the field; `null` when it is fine. */
function invalidTarget(target: BackupTarget): string | null {
  if (target === null || typeof target !== 'object') return 'target: expected { kind, path | url }';
  if (!(BACKUP_KINDS as readonly string[]).includes(target.kind)) {
    return `target.kind: expected one of ${BACKUP_KINDS.join(', ')}, got ${String(target.kind)}`;
  }
  if (
    target.kind === 'sqlite' &&
    (typeof target.path !== 'string' || target.path === '' || target.path === ':memory:')
  ) {
    return 'target.path: expected the path of a SQLite database file';
  }
  if (target.kind === 'postgres' && (typeof target.url !== 'string' || target.url === '')) {
    return 'target.url: expected a URL like postgres://user@host:5432/dbname';
  }
  return null;
}

/** SHA-256 (lowercase hex) and size in bytes of a file, streamed. */
async function digestFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
