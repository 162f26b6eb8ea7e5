import type { Command } from 'commander';
import type { DriftReport } from '../../api/views.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../output.js';
import { formatTable } from '../table.js';

/** `cutover drift` as text: one line per finding, or why there is none. */
export function formatDrift(report: DriftReport): string {
  const every = `every ${report.intervalSeconds} s`;
  if (report.checkedAt === null) return `no drift pass yet (${every})`;
  const checked = `last checked ${new Date(report.checkedAt).toISOString()}, ${every}`;
  if (report.items.length === 0) return `no drift (${checked})`;
  const rows = [['OBJECT', 'FIELD', 'DESIRED', 'OBSERVED', 'POLICY', 'SINCE']];
  for (const d of report.items) {
    rows.push([
      `${d.kind}/${d.name}`,
      d.field,
      d.desired,
      d.observed,
      d.policy === 'remediate' && !d.remediable ? 'remediate (not restorable)' : d.policy,
      new Date(d.since).toISOString(),
    ]);
  }
  return [formatTable(rows), '', `${report.items.length} finding(s), ${checked}`].join('\n');
}

/** Registers `cutover drift [-o json]`: the current drift, as the last drift pass found it. */
export function registerDriftCommands(program: Command, ctx: CliContext): void {
  program
    .command('drift')
    .description(
      'current drift: where what runs differs from what is desired (data plane weights and replicas, replica environments, working directories, flags served), as the last drift pass found it',
    )
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const report = await (await ctx.api()).get<DriftReport>('/api/v1/drift');
      ctx.out(format === 'json' ? JSON.stringify(report, null, 2) : formatDrift(report));
    });
}
