import type { Clock } from '../../clock/index.js';

/** Database kinds that can be backed up; one folder per kind under `crew/backup/`. */
export const BACKUP_KINDS = ['sqlite', 'postgres'] as const;
/** One of {@link BACKUP_KINDS}. */
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** A SQLite database file, typically opened by the service in WAL mode. */
export interface SqliteBackupTarget {
  kind: 'sqlite';
  /** Path of the database file (relative paths resolve against the working directory). */
  path: string;
}

/** A PostgreSQL database. */
export interface PostgresBackupTarget {
  kind: 'postgres';
  /**
   * libpq connection URL naming one database, e.g. `postgres://root@127.0.0.1:5432/shop`.
   * A password in it is handed to the tools through `PGPASSWORD`, never on a command line, and never stored.
   */
  url: string;
}

/** The database to back up or restore into. */
export type BackupTarget = SqliteBackupTarget | PostgresBackupTarget;

/** Result of checking a backup by restoring it into a scratch database. */
export interface BackupVerification {
  /** True only when the checksum matched and the scratch restore passed its checks. */
  verified: boolean;
  /** When the check ran, ms since the epoch; `null` when the backup was never checked. */
  checkedAt: number | null;
  /** Tables found in the scratch restore (SQLite: user tables; Postgres: base tables of non-system schemas). */
  tables: number;
  /** Rows summed over those tables. */
  rows: number;
  /** Human-readable outcome, e.g. `integrity_check ok` or why the check failed. */
  detail: string;
}

/** A database backup file and what is known about it. Plain data: safe to persist as JSON. */
export interface DatabaseBackup {
  kind: BackupKind;
  /** The database backed up: the SQLite file's absolute path, or the Postgres URL without its password. */
  target: string;
  /** Absolute path of the backup file (SQLite: a database file; Postgres: a `pg_dump --format=custom` archive). */
  file: string;
  /** Size of `file`, bytes. */
  bytes: number;
  /** SHA-256 of `file`, lowercase hex; restore refuses a file that no longer matches. */
  sha256: string;
  /** When the backup was taken, ms since the epoch. */
  createdAt: number;
  /** Outcome of the check made right after the backup (or `verified: false, checkedAt: null` if skipped). */
  verification: BackupVerification;
}

/** Result of restoring a backup into its target. */
export interface RestoreResult {
  /** When the restore finished, ms since the epoch. */
  restoredAt: number;
  /** Tables of the backup now in the target. */
  tables: number;
  /** Rows in those tables after the restore. */
  rows: number;
}

/** Tables and rows counted in a database. */
export interface TableCounts {
  tables: number;
  rows: number;
}

/** What a driver's scratch check found; `ok: false` is a bad backup, not an error. */
export interface ScratchCheck extends TableCounts {
  ok: boolean;
  detail: string;
}

/** Options shared by {@link BackupDriver} calls. */
export interface BackupDriverOptions {
  /** Upper bound on each external command (pg_dump, pg_restore, psql), ms. */
  timeoutMs: number;
}

/**
 * One database backend, as Kysely's `Dialect`: the backup module owns file naming, checksums and
 * the refuse-if-tampered rule; a driver only moves bytes and counts tables.
 */
export interface BackupDriver<T extends BackupTarget> {
  readonly kind: T['kind'];
  /** File extension of a backup file, with the dot, e.g. `.db` or `.dump`. */
  readonly extension: string;
  /** The target as stored in {@link DatabaseBackup.target}: no password. */
  describe(target: T): string;
  /** Short name for the backup file, e.g. the database name; `[A-Za-z0-9_-]` only. */
  baseName(target: T): string;
  /**
   * Write a backup of `target` to `file` (which does not exist yet) while the service may keep using it.
   * @throws BackupError when the dump fails.
   */
  dump(target: T, file: string, options: BackupDriverOptions): Promise<void>;
  /**
   * Restore `file` into a scratch database next to `server` (never into `server` itself), check and
   * count it, then remove the scratch database.
   * @throws BackupVerifyError when the scratch database cannot be created.
   */
  check(file: string, server: T, options: BackupDriverOptions): Promise<ScratchCheck>;
  /**
   * Replace the contents of `target` with `file` and count the backup's tables in `target` afterwards.
   * @throws RestoreError when the restore fails.
   */
  load(file: string, target: T, options: BackupDriverOptions): Promise<TableCounts>;
}

/** Options of `createBackup`, `verifyBackup` and `restoreBackup`. */
export interface BackupOptions {
  /** Check the backup right after taking it (restore into a scratch database). @default true */
  verify?: boolean;
  /** Upper bound on each external command (pg_dump, pg_restore, psql), ms. @default DEFAULT_BACKUP_TIMEOUT_MS */
  timeoutMs?: number;
  /** Source of `createdAt`, `checkedAt`, `restoredAt`. @default systemClock */
  clock?: Clock;
  /**
   * Postgres only, `verifyBackup`: URL of the server to create the scratch database on.
   * @default the backup's `target` (no password: `PGPASSWORD` or `~/.pgpass` apply)
   */
  scratchUrl?: string;
}

/** Default bound on one external command, ms (5 minutes: dumps of mid-sized databases). */
export const DEFAULT_BACKUP_TIMEOUT_MS = 300_000;
