import type { Command } from 'commander';
import { isAlive } from '../../server/process-alive.js';
import type { CliContext } from '../context.js';
import { runningServer } from '../ensure-server.js';
import { CliError } from '../errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGTERM to the server and waits (≤ 15 s) for it to exit. Returns false when none ran. */
async function stopServer(ctx: CliContext): Promise<boolean> {
  const info = runningServer(ctx.paths);
  if (!info) return false;
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isAlive(info.pid) && Date.now() < deadline) await sleep(50);
  return true;
}

/** Registers `server`, `server stop`, `shutdown` and the internal `dataplane`. */
export function registerServerCommands(program: Command, ctx: CliContext): void {
  const server = program
    .command('server')
    .description('run the control plane in the foreground (pid in $CUTOVER_HOME/server.pid)')
    .option('-p, --port <port>', 'API port (0 = any free port); default $CUTOVER_API_PORT or 7400')
    .action(async (opts: { port?: string }) => {
      const port = opts.port ?? process.env.CUTOVER_API_PORT;
      const given = port !== undefined && port !== '';
      if (given && !(/^\d+$/.test(port) && Number(port) <= 65_535)) {
        throw new CliError(
          'CUTOVER_E_USAGE',
          `--port / CUTOVER_API_PORT: expected a port number 0..65535, got ${JSON.stringify(port)}`,
          2,
        );
      }
      // Loaded here: every other command starts faster without the server's modules.
      const { startServer } = await import('../../server/server.js');
      const running = await startServer({
        home: ctx.paths.home,
        ...(given ? { port: Number(port) } : {}),
      });
      ctx.out(`cutover server listening on http://127.0.0.1:${running.port} (data: ${ctx.paths.home})`);
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  server
    .command('stop')
    .description('stop the control plane; the router and the replicas keep serving')
    .action(async () => {
      ctx.out((await stopServer(ctx)) ? 'cutover server stopped' : 'no cutover server running');
    });

  program
    .command('shutdown')
    .description('stop the server, the router and every replica of this data directory')
    .action(async () => {
      const stopped = await stopServer(ctx);
      const { shutdownDataPlane } = await import('../../dataplane/ensure-data-plane.js');
      const dataPlane = await shutdownDataPlane(ctx.paths.home);
      ctx.out(
        `${stopped ? 'server stopped' : 'no server running'}; ${dataPlane ? 'data plane and replicas stopped' : 'no data plane running'}`,
      );
    });
}
