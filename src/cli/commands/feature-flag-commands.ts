import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { convertSeedFlags } from '../../flags/index.js';
import type { FeatureFlags } from '../../spec/index.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { outputFormat } from '../output.js';
import { readSpecFile } from '../read-spec-file.js';

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

/** A file name as a resource name: `feature-flags.json` -> `feature-flags` (a DNS-1123 label). */
function nameFromFile(file: string): string {
  const base = (file.split(/[\\/]/).pop() ?? '').replace(/\.[^.]*$/, '');
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return name === '' ? 'imported-flags' : name;
}

/**
 * `flags import FILE`: the seed's feature-flags.json converted (see `convertSeedFlags`), checked as
 * `apply` checks it (flagd's schema), as YAML documents.
 * @throws CliError `CUTOVER_E_FLAGS_IMPORT` naming the file (and field path) when the file is not
 *   JSON or not the seed's format; `CUTOVER_E_SPEC_FILE` when it cannot be read.
 */
async function importSeedFile(
  filename: string,
  name: string | undefined,
): Promise<{ resources: FeatureFlags[]; yaml: string }> {
  // Loaded here, not at the top: they pull in zod, flagd and the calendars, which every other
  // command (and so every CLI start) would otherwise pay for.
  const { convertSeedFlags, SeedFlagsError } = await import('../../flags/index.js');
  const { parseSpec, SpecError } = await import('../../spec/index.js');
  const { text } = readSpecFile(filename, 'feature flags file');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new CliError('CUTOVER_E_FLAGS_IMPORT', `${filename}: not JSON: ${(error as Error).message}`);
  }
  let converted: ReturnType<typeof convertSeedFlags>;
  try {
    converted = convertSeedFlags(input, { name: name ?? nameFromFile(filename), file: filename });
  } catch (error) {
    if (error instanceof SeedFlagsError)
      throw new CliError(error.code, error.message, EXIT.error, { cause: error });
    throw error;
  }
  for (const warning of converted.warnings) process.stderr.write(`warning: ${warning}\n`);
  const yaml = converted.resources.map((r) => stringify(r)).join('---\n');
  try {
    parseSpec(yaml, `${filename} (converted)`);
  } catch (error) {
    if (error instanceof SpecError)
      throw new CliError(
        'CUTOVER_E_FLAGS_IMPORT',
        `${filename}: the converted flags are refused: ${error.message}`,
        EXIT.error,
        {
          cause: error,
        },
      );
    throw error;
  }
  return { resources: converted.resources, yaml };
}

/**
 * Registers `get featureflags NAME [-o json]`, `list featureflags [-o json]`, `flags kill KEY` and
 * `flags import FILE`. JSON is the
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

  const flags = verb(program, 'flags', 'feature flags: kill switch, import');
  flags
    .command('import <file>')
    .description(
      "convert the seed's feature-flags.json (enabled, rollout_percentage, target_users, environments, killswitches) into FeatureFlags resources: print them (-o yaml, the default, or json), or apply them (--apply)",
    )
    .option(
      '--name <name>',
      'name of the resource (per environment: NAME-ENVIRONMENT); default: the file name',
    )
    .option('-o, --output <format>', 'yaml or json')
    .option('--apply', 'apply the resources (as cutover apply) instead of printing them')
    .action(async (file: string, opts: { name?: string; output?: string; apply?: boolean }) => {
      const format = opts.output ?? 'yaml';
      if (format !== 'yaml' && format !== 'json')
        throw new CliError(
          'CUTOVER_E_USAGE',
          `-o: expected one of yaml, json, got ${JSON.stringify(format)}`,
          EXIT.usage,
        );
      if (opts.apply === true && opts.output !== undefined)
        throw new CliError('CUTOVER_E_USAGE', '--apply prints what it applied: leave -o out', EXIT.usage);
      const { resources, yaml } = await importSeedFile(file, opts.name);
      if (opts.apply !== true) {
        ctx.out(format === 'json' ? JSON.stringify({ items: resources }, null, 2) : yaml.trimEnd());
        return;
      }
      const { featureFlags } = await (await ctx.api()).post<{ featureFlags?: string[] }>('/api/v1/apply', {
        file: `${resolve(file)}.yaml`,
        text: yaml,
      });
      for (const f of featureFlags ?? []) ctx.out(`featureflags.cutover.dev/${f} configured`);
    });

  flags
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
