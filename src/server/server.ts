import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { type Clock, systemClock } from '../clock/index.js';
import { Controller } from '../controller/index.js';
import { DataPlaneClient, ensureDataPlane } from '../dataplane/index.js';
import { openSqliteStore, type Store } from '../store/index.js';
import { VERSION } from '../version.js';
import { registerApi } from './api.js';
import { SpecApplier } from './apply.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { errorHandler } from './error-handler.js';
import { ServerRunningError } from './errors.js';
import { apiPort, type HomePaths, homePaths, type ServerInfo } from './paths.js';

export interface ServerOptions {
  /** Data directory. @default $CUTOVER_HOME or ~/.cutover */
  home?: string;
  /** API port; 0 picks a free one. @default $CUTOVER_API_PORT or 7400 */
  port?: number;
  /** Data plane admin port when it must be started. @default $CUTOVER_ADMIN_PORT or 7401 */
  adminPort?: number;
  clock?: Clock;
  logger?: Logger;
  /** Reconcile period, ms. @default 200 */
  intervalMs?: number;
}

/** A running control plane. */
export interface RunningServer {
  port: number;
  paths: HomePaths;
  app: FastifyInstance;
  store: Store;
  controller: Controller;
  /** Stops the API and the controller; the data plane keeps running. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the control plane of a data directory: opens the store, starts (or re-adopts) the data
 * plane, runs the controller and serves the API on 127.0.0.1. Writes `server.pid` and
 * `server.json`; removes them on close.
 * @throws when another server of the same data directory is running, or the port is taken.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const paths = homePaths(options.home);
  mkdirSync(paths.logs, { recursive: true });
  const existing = readServerPid(paths);
  if (existing !== undefined && existing !== process.pid && isAlive(existing)) {
    throw new ServerRunningError(existing, paths.home);
  }
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: process.env.CUTOVER_LOG_LEVEL ?? 'info' });
  const store = await openSqliteStore(paths.database);
  const connect = async () => {
    const info = await ensureDataPlane({
      home: paths.home,
      ...(options.adminPort !== undefined ? { adminPort: options.adminPort } : {}),
    });
    return { info, client: new DataPlaneClient({ adminPort: info.adminPort }) };
  };
  const { info, client: dataPlane } = await connect();
  const metrics = new ControlPlaneMetrics({ store, stats: () => controller.stats, version: VERSION });
  const controller = new Controller({
    store,
    dataPlane,
    clock,
    logger,
    restartDataPlane: async () => (await connect()).client,
    onReconcile: (seconds) => metrics.observeReconcile(seconds),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  const applier = new SpecApplier({ store, controller, clock });
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.setErrorHandler(errorHandler(logger));
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await app.close();
      await controller.stop();
      await store.close();
      if (readServerPid(paths) === process.pid) {
        rmSync(paths.serverPid, { force: true });
        rmSync(paths.serverInfo, { force: true });
      }
    })();
    return closing;
  };
  registerApi(app, { store, controller, applier, metrics, shutdown: () => void close() });
  await app.listen({ host: '127.0.0.1', port: apiPort(options.port) });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  controller.start();
  writeFileSync(paths.serverPid, `${process.pid}\n`);
  const serverInfo: ServerInfo = { pid: process.pid, port, startedAt: clock.now(), version: VERSION };
  writeFileSync(`${paths.serverInfo}.tmp`, JSON.stringify(serverInfo));
  renameSync(`${paths.serverInfo}.tmp`, paths.serverInfo); // atomic: a reader never sees half a file
  logger.info({ port, home: paths.home, dataPlane: info }, 'cutover server started');
  return { port, paths, app, store, controller, close };
}

function readServerPid(paths: HomePaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.serverPid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a process is running: it exists (signal 0 checks without sending) and, where /proc
 * tells, is not a zombie (killed but not yet reaped by its parent).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
