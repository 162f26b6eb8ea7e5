import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAnalysisCommands } from './commands/analysis-commands.js';
import { registerAuthCommands } from './commands/auth-commands.js';
import { registerConfigCommands } from './commands/config-commands.js';
import { registerDemoCommand } from './commands/demo-command.js';
import { registerDriftCommands } from './commands/drift-commands.js';
import { registerFeatureFlagCommands } from './commands/feature-flag-commands.js';
import { registerReleaseCommands } from './commands/release-commands.js';
import { registerRolloutCommands } from './commands/rollout-commands.js';
import { registerServerCommands } from './commands/server-commands.js';
import { registerServiceCommands } from './commands/service-commands.js';
import { registerStoreCommands } from './commands/store-commands.js';
import { createContext } from './context.js';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

/**
 * The `cutover` CLI. Verbs mirror `kubectl argo rollouts`; every command talks to the control
 * plane's API and starts the server in the background when none runs.
 */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('cutover')
    .description('progressive delivery: canary, blue-green, rolling and recreate with live analysis')
    .version(VERSION)
    .option(
      '--token-file <file>',
      'bearer token file (mode 0600); default $CUTOVER_TOKEN, else $CUTOVER_HOME/token',
    )
    .exitOverride()
    .showHelpAfterError();
  const ctx = createContext(undefined, () => program.opts<{ tokenFile?: string }>().tokenFile);
  registerRolloutCommands(program, ctx);
  registerAnalysisCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerFeatureFlagCommands(program, ctx);
  registerDriftCommands(program, ctx);
  registerServerCommands(program, ctx);
  registerServiceCommands(program, ctx);
  registerStoreCommands(program, ctx);
  registerAuthCommands(program, ctx);
  registerReleaseCommands(program, ctx);
  registerDemoCommand(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(EXIT.error);
  }
}

await main(process.argv);
