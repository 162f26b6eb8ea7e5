/** The data plane: its process, its admin API contract and the control plane's client. */
export { DataPlaneClient, type DataPlaneClientOptions } from './client.js';
export { DATAPLANE_INFO_FILE, DataPlane, type DataPlaneOptions, DEFAULT_ADMIN_PORT } from './data-plane.js';
export { type EnsureDataPlaneOptions, ensureDataPlane, readDataPlaneInfo } from './ensure-data-plane.js';
export {
  DataPlaneApiError,
  DataPlaneError,
  DataPlanePortInUseError,
  DataPlaneShuttingDownError,
  DataPlaneStartError,
  DataPlaneUnavailableError,
  InvalidDataPlaneSpecError,
} from './errors.js';
export * from './protocol.js';
export { validateRolloutSpec } from './validate-spec.js';
