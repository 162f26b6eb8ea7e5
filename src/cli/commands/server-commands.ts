import type { Command } from 'commander';
import type { ControlPlaneStatus } from '../../api/views.js';
import { isAlive } from '../../platform/local/process-alive.js';
import type { CliContext } from '../context.js';
import { runningServer } from '../ensure-server.js';
import { CliError } from '../errors.js';
import { outputFormat } from '../output.js';
import { formatTable } from '../table.js';

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

const iso = (ms: number) => new Date(ms).toISOString();

/** `cutover server status` as text: the store, the lease, then one line per replica. */
export function formatServerStatus(status: ControlPlaneStatus): string {
  const lines = [`store: ${status.store}`];
  const lease = status.lease;
  if (lease === null) {
    lines.push(
      status.store.startsWith('sqlite:')
        ? 'lease: none (a single server on SQLite leads without one)'
        : 'lease: none yet (no replica has led)',
    );
  } else {
    const left = Math.max(0, lease.expiresAt - status.now);
    lines.push(
      `lease: controller, holder ${lease.holder}, fencing token ${lease.token}, duration ${lease.durationMs / 1000} s, ` +
        (lease.expired
          ? `expired ${iso(lease.expiresAt)}`
          : `renewed ${iso(lease.renewedAt)}, expires in ${(left / 1000).toFixed(1)} s`),
    );
  }
  lines.push(`leader: ${status.leader ?? 'none'}`, '');
  const rows = [['REPLICA', 'ADDRESS', 'PID', 'ROLE', 'VERSION', 'STARTED', 'LAST SEEN']];
  for (const r of status.replicas)
    rows.push([
      r.id === status.self ? `${r.id} (this)` : r.id,
      r.address,
      String(r.pid),
      r.leader ? 'leader' : 'follower',
      r.version,
      iso(r.startedAt),
      `${((status.now - r.seenAt) / 1000).toFixed(1)} s ago`,
    ]);
  lines.push(formatTable(rows));
  return lines.join('\n');
}

/** Registers `server`, `server stop`, `server status`, `shutdown` and the internal `dataplane`. */
export function registerServerCommands(program: Command, ctx: CliContext): void {
  const server = program
    .command('server')
    .description('run the control plane in the foreground (pid in $CUTOVER_HOME/server.pid)')
    .option('-p, --port <port>', 'API port (0 = any free port); default $CUTOVER_API_PORT or 7400')
    .option(
      '--store <location>',
      'postgres://USER@HOST:PORT/DATABASE (several replicas may share it; one leads), sqlite:PATH or a path; default $CUTOVER_STORE, else $CUTOVER_HOME/cutover.db',
    )
    .option(
      '--platform <platform>',
      "where Rollouts run: local (processes behind cutover's router) or kubernetes (Argo Rollouts on the cluster of $KUBECONFIG); default $CUTOVER_PLATFORM, else local",
    )
    .option(
      '--rollout-threads <n>',
      "Rollouts reconciled at once, as Argo Rollouts' --rollout-threads (1..100; kubernetes platform only); default $CUTOVER_ROLLOUT_THREADS, else 10 on kubernetes, 1 on local",
    )
    .action(async (opts: { port?: string; store?: string; platform?: string; rolloutThreads?: string }) => {
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
      const [{ startServer }, { serverPlatform }] = await Promise.all([
        import('../../server/server.js'),
        import('../../server/platform-setting.js'),
      ]);
      const running = await startServer({
        home: ctx.paths.home,
        ...(opts.platform !== undefined ? { platform: serverPlatform(opts.platform, '--platform') } : {}),
        ...(given ? { port: Number(port) } : {}),
        ...(opts.store !== undefined ? { store: opts.store } : {}),
        ...(opts.rolloutThreads !== undefined ? { rolloutThreads: opts.rolloutThreads } : {}),
      });
      ctx.out(`cutover server listening on http://127.0.0.1:${running.port} (data: ${ctx.paths.home})`);
      const stop = () => void running.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  server
    .command('status')
    .description(
      'the control-plane replicas, which one leads, and the controller lease (holder, fencing token, expiry)',
    )
    .option('-o, --output <format>', 'text or json')
    .action(async (opts: { output?: string }) => {
      const format = outputFormat(opts.output);
      const status = await (await ctx.api()).get<ControlPlaneStatus>('/api/v1/server/status');
      ctx.out(format === 'json' ? JSON.stringify(status, null, 2) : formatServerStatus(status));
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
