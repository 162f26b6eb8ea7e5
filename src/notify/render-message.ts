import Mustache from 'mustache';
import { NotifyTemplateError } from './errors.js';

/** No escaping: messages are chat and JSON text, not HTML (Mustache escapes for HTML by default). */
const noEscape = (value: unknown): string => String(value);

/**
 * Renders a Mustache template (https://mustache.github.io/mustache.5.html) with `view`, without
 * HTML escaping, so `{{reason}}` with `error rate > 0.05` stays as is. Missing variables render
 * as empty text; partials are not supported (`{{> name}}` renders empty). Pure.
 *
 * @throws {NotifyTemplateError} `CUTOVER_E_NOTIFY_TEMPLATE` when the template does not parse
 * (e.g. an unclosed section); the Mustache error is the `cause`.
 * @example renderMessage('*{{release}}* is {{status}}', { release: 'shop-1.4.0', status: 'SUCCESS' }) // '*shop-1.4.0* is SUCCESS'
 */
export function renderMessage(template: string, view: object): string {
  try {
    return Mustache.render(template, view, {}, { escape: noEscape });
  } catch (error) {
    throw new NotifyTemplateError(`template does not render: ${(error as Error).message}`, { cause: error });
  }
}
