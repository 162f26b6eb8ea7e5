import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import type { ConfigService } from '../config/index.js';
import { type NotificationChannel, Notifier } from '../notify/index.js';

/** How often the server looks for Secrets due for rotation, ms (`CUTOVER_SECRET_ROTATION_CHECK_MS`). */
export const DEFAULT_ROTATION_CHECK_MS = 30_000;

/**
 * Starts the check of Secrets' `rotationSchedule`: every `intervalMs`, each Secret due and not yet
 * told gets a `SecretRotationDue` event and a `secretRotationDue` notification to its
 * `notifications` channels (webhook or Slack, with the Notifier's retries), once per due period.
 * Never throws; a failed check or delivery is logged.
 * @returns a function that stops it.
 */
export function startSecretRotationCheck(options: {
  configs: ConfigService;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
}): () => void {
  const { configs, clock, logger } = options;
  const check = async () => {
    await configs.checkRotations(clock.now(), async ({ name, version, dueAt, rotation }) => {
      const channels = rotation.notifications as NotificationChannel[];
      if (channels.length === 0) return;
      await new Notifier({ channels, logger }).send({
        kind: 'secretRotationDue',
        release: '',
        severity: 'warning',
        title: `Secret ${name} is due for rotation`,
        text: `Secret ${name} version ${version} is due for rotation since ${new Date(dueAt).toISOString()} (rotationSchedule ${rotation.schedule}); cutover secret set ${name.split('@')[0]} KEY --from-file F makes a new version.`,
        at: clock.now(),
        fields: { secret: name, version: String(version) },
      });
    });
  };
  const timer = setInterval(
    () => void check().catch((err: unknown) => logger.error({ err }, 'secret rotation check failed')),
    options.intervalMs ?? DEFAULT_ROTATION_CHECK_MS,
  );
  timer.unref();
  return () => clearInterval(timer);
}
