import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

/** Highest `--rate` of the demo's load, req/s: more only measures the load generator on 2 cores. */
const MAX_DEMO_RATE = 10_000;

/** `--rate`: an integer 1..{@link MAX_DEMO_RATE}. @throws CliError `CUTOVER_E_USAGE` (exit 2). */
function demoRate(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_DEMO_RATE) {
    throw new CliError(
      'CUTOVER_E_USAGE',
      `--rate: expected an integer 1..${MAX_DEMO_RATE} (requests per second), got ${JSON.stringify(value)}`,
      EXIT.usage,
    );
  }
  return Number(value);
}

/** Registers `cutover demo`. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description(
      'v1 → canary v2 (promoted) → faulty canary v3 (rolled back by analysis) → blue-green v4, under load',
    )
    .option('--rate <n>', `load on the service, req/s (1..${MAX_DEMO_RATE})`, '200')
    .option('--keep', 'keep the demo data directory (also when interrupted)')
    .action(async (opts: { rate: string; keep?: boolean }) => {
      const rate = demoRate(opts.rate);
      // Loaded here: every other command starts faster without the demo's modules.
      const { runDemo } = await import('../../demo/index.js');
      const summary = await runDemo({ rate, keep: opts.keep === true, out: ctx.out });
      if (summary.unexpectedFailures > 0) {
        throw new CliError(
          'CUTOVER_E_DEMO_FAILED_REQUESTS',
          `${summary.unexpectedFailures} requests failed for reasons other than v3's injected faults`,
        );
      }
    });
}
