export { StoreError } from './errors.js';
export { KyselyStore } from './kysely-store.js';
export { openSqliteStore } from './sqlite/sqlite-store.js';
export type {
  ConfigKind,
  EventQuery,
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
