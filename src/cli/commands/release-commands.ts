import type { Command } from 'commander';
import type { ReleaseView } from '../../api/views.js';
import type { DoraReport } from '../../records/index.js';
import type { StoredEvent } from '../../store/index.js';
import { RELEASE_TYPES, ROLLBACK_TYPES } from '../../workflow/release/release.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatEvents } from '../format.js';
import { formatAnalytics } from '../format-analytics.js';
import { formatRelease, formatReleaseList } from '../format-release.js';
import { outputFormat } from '../output.js';
import { readSpecFile } from '../read-spec-file.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = ['SUCCESS', 'ROLLED_BACK', 'REJECTED', 'CANCELLED', 'FAILED'];

function oneOf(option: string, value: string | undefined, allowed: readonly string[]): string | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw new CliError(
    'CUTOVER_E_USAGE',
    `${option}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`,
    2,
  );
}

function required(option: string, value: string | undefined): string {
  if (value !== undefined && value.trim() !== '') return value;
  throw new CliError('CUTOVER_E_USAGE', `${option} is required and cannot be empty; it is recorded`, 2);
}

/** Registers `cutover release ...` and `cutover environment ...` (the release workflow). */
export function registerReleaseCommands(program: Command, ctx: CliContext): void {
  const release = program
    .command('release')
    .description('releases: dev -> staging -> production with approvals, windows and the crew');
  const path = (name: string, rest = '') => `/api/v1/releases/${encodeURIComponent(name)}${rest}`;

  release
    .command('create')
    .description('create a release from a Release file (validated whole; nothing is created on error)')
    .requiredOption('-f, --filename <file>', 'Release file (YAML)')
    .option('--type <type>', `release type (${RELEASE_TYPES.join(', ')}); overrides spec.type`)
    .action(async (opts: { filename: string; type?: string }) => {
      const type = oneOf('--type', opts.type, RELEASE_TYPES);
      const { file, text } = readSpecFile(opts.filename, 'release file');
      const view = await (await ctx.api()).post<ReleaseView>('/api/v1/releases', {
        file,
        text,
        ...(type === undefined ? {} : { type }),
      });
      ctx.out(
        `release.cutover.dev/${view.name} created (${view.type} ${view.version}: ${view.environments.join(' -> ')})`,
      );
    });

  release
    .command('get <name>')
    .description('show a release: stages, checklists, reports, approvals, incidents')
    .option('-w, --watch', 'keep showing it until it ends')
    .option('-o, --output <format>', 'text or json')
    .action(async (name: string, opts: { watch?: boolean; output?: string }) => {
      const format = outputFormat(opts.output);
      const api = await ctx.api();
      for (;;) {
        const view = await api.get<ReleaseView>(path(name));
        const text = format === 'json' ? JSON.stringify(view, null, 2) : formatRelease(view);
        if (!opts.watch) return ctx.out(text);
        process.stdout.write(process.stdout.isTTY ? `\x1b[2J\x1b[H${text}\n` : `${text}\n---\n`);
        if (TERMINAL.includes(view.status)) return;
        await sleep(1000);
      }
    });

  release
    .command('list')
    .description('list releases, newest first')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: ReleaseView[] }>('/api/v1/releases');
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatReleaseList(items));
    });

  release
    .command('analytics')
    .description(
      'DORA keys and the deployment success rate per service and environment (target 99.5%) over a period',
    )
    .option('--since <days>', 'period: the last N days', '30')
    .option('--service <name>', 'only this service (Rollout)')
    .option('--environment <name>', 'only this environment')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { since: string; service?: string; environment?: string; output?: string }) => {
      const format = outputFormat(opts.output);
      const days = Number(opts.since);
      if (!Number.isFinite(days) || days <= 0 || days > 3650) {
        throw new CliError(
          'CUTOVER_E_USAGE',
          `--since: expected a number of days in (0, 3650], got ${opts.since}`,
          2,
        );
      }
      const to = Date.now() + 1;
      const params = new URLSearchParams({
        from: String(Math.floor(to - days * 86_400_000)),
        to: String(to),
      });
      if (opts.service !== undefined) params.set('service', opts.service);
      if (opts.environment !== undefined) params.set('environment', opts.environment);
      const report = await (await ctx.api()).get<DoraReport>(`/api/v1/analytics/dora?${params.toString()}`);
      ctx.out(format === 'json' ? JSON.stringify(report, null, 2) : formatAnalytics(report));
    });

  for (const verb of ['approve', 'reject'] as const) {
    release
      .command(`${verb} <name>`)
      .description(
        verb === 'approve'
          ? 'approve a release (approver role; the creator never can)'
          : 'reject a release: it ends',
      )
      .requiredOption('--comment <text>', 'why; recorded with your name, role and the time')
      .action(async (name: string, opts: { comment: string }) => {
        const view = await (await ctx.api()).post<ReleaseView>(path(name, `/${verb}`), {
          comment: required('--comment', opts.comment),
        });
        const tail =
          view.status === 'WAITING_APPROVAL'
            ? `; still needs ${view.approval.missing.join(' and ')}`
            : ` (${view.stage} ${view.status})`;
        ctx.out(`release '${name}' ${verb === 'approve' ? 'approved' : 'rejected'}${tail}`);
      });
  }

  release
    .command('cancel <name>')
    .description('cancel a release that has not reached DEPLOY')
    .option('--reason <text>', 'why')
    .action(async (name: string, opts: { reason?: string }) => {
      await (await ctx.api()).post(
        path(name, '/cancel'),
        opts.reason === undefined ? {} : { reason: opts.reason },
      );
      ctx.out(`release '${name}' cancelled`);
    });

  release
    .command('rollback <name>')
    .description(
      'roll back a release in DEPLOY or MONITOR, or one that ended SUCCESS: traffic, database (restore the verified backup) or full; --to-release: to the version an earlier release deployed, at once',
    )
    .option('--type <type>', `${ROLLBACK_TYPES.join(', ')} (default traffic)`, 'traffic')
    .requiredOption('--reason <text>', 'why; recorded on the incident')
    .option('--to-release <name>', 'an earlier release whose version to restore (traffic only)')
    .action(async (name: string, opts: { type: string; reason: string; toRelease?: string }) => {
      const type = oneOf('--type', opts.type, ROLLBACK_TYPES);
      await (await ctx.api()).post(path(name, '/rollback'), {
        type,
        reason: required('--reason', opts.reason),
        ...(opts.toRelease === undefined ? {} : { toRelease: opts.toRelease }),
      });
      ctx.out(
        `release '${name}' rollback (${type}${opts.toRelease === undefined ? '' : ` to release '${opts.toRelease}'`}) started`,
      );
    });

  release
    .command('history <name>')
    .description('every decision of the release with its actor (people and crew agents) and reason')
    .option('-o, --output <format>', 'text or json')
    .action(async (name: string, opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: StoredEvent[] }>(path(name, '/events'));
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatEvents(items));
    });

  release
    .command('record <name>')
    .description('the deployment record (JSON, or Markdown with --markdown) and its incident records')
    .option('--markdown', 'Markdown instead of JSON')
    .action(async (name: string, opts: { markdown?: boolean }) => {
      const body = await (await ctx.api()).get<unknown>(
        path(name, `/record${opts.markdown ? '?format=markdown' : ''}`),
      );
      ctx.out(typeof body === 'string' ? body : JSON.stringify(body, null, 2));
    });

  const environment = program.command('environment').description('environments of the release workflow');
  environment
    .command('override-freeze <name>')
    .description('lift a freeze of the environment (admin only; the reason is recorded)')
    .requiredOption('--freeze <freeze>', 'name of the freeze')
    .requiredOption('--reason <text>', 'why; recorded')
    .action(async (name: string, opts: { freeze: string; reason: string }) => {
      await (await ctx.api()).post(`/api/v1/environments/${encodeURIComponent(name)}/freeze-overrides`, {
        freeze: opts.freeze,
        reason: required('--reason', opts.reason),
      });
      ctx.out(`freeze '${opts.freeze}' of environment '${name}' overridden`);
    });
  environment
    .command('list')
    .description('environments in promotion order')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{
        items: { metadata: { name: string }; spec: { order: number; windows?: { timeZone?: string } } }[];
      }>('/api/v1/environments');
      if (format === 'json') return ctx.out(JSON.stringify({ items }, null, 2));
      ctx.out(
        [
          'NAME  ORDER  TIME ZONE',
          ...items.map((e) => `${e.metadata.name}  ${e.spec.order}  ${e.spec.windows?.timeZone ?? 'UTC'}`),
        ].join('\n'),
      );
    });
}
