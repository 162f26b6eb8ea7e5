/**
 * Errors of the records module. Every error has a stable `code` (`CUTOVER_E_RECORDS_...`) so the
 * CLI, the API and the docs' error table match on it rather than on the message (as Fastify's
 * error codes).
 */

/** Stable codes of the records module's errors (see docs/error-codes.md). */
export const RECORDS_ERROR_CODES = ['CUTOVER_E_RECORDS_QUERY'] as const;
/** One of {@link RECORDS_ERROR_CODES}. */
export type RecordsErrorCode = (typeof RECORDS_ERROR_CODES)[number];

/** Base class of every error thrown by the records module. */
export class RecordsError extends Error {
  /** Stable machine-readable code. */
  readonly code: RecordsErrorCode;

  constructor(code: RecordsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A records query that cannot be answered, e.g. a period whose end is not after its start. Code
 * `CUTOVER_E_RECORDS_QUERY`. Not retryable: the query must change.
 */
export class RecordsQueryError extends RecordsError {
  /** The offending query field, e.g. `to`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('CUTOVER_E_RECORDS_QUERY', `${field}: ${message}`);
    this.field = field;
  }
}
