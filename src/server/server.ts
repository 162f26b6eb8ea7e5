import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { ANALYSIS_ENV_ALLOW_VARIABLE, parseAnalysisEnvAllow, protectFromSandbox } from '../analysis/index.js';
import { mintToken, writeTokenFile } from '../auth/index.js';
import { ApiClient } from '../cli/api-client.js';
import { type Clock, systemClock } from '../clock/index.js';
import { ConfigService } from '../config/index.js';
import { Controller } from '../controller/index.js';
import { CREW_AGENTS, Crew, type CrewAgent } from '../crew/index.js';
import { DataPlaneClient, ensureDataPlane, privateDirectory } from '../dataplane/index.js';
import { StateBackups } from '../platform/index.js';
import { isAlive } from '../platform/local/process-alive.js';
import { ReleaseService } from '../release/index.js';
import { kekPath, loadKeks } from '../secret/envelope.js';
import type { LocalTemplate } from '../spec/index.js';
import {
  describeStoreLocation,
  openStore,
  PostgresStore,
  parseStoreLocation,
  type Store,
} from '../store/index.js';
import { VERSION } from '../version.js';
import { registerApi } from './api.js';
import { SpecApplier } from './apply.js';
import { AuditLog } from './audit-log.js';
import { registerAuth } from './auth.js';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { registerControlPlaneRoutes } from './control-plane-routes.js';
import { DriftDetector } from './drift-detector.js';
import { driftSettings } from './drift-settings.js';
import { errorHandler } from './error-handler.js';
import { ServerRunningError } from './errors.js';
import { EventStreams } from './event-stream.js';
import { FeatureFlagSync } from './feature-flag-sync.js';
import { CONTROLLER_LEASE, LeaderElection } from './leader-election.js';
import { registerLeaderForward } from './leader-forward.js';
import { leaseDurationMs } from './lease-settings.js';
import { SafeLogDestination } from './log-destination.js';
import { apiPort, dataDirectoryEntry, type HomePaths, homePaths, type ServerInfo } from './paths.js';
import { clusterPlatform, type PlatformName, rolloutThreads, serverPlatform } from './platform-setting.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limiter.js';
import { releaseNotifier } from './release-notifier.js';
import { DEFAULT_ROTATION_CHECK_MS, startSecretRotationCheck } from './secret-rotation-check.js';
import { registerUiRoutes } from './ui-routes.js';
import { WorkloadRefSync } from './workload-ref-sync.js';

export interface ServerOptions {
  /** Data directory. @default $CUTOVER_HOME or ~/.cutover */
  home?: string;
  /** API port; 0 picks a free one. @default $CUTOVER_API_PORT or 7400 */
  port?: number;
  /** Data plane metrics port when it must be started. @default $CUTOVER_METRICS_PORT or 7401 */
  metricsPort?: number;
  /** Data plane OFREP port when it must be started. @default $CUTOVER_OFREP_PORT or 7402 */
  ofrepPort?: number;
  clock?: Clock;
  logger?: Logger;
  /** Reconcile period, ms. @default 200 */
  intervalMs?: number;
  /** Requests per token. @default 50 req/s, burst 100 */
  rateLimit?: RateLimitOptions;
  /** Run the deployment crew (release workflow agents). @default true */
  crew?: boolean;
  /**
   * Variables AnalysisTemplate args may read with `valueFrom.env`.
   * @default $CUTOVER_ANALYSIS_ENV_ALLOW (names separated by commas), else none
   */
  analysisEnvAllow?: readonly string[];
  /**
   * Period of the drift passes, ms.
   * @default $CUTOVER_DRIFT_INTERVAL_SECONDS × 1000, else 30000
   */
  driftIntervalMs?: number;
  /**
   * The store: `postgres://USER@HOST:PORT/DATABASE` (several replicas may share it, one leads),
   * `sqlite:PATH` or a path.
   * @default $CUTOVER_STORE, else SQLite at `$CUTOVER_HOME/cutover.db`
   */
  store?: string;
  /**
   * Where Rollouts run: `local` (processes behind cutover's router) or `kubernetes` (Argo Rollouts
   * on the cluster of the kubeconfig: `$KUBECONFIG`, else `~/.kube/config`, else in-cluster).
   * @default $CUTOVER_PLATFORM, else "local"
   */
  platform?: PlatformName;
  /**
   * Rollouts reconciled at once within a pass, as Argo Rollouts' `--rollout-threads` (see
   * `rolloutThreads`). @default $CUTOVER_ROLLOUT_THREADS, else 10 on kubernetes and 1 on local
   */
  rolloutThreads?: string;
  /** Controller lease duration on PostgreSQL, ms. @default $CUTOVER_LEASE_DURATION_SECONDS × 1000, else 8000 */
  leaseDurationMs?: number;
  /**
   * Called when this replica loses the controller lease (it has stopped acting).
   * @default exits the process (status 75), as kube-controller-manager does; its supervisor starts it again as a follower
   */
  onLeadershipLost?: (reason: string) => void;
}

/** Longest a client may take to send a whole request, ms (Node's `requestTimeout`). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Idle socket timeout, ms: above the event stream's 15 s heartbeat so open streams stay up. */
const CONNECTION_TIMEOUT_MS = 60_000;

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
  // The data directory holds the database, the tokens and the data plane's admin socket: only the
  // server's user may enter it.
  privateDirectory(paths.home);
  // No sandboxed job, suite or smoke test may see the data directory, whatever its inputs say.
  protectFromSandbox(paths.home);
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  const location = parseStoreLocation(options.store ?? process.env['CUTOVER_STORE'] ?? paths.database);
  // On PostgreSQL several replicas may share the data directory (and its data plane): one leads.
  const replicated = location.backend === 'postgres';
  const existing = readServerPid(paths);
  if (!replicated && existing !== undefined && existing !== process.pid && isAlive(existing)) {
    throw new ServerRunningError(existing, paths.home);
  }
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ?? pino({ level: process.env.CUTOVER_LOG_LEVEL ?? 'info' }, new SafeLogDestination(1));
  // Read first: a setting the server cannot use stops it before it holds anything.
  const drift = driftSettings(process.env);
  const platform = options.platform ?? serverPlatform(process.env['CUTOVER_PLATFORM']);
  const threads =
    options.rolloutThreads !== undefined
      ? rolloutThreads(options.rolloutThreads, platform, '--rollout-threads')
      : rolloutThreads(process.env['CUTOVER_ROLLOUT_THREADS'], platform);
  const leaseMs = replicated ? (options.leaseDurationMs ?? leaseDurationMs(process.env)) : undefined;
  const store = await openStore(location);
  const self = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const analysisEnvAllow =
    options.analysisEnvAllow ?? parseAnalysisEnvAllow(process.env[ANALYSIS_ENV_ALLOW_VARIABLE]);
  const connect = async () => {
    const info = await ensureDataPlane({
      home: paths.home,
      ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
      ...(options.ofrepPort !== undefined ? { ofrepPort: options.ofrepPort } : {}),
    });
    return { info, client: new DataPlaneClient({ socketPath: info.adminSocket }) };
  };
  const first = await connect();
  const { info } = first;
  let dataPlane = first.client;
  const metrics = new ControlPlaneMetrics({
    store,
    stats: () => controller.stats,
    drift: () => detector.stats(),
    version: VERSION,
  });
  const stateBackups = new StateBackups(paths.home);
  const keks = loadKeks(kekPath(paths.home));
  const configs = new ConfigService(store, keks.current, keks.pending === undefined ? [] : [keks.pending]);
  const flagSync = new FeatureFlagSync({ store, dataPlane: () => dataPlane, logger });
  // On Kubernetes the Rollouts run on the cluster; the local data plane still serves feature flags.
  const cluster = platform === 'kubernetes' ? await clusterPlatform(store, clock) : undefined;
  const controller: Controller = new Controller({
    store,
    flags: flagSync,
    clock,
    logger,
    ...(cluster !== undefined
      ? { dataPlane: cluster.dataPlane, providers: cluster.providers, localJobs: false }
      : {
          dataPlane,
          restartDataPlane: async () => {
            dataPlane = (await connect()).client;
            return dataPlane;
          },
          stateBackups,
          materialize: (template: LocalTemplate) => configs.materialize(template),
        }),
    onReconcile: (seconds) => metrics.observeReconcile(seconds),
    onRolloutWrite: (seconds) => metrics.observeRolloutWrite(seconds),
    rolloutThreads: threads,
    analysisEnvAllow,
    onDriftOverwritten: (rollout, findings) => detector.overwritten(rollout, findings),
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
  });
  // On Kubernetes, a workloadRef Rollout follows its Deployment's template (as Argo).
  const workloadRefSync =
    cluster === undefined
      ? undefined
      : new WorkloadRefSync({ store, controller, workloads: cluster.observedWorkloads, clock, logger });
  const detector: DriftDetector = new DriftDetector({
    store,
    controller,
    dataPlane: () => dataPlane,
    clock,
    logger,
    intervalMs: options.driftIntervalMs ?? drift.intervalMs,
    materialize: (template) => configs.materialize(template),
    flags: flagSync,
    channels: drift.channels,
    // Logs, the database and the sockets change all the time: never part of a working directory's checksum.
    exclude: dataDirectoryEntry(paths.home),
  });
  const applier = new SpecApplier({
    store,
    controller,
    clock,
    analysisEnvAllow,
    stateBackups,
    configs,
    platform,
    ...(cluster !== undefined ? { workloads: cluster.workloads } : {}),
    // Served within the apply's answer; a data plane that does not take them gets them at the next check.
    onRolloutsApplied: (results) => detector.revisionsCreated(results),
    onFeatureFlagsApplied: () =>
      flagSync
        .push()
        .catch((err: unknown) =>
          logger.warn({ err: String(err) }, 'feature flags: cannot push to the data plane'),
        ),
  });
  const releases = new ReleaseService({
    store,
    clock,
    notify: releaseNotifier(logger),
    analysisEnvAllow,
    platform,
  });
  await bootstrapAdminToken(store, paths, clock);
  const audit = await AuditLog.open({ store, keyFile: paths.auditKey, headFile: paths.auditHead, logger });
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
  });
  app.setErrorHandler(errorHandler(logger));
  const streams = new EventStreams({ store });
  app.addHook('preClose', async () => streams.closeAll());
  let crew: Crew | undefined;
  let releaseTimer: NodeJS.Timeout | undefined;
  let stopRotationCheck: (() => void) | undefined;
  let replicaTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  let port = 0;
  const startedAt = clock.now();
  /** Runs what only the leader runs: the controller, the crew, drift passes, flags, windows, rotations. */
  const lead = async (token: number | undefined) => {
    if (closing) return;
    if (token !== undefined && store instanceof PostgresStore) store.setFence(token);
    controller.start();
    flagSync.start();
    // Drift detection compares the local data plane and working directories (docs/drift.md).
    if (platform === 'local') detector.start();
    workloadRefSync?.start();
    // The ReleaseManager's clock: releases waiting for a window start when it opens.
    releaseTimer = setInterval(() => void releases.tick().catch(() => undefined), 1000);
    const rotationCheckMs = Number(
      process.env['CUTOVER_SECRET_ROTATION_CHECK_MS'] ?? DEFAULT_ROTATION_CHECK_MS,
    );
    stopRotationCheck = startSecretRotationCheck({
      configs,
      clock,
      logger,
      intervalMs:
        Number.isFinite(rotationCheckMs) && rotationCheckMs >= 100
          ? rotationCheckMs
          : DEFAULT_ROTATION_CHECK_MS,
    });
    if (options.crew !== false) {
      const tokens = await crewTokens(store, clock);
      const base = `http://127.0.0.1:${port}`;
      crew = new Crew({
        api: (agent) => new ApiClient(base, tokens[agent]),
        workDir: join(paths.home, 'releases'),
        now: () => clock.now(),
        logger,
      });
      crew.start();
    }
  };
  /** The lease is lost: every later write of this process is fenced off, and it stops acting. */
  const lost = (reason: string) => {
    if (store instanceof PostgresStore) store.setFence(0);
    (options.onLeadershipLost ?? exitOnLeadershipLost(logger))(reason);
  };
  const election =
    leaseMs === undefined
      ? undefined
      : new LeaderElection({
          store,
          holder: self,
          leaseDurationMs: leaseMs,
          logger,
          onStartedLeading: (token) =>
            void lead(token).catch((error: unknown) => {
              logger.fatal({ err: error }, 'cannot start leading');
              lost(`cannot start leading: ${String(error)}`);
            }),
          onStoppedLeading: (reason) => lost(reason),
        });
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(replicaTimer);
      clearInterval(releaseTimer);
      stopRotationCheck?.();
      flagSync.stop();
      await detector.stop();
      await workloadRefSync?.stop();
      await crew?.stop();
      await app.close();
      await controller.stop();
      await election?.stop();
      await store.close();
      if (readServerPid(paths) === process.pid) {
        rmSync(paths.serverPid, { force: true });
        rmSync(paths.serverInfo, { force: true });
      }
    })();
    return closing;
  };
  registerLeaderForward(app, {
    self,
    leading: () => election === undefined || election.leading,
    leaderAddress: async () => {
      const { lease, now } = await store.getLease(CONTROLLER_LEASE);
      if (lease === undefined || lease.expiresAt <= now || lease.holder === self) return undefined;
      const replicas = await store.listReplicas(0);
      return replicas.find((r) => r.id === lease.holder)?.address;
    },
  });
  // After the forward: a forwarded request is authenticated, authorized and audited by the leader.
  registerAuth(app, {
    store,
    audit,
    limiter: new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, () => clock.now()),
    logger,
    now: () => clock.now(),
  });
  const routes = registerApi(app, {
    store,
    controller,
    applier,
    metrics,
    streams,
    dataPlane: () => dataPlane,
    now: () => clock.now(),
    version: VERSION,
    shutdown: () => void close(),
    releases,
    audit,
    configs,
    pushFeatureFlags: () => flagSync.push(),
    drift: detector,
    kekPath: kekPath(paths.home),
  });
  registerControlPlaneRoutes(app, routes, {
    store,
    self,
    storeLocation: describeStoreLocation(location),
    leaseDurationMs: leaseMs,
  });
  registerUiRoutes(app);
  await app.listen({ host: '127.0.0.1', port: apiPort(options.port) });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  const heartbeat = () =>
    store
      .heartbeatReplica({
        id: self,
        address: `http://127.0.0.1:${port}`,
        pid: process.pid,
        host: hostname(),
        version: VERSION,
        startedAt,
      })
      .catch((error: unknown) => logger.warn({ err: String(error) }, 'cannot record this replica'));
  await heartbeat();
  if (election) {
    replicaTimer = setInterval(() => void heartbeat(), Math.max(250, (leaseMs ?? 0) / 4));
    election.start();
  } else {
    await lead(undefined);
  }
  writeFileSync(paths.serverPid, `${process.pid}\n`);
  const serverInfo: ServerInfo = { pid: process.pid, port, startedAt: clock.now(), version: VERSION };
  writeFileSync(`${paths.serverInfo}.tmp`, JSON.stringify(serverInfo));
  renameSync(`${paths.serverInfo}.tmp`, paths.serverInfo); // atomic: a reader never sees half a file
  logger.info(
    { port, home: paths.home, dataPlane: info, store: describeStoreLocation(location), replica: self },
    'cutover server started',
  );
  return { port, paths, app, store, controller, close };
}

/**
 * Fresh tokens for the crew's agents (`agent:<name>`, role deployer), minted at every start; the
 * previous ones are revoked. They never leave the server process.
 */
async function crewTokens(store: Store, clock: Clock): Promise<Record<CrewAgent, string>> {
  const tokens = {} as Record<CrewAgent, string>;
  for (const agent of CREW_AGENTS) {
    await store.revokeTokens({ user: agent }, clock.now());
    const minted = mintToken();
    await store.createToken({
      id: minted.id,
      user: agent,
      kind: 'agent',
      role: 'deployer',
      qualifier: null,
      hash: minted.hash,
      createdAt: clock.now(),
    });
    tokens[agent] = minted.token;
  }
  return tokens;
}

/**
 * Without a valid admin token in the store (a new data directory, or every admin token revoked),
 * creates one for user `admin` and writes it to `$CUTOVER_HOME/token` (mode 0600), where the local
 * CLI finds it.
 */
async function bootstrapAdminToken(store: Store, paths: HomePaths, clock: Clock): Promise<void> {
  const tokens = await store.listTokens();
  if (tokens.some((t) => t.role === 'admin' && t.revokedAt === null)) return;
  const minted = mintToken();
  const existing = tokens.find((t) => t.user === 'admin');
  await store.createToken({
    id: minted.id,
    user: 'admin',
    kind: existing?.kind ?? 'user',
    role: 'admin',
    qualifier: null,
    hash: minted.hash,
    createdAt: clock.now(),
  });
  writeTokenFile(paths.token, minted.token);
}

/** Exit status of a replica that lost the controller lease (EX_TEMPFAIL: its supervisor restarts it). */
const LEADERSHIP_LOST_EXIT = 75;

/** As kube-controller-manager: a replica that loses its lease exits, and comes back as a follower. */
function exitOnLeadershipLost(logger: Logger): (reason: string) => void {
  return (reason) => {
    logger.fatal({ reason }, 'leader election lost: exiting');
    logger.flush?.();
    process.exit(LEADERSHIP_LOST_EXIT);
  };
}

function readServerPid(paths: HomePaths): number | undefined {
  try {
    const pid = Number(readFileSync(paths.serverPid, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
