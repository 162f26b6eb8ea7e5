/**
 * Errors of the data plane and its client, each with a stable code (table in
 * docs/architecture-data-plane.md), readonly context and `retryable` as data.
 */

/** Base class of the data plane's errors. */
export class DataPlaneError extends Error {
  /** Stable error code, `CUTOVER_E_...`. */
  readonly code: string;
  /** Whether the same call may succeed if simply repeated later. */
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** The admin API did not answer (process not running, connection refused, timeout). Retryable. */
export class DataPlaneUnavailableError extends DataPlaneError {
  /** The admin API's Unix socket. */
  readonly socketPath: string;
  constructor(socketPath: string, detail: string, options?: ErrorOptions) {
    super(
      'CUTOVER_E_DATAPLANE_UNAVAILABLE',
      `data plane at ${socketPath} unavailable: ${detail}`,
      true,
      options,
    );
    this.socketPath = socketPath;
  }
}

/** `ensureDataPlane` spawned a data plane that did not become healthy in time (see its log). */
export class DataPlaneStartError extends DataPlaneError {
  readonly home: string;
  readonly logPath: string;
  constructor(home: string, logPath: string, detail: string, options?: ErrorOptions) {
    super(
      'CUTOVER_E_DATAPLANE_START',
      `data plane for ${home} did not start: ${detail} (see ${logPath})`,
      true,
      options,
    );
    this.home = home;
    this.logPath = logPath;
  }
}

/** The admin API answered with an error; `code` is the server's code. */
export class DataPlaneApiError extends DataPlaneError {
  /** HTTP status of the answer. */
  readonly status: number;
  constructor(code: string, message: string, status: number, options?: ErrorOptions) {
    super(code, message, status >= 500, options);
    this.status = status;
  }
}

/** A desired state was rejected as invalid (HTTP 400). Nothing changed. */
export class InvalidDataPlaneSpecError extends DataPlaneApiError {
  /** Field path, e.g. `listeners[0].backends[1].weight`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super('CUTOVER_E_DATAPLANE_INVALID_SPEC', message, 400);
    this.path = path;
  }
}

/** A listener port cannot be bound (HTTP 409). Nothing changed. */
export class DataPlanePortInUseError extends DataPlaneApiError {
  readonly port: number;
  constructor(port: number, message: string) {
    super('CUTOVER_E_PORT_IN_USE', message, 409);
    this.port = port;
  }
}

/** The data plane is shutting down and refuses writes (HTTP 503). Retryable. */
export class DataPlaneShuttingDownError extends DataPlaneApiError {
  constructor() {
    super('CUTOVER_E_DATAPLANE_SHUTTING_DOWN', 'the data plane is shutting down', 503);
  }
}
