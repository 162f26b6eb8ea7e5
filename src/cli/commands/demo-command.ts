import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerDemoCommand(program: Command, _ctx: CliContext): void {
  program.command('demo').description('run the demo').action(async () => {
    throw new Error('demo: not written yet');
  });
}
