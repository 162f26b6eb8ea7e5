/**
 * Errors of the notify module. Delivery failures are not errors: `Notifier.send` reports them
 * as data (`DeliveryResult`). What throws is bad input at the edge (a template that does not
 * parse). Every error has a stable `code` (`CUTOVER_E_NOTIFY_...`), as Fastify's error codes.
 */

/** Stable codes of the notify module's errors (see docs/error-codes.md). */
export const NOTIFY_ERROR_CODES = ['CUTOVER_E_NOTIFY_TEMPLATE'] as const;
/** One of {@link NOTIFY_ERROR_CODES}. */
export type NotifyErrorCode = (typeof NOTIFY_ERROR_CODES)[number];

/** Base class of every error thrown by the notify module. */
export class NotifyError extends Error {
  /** Stable machine-readable code. */
  readonly code: NotifyErrorCode;

  constructor(code: NotifyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A message template that cannot be used: it does not parse as Mustache, its file cannot be read,
 * or its file name is not a known template. Code `CUTOVER_E_NOTIFY_TEMPLATE`. Not retryable: the
 * template must change. The Mustache error, when there is one, is the `cause`.
 */
export class NotifyTemplateError extends NotifyError {
  /** The template's file, when it came from one. */
  readonly file: string | undefined;

  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super(
      'CUTOVER_E_NOTIFY_TEMPLATE',
      options?.file === undefined ? message : `${options.file}: ${message}`,
      {
        cause: options?.cause,
      },
    );
    this.file = options?.file;
  }
}
