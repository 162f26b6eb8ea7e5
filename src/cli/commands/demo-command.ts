import type { Command } from 'commander';
import { runDemo } from '../../demo/index.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';

/** Registers `cutover demo`. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'v1 → canary v2 (promoted) → faulty canary v3 (rolled back by analysis) → blue-green v4, under load',
    )
    .option('--rate <n>', 'load on the service, req/s', '200')
    .option('--keep', 'keep the demo data directory')
    .action(async (opts: { rate: string; keep?: boolean }) => {
      const summary = await runDemo({ rate: Number(opts.rate), keep: opts.keep === true, out: ctx.out });
      if (summary.unexpectedFailures > 0) {
        throw new CliError(
          'CUTOVER_E_DEMO_FAILED_REQUESTS',
          `${summary.unexpectedFailures} requests failed for reasons other than v3's injected faults`,
        );
      }
    });
}
