import { Cron } from 'croner';

/**
 * When a Secret whose latest version was made at `lastVersionAt` is due for rotation: the first time
 * of `schedule` (5-part cron, UTC) after it, as Vault's rotation period counts from the last
 * rotation. The Secret is due from then until a new version is made.
 * @param lastVersionAt - ms since the epoch
 * @returns ms since the epoch, or undefined when the schedule has no later time.
 * @throws Error when `schedule` is not a cron expression (see {@link rotationScheduleProblem}).
 */
export function rotationDueAt(schedule: string, lastVersionAt: number): number | undefined {
  // No callback: croner computes run times only, it starts no timer.
  return new Cron(schedule, { mode: '5-part', timezone: 'UTC' }).nextRun(new Date(lastVersionAt))?.getTime();
}
