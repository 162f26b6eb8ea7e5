/**
 * Errors of the deployment-windows module. Every error has a stable `code` (`CUTOVER_E_WINDOW_...`)
 * so the CLI, the API and the docs' error table match on it rather than on the message (as
 * Fastify's error codes). None is retryable: the input (policy or override request) must change.
 */

/** Stable codes of the windows module's errors (see docs/deployment-windows.md, "Error codes"). */
export const WINDOW_ERROR_CODES = [
  'CUTOVER_E_WINDOW_POLICY_INVALID',
  'CUTOVER_E_WINDOW_FREEZE_UNKNOWN',
  'CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN',
  'CUTOVER_E_WINDOW_OVERRIDE_REASON',
] as const;
/** One of {@link WINDOW_ERROR_CODES}. */
export type WindowErrorCode = (typeof WINDOW_ERROR_CODES)[number];

/**
 * One problem found in a window policy.
 *
 * @example
 * { path: 'windows.allowed[0].schedule', message: 'expected a 5-field cron expression, got "bad"' }
 */
export interface WindowPolicyIssue {
  /** Field path, e.g. `windows.allowed[0].schedule`. */
  readonly path: string;
  /** What is wrong and what was expected, e.g. `expected an IANA time zone name, got "Mars/Olympus"`. */
  readonly message: string;
}

/** Base class of every error thrown by the windows module. Not retryable: the input must change. */
export class WindowError extends Error {
  /** Stable machine-readable code. */
  readonly code: WindowErrorCode;
  /** Always `false`: retrying the same input gives the same answer. */
  readonly retryable = false;

  constructor(code: WindowErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A window policy that is not valid: every problem found in one pass (the policy is validated
 * whole). `message` holds one `path: message` line per issue. Code `CUTOVER_E_WINDOW_POLICY_INVALID`.
 */
export class WindowPolicyError extends WindowError {
  /** All issues, in field order. Never empty. */
  readonly issues: readonly WindowPolicyIssue[];

  constructor(issues: readonly WindowPolicyIssue[], options?: { cause?: unknown }) {
    super(
      'CUTOVER_E_WINDOW_POLICY_INVALID',
      issues.map((i) => `${i.path}: ${i.message}`).join('\n'),
      options,
    );
    this.issues = issues;
  }
}

/**
 * A freeze override was refused. Codes: `CUTOVER_E_WINDOW_FREEZE_UNKNOWN` (no freeze of that name in
 * the policy), `CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN` (the role is not `admin`),
 * `CUTOVER_E_WINDOW_OVERRIDE_REASON` (no reason, or no actor, given).
 */
export class FreezeOverrideError extends WindowError {
  /** Name of the freeze the override was asked for. */
  readonly freeze: string;
  /** Who asked. */
  readonly actor: string;
  /** The role they asked with. */
  readonly role: string;

  constructor(
    code: Exclude<WindowErrorCode, 'CUTOVER_E_WINDOW_POLICY_INVALID'>,
    message: string,
    context: { freeze: string; actor: string; role: string },
  ) {
    super(code, message);
    this.freeze = context.freeze;
    this.actor = context.actor;
    this.role = context.role;
  }
}
