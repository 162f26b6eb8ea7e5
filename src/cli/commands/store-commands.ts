import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTable } from '../table.js';

/** A store error (bad location, unreachable, not empty) as the CLI's error, exit 1. */
function asCliError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('CUTOVER_E_STORE')
    ? new CliError(code, (error as Error).message, 1, { cause: error })
    : error;
}

/**
 * Registers `cutover store migrate` and `cutover store copy`: they open the databases themselves
 * (not through the API), so they need what the server needs: the data directory, or the PostgreSQL
 * credentials.
 */
export function registerStoreCommands(program: Command, ctx: CliContext): void {
  const store = program
    .command('store')
    .description(
      'the database: migrate its schema, copy an installation into another (e.g. SQLite → PostgreSQL)',
    );

  store
    .command('migrate')
    .description('run the pending schema migrations (the server runs them at start, too)')
    .option(
      '--store <location>',
      'postgres://USER@HOST:PORT/DATABASE, sqlite:PATH or a path; default $CUTOVER_STORE, else $CUTOVER_HOME/cutover.db',
    )
    .action(async (opts: { store?: string }) => {
      const { describeStoreLocation, openStore, parseStoreLocation } = await import('../../store/index.js');
      try {
        const location = parseStoreLocation(opts.store ?? process.env.CUTOVER_STORE ?? ctx.paths.database);
        const opened = await openStore(location);
        await opened.close();
        ctx.out(`store ${describeStoreLocation(location)} is at the latest schema`);
      } catch (error) {
        throw asCliError(error);
      }
    });

  store
    .command('copy')
    .description(
      'copy an installation (Rollouts, revisions, AnalysisRuns, events, audit log, tokens, releases, ConfigMaps and Secrets) into a new, empty store; stop the server first',
    )
    .requiredOption('--from <location>', 'source: sqlite:PATH, a path, or postgres://...')
    .requiredOption('--to <location>', 'target, empty: postgres://USER@HOST:PORT/DATABASE or sqlite:PATH')
    .action(async (opts: { from: string; to: string }) => {
      const { copyStore, describeStoreLocation, openStore, parseStoreLocation } = await import(
        '../../store/index.js'
      );
      try {
        const from = parseStoreLocation(opts.from);
        const to = parseStoreLocation(opts.to);
        const source = await openStore(from);
        try {
          const target = await openStore(to);
          try {
            const report = await copyStore(source, target);
            const total = report.reduce((sum, r) => sum + r.rows, 0);
            ctx.out(
              [
                formatTable([['TABLE', 'ROWS'], ...report.map((r) => [r.table, String(r.rows)])]),
                '',
                `copied ${total} rows from ${describeStoreLocation(from)} to ${describeStoreLocation(to)}; run cutover audit verify against the new store`,
              ].join('\n'),
            );
          } finally {
            await target.close();
          }
        } finally {
          await source.close();
        }
      } catch (error) {
        throw asCliError(error);
      }
    });
}
