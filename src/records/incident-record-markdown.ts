import { formatDuration, isoTime, markdownTable } from './markdown-text.js';
import { timelineTable } from './timeline-table.js';
import type { IncidentRecord } from './types.js';

/**
 * Renders an incident record (one rollback) as a Markdown document for people: a title, then the
 * sections Summary (release, environment, services, rollback type, trigger, reason, actor, rolled
 * back to, detected, resolved, time to restore, escalated), Trigger values (table), Timeline
 * (table) and Status. Times are ISO 8601 UTC; time to restore is `resolvedAt - detectedAt`, or
 * `_not restored_` while `resolvedAt` is null. Pure.
 *
 * @example
 * incidentRecordMarkdown(incident).split('\n')[0] // '# Incident record: shop-1.4.0-incident-1'
 */
export function incidentRecordMarkdown(incident: IncidentRecord): string {
  const lines: string[] = [
    `# Incident record: ${incident.name}`,
    '',
    '## Summary',
    '',
    `- **Release:** ${incident.release}`,
    `- **Environment:** ${incident.environment}`,
    `- **Services:** ${incident.services.length === 0 ? '-' : incident.services.join(', ')}`,
    `- **Rollback type:** ${incident.rollbackType}`,
    `- **Trigger:** ${incident.trigger}`,
    `- **Reason:** ${incident.reason}`,
    `- **Actor:** ${incident.actor}`,
    `- **Rolled back to:** ${incident.rolledBackTo}`,
    `- **Detected:** ${isoTime(incident.detectedAt)}`,
    `- **Resolved:** ${incident.resolvedAt === null ? '_not resolved_' : isoTime(incident.resolvedAt)}`,
    `- **Time to restore:** ${
      incident.resolvedAt === null
        ? '_not restored_'
        : formatDuration(incident.resolvedAt - incident.detectedAt)
    }`,
    `- **Escalated:** ${incident.escalated ? 'yes' : 'no'}`,
    '',
    '## Trigger values',
    '',
  ];
  const values = Object.entries(incident.triggerValues);
  if (values.length === 0) lines.push('_None recorded._');
  else
    lines.push(
      ...markdownTable(
        ['Value', 'Measured'],
        values.map(([k, v]) => [k, v === null ? 'n/a' : String(v)]),
      ),
    );
  lines.push('', '## Timeline', '', ...timelineTable(incident.timeline), '', '## Status', '');
  lines.push(`**${incident.status}**${incident.status === 'FAILED' ? ' (the rollback failed)' : ''}`, '');
  return lines.join('\n');
}
