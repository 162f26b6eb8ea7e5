import type { Qualifier, Role } from '../../auth/index.js';
import type { Actor, ReleaseStage, RollbackType } from './release.js';

/** The executor (a crew agent) finished the current stage. */
export interface StageSucceededEvent {
  type: 'stageSucceeded';
  stage: ReleaseStage;
  /** Must match the current environment when given. */
  environment?: string;
  report?: unknown;
}

/** The executor could not finish the current stage. */
export interface StageFailedEvent {
  type: 'stageFailed';
  stage: ReleaseStage;
  environment?: string;
  reason: string;
  report?: unknown;
}

/** An approval by a person or an agent, as the API received it (role and qualifier from the token). */
export interface ApproveEvent {
  type: 'approve';
  actor: Actor;
  role: Role;
  qualifier: Qualifier | null;
  comment: string;
  /** ms since the Unix epoch. @default ctx.now */
  at?: number;
}

/** A rejection: ends the release (REJECTED). */
export interface RejectEvent {
  type: 'reject';
  actor: Actor;
  role: Role;
  qualifier: Qualifier | null;
  comment: string;
}

/** Stop a release that has not reached DEPLOY. */
export interface CancelEvent {
  type: 'cancel';
  actor: Actor;
  reason?: string;
}

/** A rollback by command or by the RollbackCoordinator's trigger. */
export interface RollbackRequestedEvent {
  type: 'rollbackRequested';
  rollbackType: RollbackType;
  reason: string;
  actor: Actor;
  /**
   * Restore the version an earlier release of the same Rollouts deployed, instead of this one's
   * DEPLOY checkpoint (`cutover release rollback NAME --to-release EARLIER`).
   */
  toRelease?: string;
}

/** The windows module says a deployment window has opened. */
export interface WindowOpenedEvent {
  type: 'windowOpened';
}

/** The clock advanced; re-evaluates time-dependent gates (the window). Never refused. */
export interface TickEvent {
  type: 'tick';
  /** ms since the Unix epoch. */
  now: number;
}

/** Everything that can happen to a release. */
export type ReleaseEvent =
  | StageSucceededEvent
  | StageFailedEvent
  | ApproveEvent
  | RejectEvent
  | CancelEvent
  | RollbackRequestedEvent
  | WindowOpenedEvent
  | TickEvent;

/**
 * What the decision needs from the outside world, injected so the decision stays pure
 * (as XState's `transition` with an injected clock).
 */
export interface ReleaseContext {
  /** Now, ms since the Unix epoch. */
  now: number;
  /**
   * Whether a deployment window of the target environment is open now (from the windows module).
   * Unknown counts as closed, so a scheduled release never deploys outside a window by omission.
   * @default false
   */
  windowOpen?: boolean;
  /** When the next window opens, ms since the Unix epoch, or null if unknown. @default null */
  nextWindowAt?: number | null;
  /** IANA time zone of the target environment's windows: times are shown in UTC and in it. @default UTC only */
  timeZone?: string;
  /**
   * Freeze overrides that open the window now (`freeze X overridden by Y: reason`), recorded in the
   * release's history when it leaves WAITING_WINDOW. @default none
   */
  overrides?: string[];
}
