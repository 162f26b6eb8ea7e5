import { z } from 'zod';

const channel = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['webhook', 'slack']),
  // Not z.httpUrl(): it requires a domain name, and local receivers (127.0.0.1, localhost) are valid.
  url: z.url({ protocol: /^https?$/ }),
  kinds: z.array(z.string().min(1)).min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

/**
 * Zod schema of the notification channel list, as it appears under `notifications:` in a spec.
 * Each channel: `name` (unique in the list), `type` (`webhook`: the notification as JSON; `slack`:
 * a Slack incoming-webhook message), `url` (http or https), `kinds` (notification kinds sent to it;
 * absent = all; when present, at least one) and `headers` (added to each request, e.g.
 * `Authorization`). Unknown keys are rejected.
 *
 * @example
 * notificationChannelSchema.parse([
 *   { name: 'ops', type: 'slack', url: 'https://hooks.slack.com/services/T/B/X', kinds: ['rollbackStarted', 'escalation'] },
 *   { name: 'audit', type: 'webhook', url: 'https://audit.example.com/cutover', headers: { Authorization: 'Bearer t' } },
 * ])
 */
export const notificationChannelSchema = z.array(channel).superRefine((channels, ctx) => {
  const seen = new Set<string>();
  channels.forEach((c, i) => {
    if (seen.has(c.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate channel name "${c.name}"` });
    }
    seen.add(c.name);
  });
});

/** One notification channel (an entry of {@link notificationChannelSchema}). */
export type NotificationChannel = z.output<typeof channel>;

/** Channel types: where and in which shape a notification is POSTed. */
export type NotificationChannelType = NotificationChannel['type'];
