export { StoreError } from './errors.js';
export { KyselyStore } from './kysely-store.js';
export { describeStoreLocation, openStore, parseStoreLocation, type StoreLocation } from './open-store.js';
export { openPostgresStore, PostgresStore } from './postgres/postgres-store.js';
export { openSqliteStore } from './sqlite/sqlite-store.js';
export type {
  ConfigKind,
  ControlPlaneReplica,
  EventQuery,
  Lease,
  NewAuditEntry,
  NewEvent,
  RolloutApplyResult,
  SecretRotation,
  Store,
  StoredConfigVersion,
  StoredEvent,
  StoredRelease,
  StoredRollout,
  StoredToken,
  StoredWorkdirChecksum,
} from './store.js';
export { copyStore, type StoreCopyReport } from './store-copy.js';
