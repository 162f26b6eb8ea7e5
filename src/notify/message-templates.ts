/** Names of the editable message templates; a template directory holds `<name>.mustache` files. */
export const MESSAGE_TEMPLATE_NAMES = ['preDeployment', 'postDeployment', 'rollback', 'escalation'] as const;
/** One of {@link MESSAGE_TEMPLATE_NAMES}. */
export type MessageTemplateName = (typeof MESSAGE_TEMPLATE_NAMES)[number];

/** A Mustache template source per message. */
export type MessageTemplates = Record<MessageTemplateName, string>;

/**
 * The built-in message templates, Mustache (https://mustache.github.io/mustache.5.html) producing
 * Markdown-ish text (Slack mrkdwn bold: `*...*`). Rendered with {@link renderMessage}, so values
 * are not HTML-escaped. Users override them one by one with {@link loadMessageTemplates}.
 *
 * Variables they use (a template may use any field of the view it is rendered with):
 * - all: `release`, `version`, `environment`, `status`, `summary`
 * - preDeployment: `team`, `services` (text, e.g. `shop, cart`), `changes` (list of `{ id?, description }`)
 * - postDeployment: `issues` (list of sentences, `{{.}}`)
 * - rollback and escalation: `reason`, `rollbackType`, `rolledBackTo`, `actor`
 */
export const DEFAULT_MESSAGE_TEMPLATES: Readonly<MessageTemplates> = Object.freeze({
  preDeployment: [
    '*Deploying {{release}}* (version {{version}}) to *{{environment}}*',
    '{{#team}}',
    'Team: {{team}}',
    '{{/team}}',
    '{{#services}}',
    'Services: {{services}}',
    '{{/services}}',
    '{{#summary}}',
    '',
    '{{summary}}',
    '{{/summary}}',
    '{{#changes}}',
    '- {{#id}}`{{id}}` {{/id}}{{description}}',
    '{{/changes}}',
    '',
  ].join('\n'),
  postDeployment: [
    '*{{release}}* (version {{version}}) in *{{environment}}*: *{{status}}*',
    '{{#summary}}',
    '',
    '{{summary}}',
    '{{/summary}}',
    '{{#issues}}',
    '- {{.}}',
    '{{/issues}}',
    '',
  ].join('\n'),
  rollback: [
    '*Rollback of {{release}}* (version {{version}}) in *{{environment}}*: {{status}}',
    'Reason: {{reason}}',
    '{{#rollbackType}}',
    'Rollback type: {{rollbackType}}',
    '{{/rollbackType}}',
    '{{#rolledBackTo}}',
    'Rolled back to: {{rolledBackTo}}',
    '{{/rolledBackTo}}',
    '{{#actor}}',
    'Started by: {{actor}}',
    '{{/actor}}',
    '',
  ].join('\n'),
  escalation: [
    '*Escalation: {{release}}* (version {{version}}) in *{{environment}}* needs a person',
    'Status: {{status}}',
    'Reason: {{reason}}',
    '{{#summary}}',
    '',
    '{{summary}}',
    '{{/summary}}',
    '',
  ].join('\n'),
});
