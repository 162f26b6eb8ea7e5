export type {
  BackupDriver,
  BackupDriverOptions,
  BackupKind,
  BackupOptions,
  BackupTarget,
  BackupVerification,
  DatabaseBackup,
  PostgresBackupTarget,
  RestoreResult,
  ScratchCheck,
  SqliteBackupTarget,
  TableCounts,
} from './backup.js';
export { BACKUP_KINDS, DEFAULT_BACKUP_TIMEOUT_MS } from './backup.js';
export { createBackup, restoreBackup, verifyBackup } from './database-backup.js';
