/**
 * Platforms run the replicas of revisions. One folder per implementation: `local/` here;
 * `kubernetes/` is imported from `./kubernetes/index.js` by who needs it, so that the data plane
 * and the local control plane do not load `@kubernetes/client-node` (~1 s).
 */
export {
  BuiltinMetricsUnavailableError,
  PlatformError,
  PortAllocationError,
  ReplicaLogError,
  StateBackupError,
} from './errors.js';
export * from './local/index.js';
export type { EndpointSink, Platform, ReplicaEndpoint } from './platform.js';
