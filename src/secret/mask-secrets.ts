import { SECRET_MASK, type SecretValue } from './secret-value.js';

/**
 * The forms in which a value may appear in text that leaves the process: as is, percent-encoded (a
 * URL in an error message) and JSON-escaped (a JSON body echoed back). Longest first, so a longer
 * form is replaced before a shorter one it contains.
 */
function formsOf(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  return [...forms].filter((form) => form !== '').sort((a, b) => b.length - a.length);
}

/**
 * Replaces every occurrence of every secret's value in `text` with {@link SECRET_MASK}: the last
 * step before a measurement's message or value, a job's output, an error or an event reason is
 * stored or shown. Empty values are skipped (nothing to hide). Pure.
 *
 * @example maskSecrets('401 for token s3cret', [new SecretValue('s3cret')]) // '401 for token *****'
 */
export function maskSecrets(text: string, secrets: Iterable<SecretValue>): string {
  let masked = text;
  const forms = [...secrets].flatMap((secret) => formsOf(secret.reveal()));
  forms.sort((a, b) => b.length - a.length);
  for (const form of forms) masked = masked.replaceAll(form, SECRET_MASK);
  return masked;
}
