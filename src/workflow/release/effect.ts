import type { ReleaseStage, RollbackType } from './release.js';

/** Kinds of notification the workflow asks for (rendered by the notifications module). */
export const NOTIFICATION_KINDS = [
  'approvalRequested',
  'waitingForWindow',
  'releaseSucceeded',
  'releaseFailed',
  'releaseRejected',
  'releaseCancelled',
  'rollbackStarted',
  'releaseRolledBack',
  'escalation',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/**
 * What the workflow executor must do next. Every effect is idempotent: running it twice (after a
 * crash, say) has the effect of running it once, so the executor keys it by release, stage and
 * environment.
 */
export type Effect =
  /** Start (or keep running) `stage` in `environment`; report back with stageSucceeded/stageFailed. */
  | { type: 'runStage'; release: string; stage: ReleaseStage; environment: string }
  /** Stop the work of a stage that will not finish (the release was cancelled or rejected). */
  | { type: 'stopStage'; release: string; stage: ReleaseStage; environment: string }
  /** Wait for the next deployment window; send windowOpened (or tick) when it opens. `until`: ms since epoch, null if unknown. */
  | { type: 'waitForWindow'; release: string; until: number | null }
  /** Send a notification (webhook / Slack). */
  | { type: 'notify'; release: string; kind: NotificationKind; message: string }
  /** Hand the release to the RollbackCoordinator with this rollback type. */
  | { type: 'startRollback'; release: string; rollbackType: RollbackType; environment: string };
