import type { Command } from 'commander';
import { isCompletedPhase } from '../../analysis/metric-assessment.js';
import type { AnalysisRun } from '../../analysis/types.js';
import { analysisRunResource } from '../../server/analysis-run-resource.js';
import type { AnalysisTemplate } from '../../spec/index.js';
import { formatAnalysisRun, formatAnalysisRunList, formatAnalysisTemplateList } from '../analysis-format.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { outputFormat } from '../output.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The subcommand `name` of `program` (`get`, `list`), created when no other module made it yet. */
function verb(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError('CUTOVER_E_USAGE', `--measurements: expected an integer ≥ 1, got ${value}`, 2);
  return n;
}

/**
 * Registers `get analysisrun NAME [-o json] [--watch]`, `list analysisruns [--rollout R]` and
 * `list analysistemplates`.
 * JSON is the run as `{apiVersion, kind: AnalysisRun, metadata, spec, status}`.
 */
export function registerAnalysisCommands(program: Command, ctx: CliContext): void {
  verb(program, 'get', 'show a resource')
    .command('analysisrun <name>')
    .description(
      'show an AnalysisRun: phase, message, and per metric its counters, conditions and measurements',
    )
    .option('-o, --output <format>', 'text or json')
    .option('-w, --watch', 'keep showing it until the run completes')
    .option('--measurements <n>', 'latest measurements shown per metric (text)', '5')
    .action(async (name: string, opts: { output?: string; watch?: boolean; measurements: string }) => {
      const format = outputFormat(opts.output);
      const measurements = parseCount(opts.measurements);
      const api = await ctx.api();
      const path = `/api/v1/analysisruns/${encodeURIComponent(name)}`;
      const render = (run: AnalysisRun) =>
        format === 'json'
          ? JSON.stringify(analysisRunResource(run), null, 2)
          : formatAnalysisRun(run, { measurements });
      let shown = '';
      for (;;) {
        const run = await api.get<AnalysisRun>(path);
        const text = render(run);
        const done = !opts.watch || isCompletedPhase(run.status.phase);
        if (text !== shown) {
          // A terminal redraws in place; a pipe gets each new version, text ones separated by ---.
          if (opts.watch && format === 'text' && process.stdout.isTTY)
            process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
          else ctx.out(opts.watch && format === 'text' && shown !== '' ? `---\n${text}` : text);
          shown = text;
        }
        if (done) return;
        await sleep(1000);
      }
    });

  verb(program, 'list', 'list resources')
    .command('analysisruns')
    .description('list AnalysisRuns, newest first')
    .option('--rollout <name>', 'only the runs of this Rollout')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { rollout?: string; output?: string }) => {
      const format = outputFormat(opts.output);
      const query = opts.rollout !== undefined ? `?rollout=${encodeURIComponent(opts.rollout)}` : '';
      const { items } = await (await ctx.api()).get<{ items: AnalysisRun[] }>(`/api/v1/analysisruns${query}`);
      ctx.out(
        format === 'json'
          ? JSON.stringify({ items: items.map(analysisRunResource) }, null, 2)
          : formatAnalysisRunList(items),
      );
    });

  verb(program, 'list', 'list resources')
    .command('analysistemplates')
    .description('list AnalysisTemplates and ClusterAnalysisTemplates with their namespace and metrics')
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const { items } = await (await ctx.api()).get<{ items: AnalysisTemplate[] }>(
        '/api/v1/analysistemplates',
      );
      ctx.out(format === 'json' ? JSON.stringify({ items }, null, 2) : formatAnalysisTemplateList(items));
    });
}
