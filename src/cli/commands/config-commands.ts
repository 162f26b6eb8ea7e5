import type { Command } from 'commander';
import type { ConfigReader, ConfigVersionView, ConfigView } from '../../api/views.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../output.js';
import { readSpecFile } from '../read-spec-file.js';
import { formatTable } from '../table.js';

/** `web r2, web r3`: the revisions that take a version. */
function readersText(readers: readonly ConfigReader[]): string {
  return readers.map((r) => `${r.rollout} r${r.revision}`).join(', ') || '-';
}

function table(items: ConfigView[]): string {
  const rows = [['NAME', 'ENVIRONMENT', 'VERSION', 'KEYS', 'SHA256', 'UPDATED', 'BY', 'DUE', 'READERS']];
  for (const c of items) {
    rows.push([
      c.name,
      c.environment ?? '*',
      String(c.version),
      c.keys.join(',') || '-',
      c.sha256.slice(0, 12),
      new Date(c.updatedAt).toISOString(),
      c.updatedBy,
      c.due === undefined
        ? '-'
        : c.due
          ? `yes (since ${new Date(c.rotationDueAt ?? 0).toISOString()})`
          : `no (${c.rotationSchedule})`,
      readersText(c.readers),
    ]);
  }
  return formatTable(rows);
}

function versionsTable(versions: readonly ConfigVersionView[]): string {
  const rows = [['VERSION', 'KEYS', 'SHA256', 'CREATED', 'BY', 'READERS']];
  for (const v of versions)
    rows.push([
      String(v.version),
      v.keys.join(',') || '-',
      v.sha256.slice(0, 12),
      new Date(v.createdAt).toISOString(),
      v.createdBy,
      readersText(v.readers),
    ]);
  return formatTable(rows);
}

/** `cutover configmap list`, `cutover secret list`, `cutover secret set NAME KEY --from-file F`. */
export function registerConfigCommands(program: Command, ctx: CliContext): void {
  for (const [noun, path] of [
    ['configmap', 'configmaps'],
    ['secret', 'secrets'],
  ] as const) {
    const group =
      program.commands.find((c) => c.name() === noun) ??
      program.command(noun).description(`${noun === 'secret' ? 'Secrets' : 'ConfigMaps'} (issue 14)`);
    group
      .command('list')
      .description(
        noun === 'secret'
          ? 'every Secret: name, version, keys, sha256 fingerprint, who changed it (never a value)'
          : 'every ConfigMap: name, version, keys, sha256, who changed it',
      )
      .option('-o, --output <format>', 'text or json')
      .action(async (opts: { output?: string }) => {
        const format = outputFormat(opts.output);
        const { items } = await (await ctx.api()).get<{ items: ConfigView[] }>(`/api/v1/${path}`);
        ctx.out(format === 'json' ? JSON.stringify(items, null, 2) : table(items));
      });
    group
      .command('get <name>')
      .description(
        `one ${noun === 'secret' ? 'Secret' : 'ConfigMap'}: every version with its keys, sha256, who made it and the revisions that take it (its readers)${noun === 'secret' ? '; never a value' : ''}`,
      )
      .option('--environment <name>', 'the one of this environment (metadata.environment)')
      .option('-o, --output <format>', 'text or json')
      .action(async (name: string, opts: { output?: string; environment?: string }) => {
        const format = outputFormat(opts.output);
        const query =
          opts.environment === undefined ? '' : `?environment=${encodeURIComponent(opts.environment)}`;
        const found = await (await ctx.api()).get<ConfigView>(
          `/api/v1/${path}/${encodeURIComponent(name)}${query}`,
        );
        if (format === 'json') {
          ctx.out(JSON.stringify(found, null, 2));
          return;
        }
        ctx.out(
          `${noun}.cutover.dev/${found.name}${found.environment === undefined ? '' : ` (environment ${found.environment})`}`,
        );
        ctx.out(versionsTable(found.versions ?? []));
      });
  }
  const secret = program.commands.find((c) => c.name() === 'secret')!;
  secret
    .command('reveal <name> <key>')
    .description(
      "print one key's value of a Secret version, as is (admin only; audited as name, key, version and fingerprint)",
    )
    .option('--environment <name>', 'the Secret of this environment (metadata.environment)')
    .option('--version <n>', 'the version (default: the latest)')
    .action(async (name: string, key: string, opts: { environment?: string; version?: string }) => {
      const answer = await (await ctx.api()).post<{ value: string }>(
        `/api/v1/secrets/${encodeURIComponent(name)}/keys/${encodeURIComponent(key)}/reveal`,
        {
          ...(opts.environment === undefined ? {} : { environment: opts.environment }),
          ...(opts.version === undefined ? {} : { version: Number(opts.version) }),
        },
      );
      process.stdout.write(answer.value);
    });
  secret
    .command('set <name> <key>')
    .description(
      'set one key of a Secret from a file (a new version; every Rollout that takes the Secret gets a new revision)',
    )
    .requiredOption('--from-file <file>', 'the value: the whole file, as is')
    .option(
      '--environment <name>',
      "the Secret of this environment (metadata.environment); default: every environment's",
    )
    .action(async (name: string, key: string, opts: { fromFile: string; environment?: string }) => {
      const { text: value } = readSpecFile(opts.fromFile, '--from-file');
      const answer = await (await ctx.api()).post<{
        config: { version: number; created: boolean };
        results: { name: string; change: string; revision: number }[];
      }>(`/api/v1/secrets/${encodeURIComponent(name)}/keys/${encodeURIComponent(key)}`, {
        value,
        ...(opts.environment === undefined ? {} : { environment: opts.environment }),
      });
      ctx.out(
        `secret.cutover.dev/${name} ${answer.config.created ? 'configured' : 'unchanged'} (version ${answer.config.version})`,
      );
      for (const r of answer.results)
        ctx.out(`rollout.cutover.dev/${r.name} ${r.change} (revision ${r.revision})`);
    });
  secret
    .command('rotate-key')
    .description(
      "re-wrap every Secret version's data key under a new key-encryption key, which replaces the old one (admin)",
    )
    .action(async () => {
      const answer = await (await ctx.api()).post<{ rewrapped: number; kek: string }>(
        '/api/v1/secrets/rotate-key',
      );
      ctx.out(`key-encryption key ${answer.kek}: ${answer.rewrapped} secret version(s) re-wrapped`);
    });
}
