import type { Notification } from './notification.js';

/**
 * The JSON body POSTed to a `webhook` channel: the notification's fields, with `environment` and
 * `fields` always present, plus `time` (the same instant as `at`, ISO 8601 UTC) for readers.
 */
export interface WebhookPayload {
  kind: string;
  /** null when the notification concerns no release (drift). */
  release: string | null;
  /** null when the notification concerns no single environment. */
  environment: string | null;
  severity: Notification['severity'];
  title: string;
  text: string;
  /** ms since epoch. */
  at: number;
  /** `at` as ISO 8601 UTC, e.g. `2025-01-01T10:00:00.000Z`. */
  time: string;
  /** Extra facts; `{}` when none. */
  fields: Record<string, string>;
}

/**
 * Builds the JSON body of a `webhook` channel for a notification. Pure.
 *
 * @example webhookPayload(n).time // '2025-01-01T10:00:00.000Z'
 */
export function webhookPayload(n: Notification): WebhookPayload {
  return {
    kind: n.kind,
    release: n.release ?? null,
    environment: n.environment ?? null,
    severity: n.severity,
    title: n.title,
    text: n.text,
    at: n.at,
    time: new Date(n.at).toISOString(),
    fields: { ...(n.fields ?? {}) },
  };
}
