/** Errors of the API server, each mapped to an HTTP status. */

/** An API error: JSON `{code, message, path?, issues?}` with an HTTP status. */
export class ApiError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly path: string | undefined;
  readonly issues: unknown[] | undefined;
  constructor(
    statusCode: number,
    code: string,
    message: string,
    extra: { path?: string; issues?: unknown[] } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
    this.path = extra.path;
    this.issues = extra.issues;
  }
}

/** Another `cutover server` of the same data directory is running. */
export class ServerRunningError extends Error {
  readonly code = 'CUTOVER_E_SERVER_RUNNING';
  constructor(
    readonly pid: number,
    readonly home: string,
  ) {
    super(`a cutover server (pid ${pid}) is already running for ${home}`);
    this.name = 'ServerRunningError';
  }
}

/** A server setting (an environment variable) holds a value the server cannot use; it does not start. */
export class ServerConfigError extends Error {
  readonly code = 'CUTOVER_E_SERVER_CONFIG';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ServerConfigError';
  }
}
