/**
 * Notifications of the release workflow: JSON webhooks and Slack incoming-webhook messages with
 * retries and backoff, and the editable Mustache templates of the pre-/post-deployment, rollback
 * and escalation messages. Import from here, not from the module's files.
 */
export { NOTIFY_ERROR_CODES, NotifyError, type NotifyErrorCode, NotifyTemplateError } from './errors.js';
export { loadMessageTemplates } from './load-message-templates.js';
export {
  DEFAULT_MESSAGE_TEMPLATES,
  MESSAGE_TEMPLATE_NAMES,
  type MessageTemplateName,
  type MessageTemplates,
} from './message-templates.js';
export { NOTIFICATION_SEVERITIES, type Notification, type NotificationSeverity } from './notification.js';
export type {
  NotificationChannel,
  NotificationChannelType,
} from './notification-channel.js';
export {
  DEFAULT_DELIVERY_TIMEOUT_MS,
  type DeliveryResult,
  Notifier,
  type NotifierLogger,
  type NotifierOptions,
} from './notifier.js';
export { renderMessage } from './render-message.js';
export { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs, type RetryPolicy } from './retry-policy.js';
export { type SlackPayload, slackPayload } from './slack-payload.js';
export { type WebhookPayload, webhookPayload } from './webhook-payload.js';
