import type { DoraReport } from '../records/index.js';
import { formatTable } from './table.js';

const seconds = (s: number | null) =>
  s === null
    ? '-'
    : s < 120
      ? `${Math.round(s)} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : `${(s / 3600).toFixed(1)} h`;
const percent = (ratio: number | null) => (ratio === null ? '-' : `${(ratio * 100).toFixed(1)}%`);

/**
 * `cutover release analytics`: the four DORA keys of the period and the deployment success rate
 * per service and environment against its target, figures rounded (percentages to 0.1, times to
 * whole seconds or minutes).
 */
export function formatAnalytics(r: DoraReport): string {
  const lines = [
    `Period:                 ${new Date(r.from).toISOString()} -> ${new Date(r.to).toISOString()}`,
    `Deployment frequency:   ${r.deploymentFrequency.perDay.toFixed(2)} / day (${r.deploymentFrequency.deployments} deployments)`,
    `Lead time for changes:  ${seconds(r.leadTimeForChanges.medianSeconds)} (median of ${r.leadTimeForChanges.samples})`,
    `Change failure rate:    ${percent(r.changeFailureRate.ratio)} (${r.changeFailureRate.failed} of ${r.changeFailureRate.total})`,
    `Time to restore:        ${seconds(r.timeToRestore.medianSeconds)} (median of ${r.timeToRestore.samples}, from the fault's onset)`,
    '',
    `SUCCESS RATE (target ${percent(r.successRate.target)})`,
  ];
  const rows = [['SERVICE', 'ENVIRONMENT', 'DEPLOYMENTS', 'SUCCEEDED', 'RATE', 'TARGET']];
  for (const i of r.successRate.items) {
    rows.push([
      i.service,
      i.environment,
      String(i.total),
      String(i.succeeded),
      percent(i.ratio),
      i.meetsTarget ? 'met' : 'MISSED',
    ]);
  }
  lines.push(formatTable(rows));
  if (r.successRate.items.length === 0) lines.push('(no deployments in the period)');
  return lines.join('\n');
}
