export { StoreError } from './errors.js';
export { KyselyStore } from './kysely-store.js';
export { openSqliteStore } from './sqlite/sqlite-store.js';
export type {
  EventQuery,
  NewAuditEntry,
  NewEvent,
  RolloutApplyResult,
  Store,
  StoredEvent,
  StoredRelease,
  StoredRollout,
  StoredToken,
} from './store.js';
