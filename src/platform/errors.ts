/** Errors of the platform module; each has a stable `code`. */

/** Base class of the platform's errors. */
export class PlatformError extends Error {
  /** Stable error code, `CUTOVER_E_...`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** No free TCP port could be allocated for a replica. */
export class PortAllocationError extends PlatformError {
  constructor(options?: ErrorOptions) {
    super('CUTOVER_E_PORT_ALLOCATION', 'cannot allocate a free TCP port for a replica', options);
  }
}

/** The log directory or a replica's log file cannot be written. */
export class ReplicaLogError extends PlatformError {
  readonly path: string;
  constructor(path: string, options?: ErrorOptions) {
    super('CUTOVER_E_REPLICA_LOG', `cannot open replica log ${path}`, options);
    this.path = path;
  }
}

/**
 * A backup of a stateful Rollout's state directories cannot be taken or restored (tar failed, the
 * backup is unknown, or its file no longer matches its sha256).
 */
export class StateBackupError extends PlatformError {
  constructor(message: string, options?: ErrorOptions) {
    super('CUTOVER_E_STATE_BACKUP', message, options);
  }
}
