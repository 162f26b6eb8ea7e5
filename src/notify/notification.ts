/** Severities of a notification, least to most urgent. */
export const NOTIFICATION_SEVERITIES = ['info', 'warning', 'critical'] as const;
/** One of {@link NOTIFICATION_SEVERITIES}. */
export type NotificationSeverity = (typeof NOTIFICATION_SEVERITIES)[number];

/**
 * One message about a release (or, without `release`, about drift: `driftDetected`,
 * `driftRemediated`), sent to every channel that accepts its `kind` (see
 * {@link Notifier}). Plain JSON data.
 *
 * @example
 * { kind: 'rollbackStarted', release: 'shop-1.4.0', environment: 'production', severity: 'critical',
 *   title: 'Rollback started: shop-1.4.0', text: 'error rate 0.21 > 0.05 for 120 s', at: 1735725600000,
 *   fields: { trigger: 'errorRate' } }
 */
export interface Notification {
  /**
   * What happened, in the release workflow's words: `approvalRequested`, `waitingForWindow`,
   * `releaseSucceeded`, `releaseFailed`, `releaseRejected`, `releaseCancelled`, `rollbackStarted`,
   * `releaseRolledBack`, `escalation`, `preDeployment`, `postDeployment` (docs/release-workflow.md);
   * `driftDetected` and `driftRemediated` (docs/drift.md).
   * Free text so new kinds need no change here.
   */
  kind: string;
  /** Release name; absent when the notification concerns no release (drift). */
  release?: string;
  /** Target environment, when the notification concerns one. */
  environment?: string;
  severity: NotificationSeverity;
  /** One line. */
  title: string;
  /** Body, Markdown-ish text (e.g. a rendered message template). */
  text: string;
  /** When it happened, ms since epoch. */
  at: number;
  /** Extra facts shown as key/value pairs (e.g. `version`, `trigger`). */
  fields?: Record<string, string>;
}
