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

/**
 * A builtin metric (`builtin: error-rate | request-rate | latency | ...`) measured on the kubernetes
 * platform: those come from cutover's router, which runs on the local platform only; on Kubernetes
 * the same measures come from Prometheus (docs/kubernetes.md gives the queries per provider).
 */
export class BuiltinMetricsUnavailableError extends PlatformError {
  constructor(rollout: string) {
    super(
      'CUTOVER_E_BUILTIN_METRICS_UNAVAILABLE',
      `Rollout ${rollout} runs on the kubernetes platform: builtin metrics come from cutover's router, which does not carry its traffic; measure it with the prometheus provider (docs/kubernetes.md lists the queries per traffic provider)`,
    );
  }
}
