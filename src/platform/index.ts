/** Platforms run the replicas of revisions. One folder per implementation (`local/`, `kubernetes/`). */
export { PlatformError, PortAllocationError, ReplicaLogError, StateBackupError } from './errors.js';
export * from './kubernetes/index.js';
export * from './local/index.js';
export type { EndpointSink, Platform, ReplicaEndpoint } from './platform.js';
