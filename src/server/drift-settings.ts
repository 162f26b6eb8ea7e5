import type { NotificationChannel } from '../notify/index.js';
import { ServerConfigError } from './errors.js';

/** Period of the drift passes without `CUTOVER_DRIFT_INTERVAL_SECONDS`, s (issue 14: within one minute). */
const DEFAULT_DRIFT_INTERVAL_SECONDS = 30;
/** Shortest and longest periods accepted, s. */
const MIN_INTERVAL_SECONDS = 0.1;
const MAX_INTERVAL_SECONDS = 86_400;

/** The server's drift settings, from its environment. */
export interface DriftSettings {
  intervalMs: number;
  /** Where `driftDetected` and `driftRemediated` notifications go; empty: none. */
  channels: NotificationChannel[];
}

function url(variable: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ServerConfigError(variable, 'expected an http:// or https:// URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ServerConfigError(variable, `expected an http:// or https:// URL, got ${parsed.protocol}`);
  return value;
}

/**
 * Reads `CUTOVER_DRIFT_INTERVAL_SECONDS` (a number of seconds, 0.1..86400, default 30),
 * `CUTOVER_DRIFT_WEBHOOK_URL` (a JSON webhook) and `CUTOVER_DRIFT_SLACK_WEBHOOK_URL` (a Slack
 * incoming webhook). Pure. @throws ServerConfigError naming the variable.
 */
export function driftSettings(env: Readonly<Record<string, string | undefined>>): DriftSettings {
  const text = env.CUTOVER_DRIFT_INTERVAL_SECONDS;
  let seconds = DEFAULT_DRIFT_INTERVAL_SECONDS;
  if (text !== undefined && text.trim() !== '') {
    seconds = Number(text);
    if (!(Number.isFinite(seconds) && seconds >= MIN_INTERVAL_SECONDS && seconds <= MAX_INTERVAL_SECONDS))
      throw new ServerConfigError(
        'CUTOVER_DRIFT_INTERVAL_SECONDS',
        `expected a number of seconds ${MIN_INTERVAL_SECONDS}..${MAX_INTERVAL_SECONDS}, got ${JSON.stringify(text)}`,
      );
  }
  const channels: NotificationChannel[] = [];
  const webhook = env.CUTOVER_DRIFT_WEBHOOK_URL;
  if (webhook !== undefined && webhook !== '')
    channels.push({ name: 'drift-webhook', type: 'webhook', url: url('CUTOVER_DRIFT_WEBHOOK_URL', webhook) });
  const slack = env.CUTOVER_DRIFT_SLACK_WEBHOOK_URL;
  if (slack !== undefined && slack !== '')
    channels.push({ name: 'drift-slack', type: 'slack', url: url('CUTOVER_DRIFT_SLACK_WEBHOOK_URL', slack) });
  return { intervalMs: Math.round(seconds * 1000), channels };
}
