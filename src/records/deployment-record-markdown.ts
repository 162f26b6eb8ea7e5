import { formatDuration, isoTime, markdownTable } from './markdown-text.js';
import { timelineTable } from './timeline-table.js';
import type { DeploymentRecord } from './types.js';

/**
 * Renders a deployment record as a Markdown document for people (a release's "deployment record"
 * of the release workflow): a title, then the sections Summary, Team, Changes, Timeline (table),
 * Issues, Metrics (table), Incidents and Final status, in that order. Times are ISO 8601 UTC;
 * metrics print as recorded (`n/a` for null); table cells are escaped. Pure.
 *
 * @example
 * deploymentRecordMarkdown(record).split('\n')[0] // '# Deployment record: shop-1.4.0'
 */
export function deploymentRecordMarkdown(record: DeploymentRecord): string {
  const lines: string[] = [`# Deployment record: ${record.release}`, '', '## Summary', ''];
  if (record.summary.trim() !== '') lines.push(record.summary.trim(), '');
  lines.push(
    `- **Release:** ${record.release}`,
    `- **Version:** ${record.version}`,
    `- **Type:** ${record.type}`,
    `- **Services:** ${record.services.length === 0 ? '-' : record.services.join(', ')}`,
    `- **Environment:** ${record.environment}`,
    `- **Created:** ${isoTime(record.createdAt)}`,
    `- **Deploy started:** ${isoTime(record.deployStartedAt)}`,
    `- **Finished:** ${isoTime(record.finishedAt)}`,
    `- **Deploy duration:** ${formatDuration(record.finishedAt - record.deployStartedAt)}`,
    '',
    '## Team',
    '',
    record.team.trim() === '' ? '_Not set._' : record.team,
    '',
    '## Changes',
    '',
  );
  if (record.changes.length === 0) lines.push('_None recorded._');
  for (const change of record.changes) {
    const id = change.id === undefined ? '' : `\`${change.id}\` `;
    const at = change.committedAt === undefined ? '' : ` (committed ${isoTime(change.committedAt)})`;
    lines.push(`- ${id}${change.description}${at}`);
  }
  lines.push('', '## Timeline', '', ...timelineTable(record.timeline), '', '## Issues', '');
  if (record.issues.length === 0) lines.push('_None._');
  for (const issue of record.issues) lines.push(`- ${issue}`);
  lines.push('', '## Metrics', '');
  const metrics = Object.entries(record.metrics);
  if (metrics.length === 0) lines.push('_None recorded._');
  else
    lines.push(
      ...markdownTable(
        ['Metric', 'Value'],
        metrics.map(([k, v]) => [k, v === null ? 'n/a' : String(v)]),
      ),
    );
  lines.push('', '## Incidents', '');
  if (record.incidents.length === 0) lines.push('_None._');
  for (const name of record.incidents) lines.push(`- ${name}`);
  lines.push('', '## Final status', '', `**${record.status}**`, '');
  return lines.join('\n');
}
