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
