import type { NotificationChannel } from '../spec/index.js';

/**
 * One notification channel, as a Release's `notifications:` declares it (validated by the spec's
 * schema): `name`, `type` (`webhook`: the notification as JSON; `slack`: a Slack incoming-webhook
 * message), `url`, `kinds` (absent = all) and `headers` (added to each request).
 */
export type { NotificationChannel };

/** Channel types: where and in which shape a notification is POSTed. */
export type NotificationChannelType = NotificationChannel['type'];
