/** Platforms run the replicas of revisions. One folder per implementation (`local/`). */
export { PlatformError, PortAllocationError, ReplicaLogError, StateBackupError } from './errors.js';
export * from './local/index.js';
export type { EndpointSink, Platform, ReplicaEndpoint } from './platform.js';
