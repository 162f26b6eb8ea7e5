import type { Qualifier, Role } from '../../auth/roles.js';

/** Release types of the workflow; each has its own approval policy (see `APPROVAL_POLICIES`). */
export const RELEASE_TYPES = ['standard', 'hotfix', 'rollback', 'scheduled'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];

/**
 * Stages a release goes through, in order. ROLLBACK is entered only on a rollback request or a
 * failed MONITOR; it is never part of the forward flow.
 */
export const RELEASE_STAGES = [
  'PREPARE',
  'STAGING',
  'VALIDATE',
  'APPROVE',
  'DEPLOY',
  'MONITOR',
  'ROLLBACK',
] as const;
export type ReleaseStage = (typeof RELEASE_STAGES)[number];

/**
 * Where a release is:
 * - `RUNNING`: the executor is carrying out the current stage (`runStage` / `startRollback`);
 * - `WAITING_APPROVAL`: in APPROVE, approvals are still missing;
 * - `WAITING_WINDOW`: approved, waiting for the next deployment window (scheduled releases);
 * - `SUCCESS`, `ROLLED_BACK`, `REJECTED`, `CANCELLED`, `FAILED`: terminal outcomes.
 */
export const RELEASE_STATUSES = [
  'RUNNING',
  'WAITING_APPROVAL',
  'WAITING_WINDOW',
  'SUCCESS',
  'ROLLED_BACK',
  'REJECTED',
  'CANCELLED',
  'FAILED',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** The statuses a release never leaves. */
export const TERMINAL_RELEASE_STATUSES = [
  'SUCCESS',
  'ROLLED_BACK',
  'REJECTED',
  'CANCELLED',
  'FAILED',
] as const satisfies readonly ReleaseStatus[];

/** Whether `status` is a terminal outcome. Pure. */
export function isTerminalStatus(status: ReleaseStatus): boolean {
  return (TERMINAL_RELEASE_STATUSES as readonly ReleaseStatus[]).includes(status);
}

/** Outcome of one stage in one environment, as Kysely's Migrator: partial progress is data. */
export const STAGE_RESULTS = ['Success', 'Error', 'NotExecuted'] as const;
export type StageResultKind = (typeof STAGE_RESULTS)[number];

/** Rollback types, as the RollbackCoordinator: traffic, database (restore the backup), full (both). */
export const ROLLBACK_TYPES = ['traffic', 'database', 'full'] as const;
export type RollbackType = (typeof ROLLBACK_TYPES)[number];

/**
 * An identity: `user:<name>` for a person, `agent:<name>` for a crew agent. Compared
 * case-insensitively and without surrounding spaces (see `sameActor`).
 */
export type Actor = string;

/** One recorded approval. */
export interface Approval {
  actor: Actor;
  role: Role;
  qualifier: Qualifier;
  comment: string;
  /** When it was given, ms since the Unix epoch. */
  at: number;
}

/** One recorded rejection; the first one ends the release. */
export interface Rejection {
  actor: Actor;
  role: Role;
  qualifier: Qualifier | null;
  comment: string;
  /** ms since the Unix epoch. */
  at: number;
}

/** Result of one stage in one environment. */
export interface StageResult {
  stage: ReleaseStage;
  /** The environment the stage ran (or would have run) in. */
  environment: string;
  result: StageResultKind;
  /** Why it failed or was not executed; absent on success. */
  reason?: string;
  /** The crew agent's report, stored with the release (opaque here). */
  report?: unknown;
  /** When the result was recorded, ms since the Unix epoch. */
  at: number;
}

/** The rollback in progress or done. */
export interface RollbackRequest {
  type: RollbackType;
  reason: string;
  actor: Actor;
  /** The earlier release whose version is restored; absent: this release's DEPLOY checkpoint. */
  toRelease?: string;
  /** ms since the Unix epoch. */
  at: number;
}

/** One entry of the release's history: every change with its reason (invariant 3). */
export interface ReleaseHistoryEntry {
  /** ms since the Unix epoch. */
  at: number;
  /** The event type that caused the change (`create`, `approve`, ...). */
  event: string;
  actor?: Actor;
  from: { stage: ReleaseStage; status: ReleaseStatus };
  to: { stage: ReleaseStage; status: ReleaseStatus };
  reason: string;
  message: string;
}

/** A release: one version of one or more Rollouts carried through the stages and environments. */
export interface Release {
  name: string;
  version: string;
  type: ReleaseType;
  /** Names of the Rollouts the release carries. */
  rollouts: string[];
  /**
   * Environments in order, e.g. `dev, staging, production`. The last one is the target (APPROVE,
   * DEPLOY, MONITOR, ROLLBACK); the others are pre-production (STAGING in each, VALIDATE in the
   * last of them).
   */
  environments: string[];
  createdBy: Actor;
  /** ms since the Unix epoch. */
  createdAt: number;
  /** The current stage; after the end, the stage the release ended in. */
  stage: ReleaseStage;
  /** The environment of the current stage. */
  environment: string;
  status: ReleaseStatus;
  approvals: Approval[];
  rejections: Rejection[];
  /** One entry per finished or skipped step of the plan, in order. */
  stageResults: StageResult[];
  /** Set once a rollback is requested. */
  rollback: RollbackRequest | null;
  /** For WAITING_WINDOW: when the next window opens (ms since epoch), if known. */
  waitingUntil: number | null;
  history: ReleaseHistoryEntry[];
}
