import type { Command } from 'commander';
import type { FeatureFlags } from '../../spec/index.js';
import type { CliContext } from '../context.js';
import { outputFormat } from '../output.js';

/** The subcommand `name` of `program` (`get`, `list`), created when no other module made it yet. */
function verb(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** `list featureflags`: one line per FeatureFlags resource. */
function formatFeatureFlagsList(items: readonly FeatureFlags[]): string {
  const header = `${'NAME'.padEnd(24)}${'ENVIRONMENT'.padEnd(16)}${'FLAGS'.padEnd(7)}KEYS`;
  const rows = items.map((f) => {
    const keys = Object.keys(f.spec.flags);
    const shown = keys.slice(0, 5).join(', ') + (keys.length > 5 ? ', ...' : '');
    return `${f.metadata.name.padEnd(24)}${(f.metadata.environment ?? '(all)').padEnd(16)}${String(keys.length).padEnd(7)}${shown}`;
  });
  return [header, ...rows].join('\n');
}

/** `get featureflags NAME`: each flag with its state, default variant, variants and whether it targets. */
function formatFeatureFlags(f: FeatureFlags): string {
  const lines = [
    `Name:         ${f.metadata.name}`,
    `Environment:  ${f.metadata.environment ?? '(every environment)'}`,
    'Flags:',
    `  ${'KEY'.padEnd(28)}${'STATE'.padEnd(10)}${'DEFAULT'.padEnd(12)}${'TARGETING'.padEnd(11)}VARIANTS`,
  ];
  for (const [key, flag] of Object.entries(f.spec.flags)) {
    const variants = Object.entries((flag['variants'] as Record<string, unknown> | undefined) ?? {})
      .map(([name, value]) => `${name}=${text(value)}`)
      .join(' ');
    const targeting = flag['targeting'] !== undefined && Object.keys(flag['targeting'] as object).length > 0;
    lines.push(
      `  ${key.padEnd(28)}${text(flag['state']).padEnd(10)}${text(flag['defaultVariant'] ?? '-').padEnd(12)}${(targeting ? 'yes' : 'no').padEnd(11)}${variants}`,
    );
  }
  return lines.join('\n');
}

/**
 * Registers `get featureflags NAME [-o json]`, `list featureflags [-o json]` and `flags kill KEY`. JSON is the
 * resource as applied (`{apiVersion, kind: FeatureFlags, metadata, spec}`), as the API answers it.
 */
export function registerFeatureFlagCommands(program: Command, ctx: CliContext): void {
  verb(program, 'get', 'show a resource')
    .command('featureflags <name>')
    .alias('featureflag')
    .description('show a FeatureFlags resource: each flag with its state, default variant and variants')
    .option('-o, --output <format>', 'text or json')
    .action(async (name: string, opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const flags = await (await ctx.api()).get<FeatureFlags>(
        `/api/v1/featureflags/${encodeURIComponent(name)}`,
      );
      ctx.out(format === 'json' ? JSON.stringify(flags, null, 2) : formatFeatureFlags(flags));
    });

  verb(program, 'list', 'list resources')
    .command('featureflags')
    .description('list FeatureFlags resources with their environment and flag keys')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: FeatureFlags[] }>('/api/v1/featureflags');
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatFeatureFlagsList(items));
    });

  verb(program, 'flags', 'feature flags (issue 14)')
    .command('kill <key>')
    .description(
      'kill switch: turn flag KEY off (DISABLED) in every FeatureFlags resource that defines it; served by the data plane before this returns; audited',
    )
    .action(async (key: string) => {
      const answer = await (await ctx.api()).post<{ flag: string; resources: string[]; served: boolean }>(
        `/api/v1/featureflags/kill/${encodeURIComponent(key)}`,
      );
      ctx.out(
        `flag ${answer.flag} killed in ${answer.resources.map((r) => `featureflags.cutover.dev/${r}`).join(', ')}${
          answer.served
            ? ''
            : ' (the data plane did not answer: it gets the change at its next check, within 5 s)'
        }`,
      );
    });
}
