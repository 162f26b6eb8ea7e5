/**
 * Errors of the built-in router. Each has a stable `code` (see docs/architecture-data-plane.md)
 * and readonly context fields; `cause` is chained.
 */

/** Base class of the router's errors. */
export class TrafficError extends Error {
  /** Stable error code, `CUTOVER_E_...`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A public port could not be bound (EADDRINUSE, or it belongs to another Rollout). Thrown by
 * `Router.applyRollout`, which leaves the previous listeners and routes unchanged.
 */
export class PortInUseError extends TrafficError {
  readonly port: number;
  readonly rollout: string;
  constructor(rollout: string, port: number, detail: string, options?: ErrorOptions) {
    super('CUTOVER_E_PORT_IN_USE', `rollout ${rollout}: port ${port} cannot be bound: ${detail}`, options);
    this.port = port;
    this.rollout = rollout;
  }
}

/** A listener could not be bound for another reason than the port being in use (e.g. EACCES). */
export class ListenError extends TrafficError {
  readonly port: number;
  readonly rollout: string;
  constructor(rollout: string, port: number, detail: string, options?: ErrorOptions) {
    super('CUTOVER_E_LISTEN_FAILED', `rollout ${rollout}: cannot listen on port ${port}: ${detail}`, options);
    this.port = port;
    this.rollout = rollout;
  }
}
