import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadMessageTemplates, type MessageTemplateName, Notifier, renderMessage } from '../notify/index.js';
import type { NotifyFn, ReleaseNotification } from '../release/index.js';
import type { StoredRelease } from '../store/index.js';

/** Which editable message template renders a workflow notification; others are sent as the workflow wrote them. */
const TEMPLATE_OF: Record<string, MessageTemplateName> = {
  preDeployment: 'preDeployment',
  releaseSucceeded: 'postDeployment',
  releaseFailed: 'postDeployment',
  releaseRolledBack: 'postDeployment',
  rollbackStarted: 'rollback',
  escalation: 'escalation',
};

/**
 * Sends the workflow's notifications to the release's channels (`spec.notifications`: JSON
 * webhooks and Slack incoming webhooks, with retries and backoff), rendering pre-/post-deployment,
 * rollback and escalation messages from the release's editable templates
 * (`spec.messageTemplates`, Mustache files) or the defaults. Never throws; failed deliveries are
 * logged.
 */
export function releaseNotifier(logger: Logger): NotifyFn {
  return async (n: ReleaseNotification, stored: StoredRelease) => {
    const channels = stored.spec.notifications ?? [];
    if (channels.length === 0) return;
    const name = TEMPLATE_OF[n.kind];
    let text = n.text;
    if (name !== undefined) {
      const dir = stored.spec.messageTemplates;
      const templates = await loadMessageTemplates(
        dir === undefined ? undefined : resolve(stored.baseDir, dir),
      );
      const r = stored.state;
      text = renderMessage(templates[name], {
        release: r.name,
        version: r.version,
        environment: n.environment,
        team: stored.spec.team ?? '',
        services: r.rollouts.join(', '),
        status: r.status,
        summary: n.text,
        reason: r.rollback?.reason ?? n.text,
        rollbackType: r.rollback?.type ?? '',
        actor: r.rollback?.actor ?? '',
        changes: stored.spec.changes ?? [],
        issues: r.stageResults
          .filter((s) => s.result === 'Error')
          .map((s) => `${s.stage}: ${s.reason ?? ''}`),
      });
    }
    const results = await new Notifier({ channels, logger }).send({
      kind: n.kind,
      release: n.release,
      environment: n.environment,
      severity: n.severity,
      title: n.title,
      text,
      at: n.at,
      fields: { version: stored.state.version, status: stored.state.status },
    });
    for (const r of results) {
      if (!r.delivered) logger.warn({ channel: r.channel, error: r.error }, 'notification not delivered');
    }
  };
}
