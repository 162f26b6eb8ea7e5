/** The data plane: its process, its admin API contract and the control plane's client. */
export { DataPlaneClient, type DataPlaneClientOptions } from './client.js';
export { DataPlane, type DataPlaneOptions } from './data-plane.js';
export { DATAPLANE_INFO_FILE, readDataPlaneInfo } from './data-plane-info.js';
export { DEFAULT_METRICS_PORT } from './default-ports.js';
export { type EnsureDataPlaneOptions, ensureDataPlane, shutdownDataPlane } from './ensure-data-plane.js';
export {
  DataPlaneApiError,
  DataPlaneError,
  DataPlanePortInUseError,
  DataPlaneShuttingDownError,
  DataPlaneStartError,
  DataPlaneUnavailableError,
  InvalidDataPlaneSpecError,
} from './errors.js';
export { privateDirectory } from './private-directory.js';
export * from './protocol.js';
export { validateRolloutSpec } from './validate-spec.js';
