import { ServerConfigError } from './errors.js';
import { DEFAULT_LEASE_DURATION_MS } from './leader-election.js';

/**
 * The controller lease's duration from `$CUTOVER_LEASE_DURATION_SECONDS` (default 8): how long a
 * dead leader keeps the lease; a follower leads within it plus a quarter of it.
 * @returns ms.
 * @throws ServerConfigError `CUTOVER_E_SERVER_CONFIG` when the value is not a number of seconds in [1, 300].
 */
export function leaseDurationMs(env: Record<string, string | undefined>): number {
  const raw = env['CUTOVER_LEASE_DURATION_SECONDS'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_LEASE_DURATION_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 300)
    throw new ServerConfigError(
      'CUTOVER_LEASE_DURATION_SECONDS',
      `expected a number of seconds from 1 to 300, got ${JSON.stringify(raw)}`,
    );
  return Math.round(seconds * 1000);
}
