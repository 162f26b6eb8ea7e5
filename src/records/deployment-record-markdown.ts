import { formatDuration, isoTime, markdownTable } from './markdown-text.js';
import { timelineTable } from './timeline-table.js';
import type { DeploymentRecord } from './types.js';

/**
 * Renders a deployment record as a Markdown document for people (a release's "deployment record"
 * of the release workflow): a title, then the sections Summary, Team, Changes, Timeline (table),
 * Issues, Metrics (table), Incidents and Final status, in that order, as seed 004's Deployment Log
 * Template (Team: deployer, approver, QA; Metrics: latency change in % against the pre-deploy
 * baseline). Times are ISO 8601 UTC; figures are rounded: ratios as percentages to 0.01, ms to whole
 * ms, ratios of CPU and memory to 0.1 %, counts as integers (`n/a` for null); table cells are
 * escaped. Pure.
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
  );
  if (record.versions !== undefined && record.versions.length > 0) {
    const rev = (n: number | null) => (n === null ? '-' : String(n));
    lines.push(
      '## Versions',
      '',
      ...markdownTable(
        ['Service', 'Rollout', 'State', 'Before', 'Release', 'Running'],
        record.versions.map((v) => [
          v.service,
          v.rollout,
          v.state,
          rev(v.fromRevision),
          rev(v.revision),
          rev(v.runningRevision),
        ]),
      ),
    );
    lines.push('');
  }
  if (record.people !== undefined) {
    const none = (list: string[]) => (list.length === 0 ? '-' : list.join(', '));
    lines.push(
      `- **Deployer:** ${record.people.deployer}`,
      `- **Approver:** ${none(record.people.approvers)}`,
      `- **QA:** ${none(record.people.qa)}`,
      '',
    );
  }
  lines.push('## Changes', '');
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
  else {
    const rows = metrics.map(([k, v]) => [k, formatMetric(k, v)]);
    const p99 = record.metrics['p99Ms'];
    const baseline = record.metrics['baselineP99Ms'];
    if (typeof p99 === 'number' && typeof baseline === 'number' && baseline > 0) {
      const change = ((p99 - baseline) / baseline) * 100;
      rows.push(['latency change (p99 vs baseline)', `${change >= 0 ? '+' : ''}${change.toFixed(1)} %`]);
    }
    lines.push(...markdownTable(['Metric', 'Value'], rows));
  }
  lines.push('', '## Incidents', '');
  if (record.incidents.length === 0) lines.push('_None._');
  for (const name of record.incidents) lines.push(`- ${name}`);
  lines.push('', '## Final status', '', `**${record.status}**`, '');
  return lines.join('\n');
}

/** A metric for people, rounded by its unit (its key's suffix or name). */
function formatMetric(key: string, value: number | null): string {
  if (value === null) return 'n/a';
  if (key === 'errorRate') return `${(value * 100).toFixed(2)} %`;
  if (key.endsWith('Ratio')) return `${(value * 100).toFixed(1)} %`;
  if (key.endsWith('Ms')) return `${Math.round(value)} ms`;
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}
