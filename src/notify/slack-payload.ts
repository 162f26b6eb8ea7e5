import type { Notification, NotificationSeverity } from './notification.js';

/** A Block Kit text object of type `mrkdwn`. */
interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
}

/** The blocks this module sends (Block Kit `section` and `context` blocks). */
type SlackBlock = { type: 'section'; text: SlackMrkdwn } | { type: 'context'; elements: SlackMrkdwn[] };

/**
 * The JSON body of a Slack incoming-webhook message: `text` is the fallback Slack shows in
 * notifications and where blocks cannot be shown; `blocks` is the message (Slack docs, "Sending
 * messages using incoming webhooks" and the Block Kit reference for `section` and `context`).
 */
export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

/** Slack limits from the Block Kit reference: section text length, context element count. */
const SECTION_TEXT_MAX = 3000;
const CONTEXT_ELEMENTS_MAX = 10;

const SEVERITY_EMOJI: Record<NotificationSeverity, string> = {
  info: ':information_source:',
  warning: ':warning:',
  critical: ':rotating_light:',
};

/**
 * Builds a Slack incoming-webhook message for a notification: a `section` block with the severity
 * emoji, the title in bold and the text (mrkdwn), then a `context` block with `release` (when set),
 * `environment`, `kind` and each of `fields` as `*key:* value`. Pure.
 *
 * `&`, `<` and `>` are escaped in every piece of the notification, as Slack's "Formatting text"
 * guide requires, so release data cannot form links or mentions. Section text is cut to 3000
 * characters and the context to 10 elements (the last one holds the rest), Block Kit's limits.
 *
 * @example slackPayload(n).text // '[critical] Rollback started: shop-1.4.0'
 */
export function slackPayload(n: Notification): SlackPayload {
  const title = slackEscape(n.title);
  let body = `${SEVERITY_EMOJI[n.severity]} *${title}*`;
  if (n.text.trim() !== '') body += `\n${slackEscape(n.text)}`;
  if (body.length > SECTION_TEXT_MAX) body = `${body.slice(0, SECTION_TEXT_MAX - 1)}…`;

  const facts: [string, string][] = n.release === undefined ? [] : [['release', n.release]];
  if (n.environment !== undefined) facts.push(['environment', n.environment]);
  facts.push(['kind', n.kind], ...Object.entries(n.fields ?? {}));
  const items = facts.map(([k, v]) => `*${slackEscape(k)}:* ${slackEscape(v)}`);
  const elements =
    items.length <= CONTEXT_ELEMENTS_MAX
      ? items
      : [...items.slice(0, CONTEXT_ELEMENTS_MAX - 1), items.slice(CONTEXT_ELEMENTS_MAX - 1).join('  ')];

  return {
    text: `[${n.severity}] ${title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body } },
      { type: 'context', elements: elements.map((text) => ({ type: 'mrkdwn', text })) },
    ],
  };
}

/** Escapes the three characters Slack treats as control characters in message text. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
