/** Errors of the release workflow. Every refusal leaves the release exactly as it was. */

/** Base class: every release workflow error has a stable code and names the release. */
export class ReleaseError extends Error {
  readonly code: string;
  /** Name of the release the error is about. */
  readonly release: string;
  constructor(code: string, release: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.release = release;
  }
}

/** Why an approval was refused; data, so the API and the dashboard can explain it. */
export const APPROVAL_REFUSALS = ['creator', 'role', 'qualifier', 'actor'] as const;
export type ApprovalRefusal = (typeof APPROVAL_REFUSALS)[number];

/**
 * An approval (or a rejection) that the release's policy does not accept: the actor created the
 * release, holds neither role `approver` nor `admin`, or carries a qualifier the release type does
 * not ask for. Code `CUTOVER_E_APPROVAL_NOT_ALLOWED`. Nothing was changed; not retryable as is.
 */
export class ApprovalNotAllowedError extends ReleaseError {
  readonly actor: string;
  readonly refusal: ApprovalRefusal;
  constructor(release: string, actor: string, refusal: ApprovalRefusal, message: string) {
    super('CUTOVER_E_APPROVAL_NOT_ALLOWED', release, `${release}: ${actor} may not approve: ${message}`);
    this.actor = actor;
    this.refusal = refusal;
  }
}

/**
 * An event that does not apply to the release's current stage and status, e.g. `approve` while
 * the release is in STAGING, or anything but `tick` once the release has ended.
 * Code `CUTOVER_E_RELEASE_TRANSITION`. Nothing was changed.
 */
export class ReleaseTransitionError extends ReleaseError {
  /** The event type that was refused. */
  readonly event: string;
  /** Stage and status of the release when the event was refused. */
  readonly stage: string;
  readonly status: string;
  constructor(release: string, event: string, stage: string, status: string, message: string) {
    super(
      'CUTOVER_E_RELEASE_TRANSITION',
      release,
      `${release}: ${event} not allowed in stage ${stage} (${status}): ${message}`,
    );
    this.event = event;
    this.stage = stage;
    this.status = status;
  }
}

/**
 * A release definition that is not valid: the message names the field path and what was
 * expected. Code `CUTOVER_E_RELEASE_INVALID`. Nothing was created.
 */
export class ReleaseValidationError extends ReleaseError {
  /** Field path, e.g. `environments[1]`. */
  readonly path: string;
  constructor(release: string, path: string, message: string) {
    super('CUTOVER_E_RELEASE_INVALID', release, `${release}: ${path}: ${message}`);
    this.path = path;
  }
}
