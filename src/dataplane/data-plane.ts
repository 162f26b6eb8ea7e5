import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type ServedFlagSet, ServedFlags } from '../flags/index.js';
import { LocalPlatform, type ProcessHost, type RestartBackoffOptions } from '../platform/index.js';
import { HISTOGRAM_BOUNDS, type ListenTarget, Router, type RouterOptions } from '../traffic/index.js';
import { withSecondHistograms } from '../traffic/revision-recorder.js';
import { adminHandler, metricsHandler } from './admin-api.js';
import { DataPlaneError, InvalidDataPlaneSpecError } from './errors.js';
import { ofrepHandler } from './ofrep-api.js';
import type {
  DataPlaneSecond,
  DataPlaneState,
  FlagSetsServed,
  FlagSetsStatus,
  HttpSdTargetGroup,
  RevisionSecondDetail,
  RolloutDataPlaneSpec,
  RolloutDataPlaneStatus,
  RouterExit,
  TrafficSeconds,
} from './protocol.js';
import { validateRolloutSpec } from './validate-spec.js';

/** File of the data directory holding the flag sets last pushed, so a new router process serves them at once. */
const FLAGS_FILE = 'flags.json';
/** Seconds `GET /v1/traffic` can look back: the router's per-second ring answers 300 s exactly. */
export const TRAFFIC_RING_SECONDS = 300;

/** Who this data plane is, for `GET /v1/state`. */
export interface DataPlaneIdentity {
  /** pid of the supervisor (this process' in-process use). */
  supervisorPid: number;
  /** When the supervisor started, ms since the epoch. */
  startedAt: number;
  /** Router processes so far, this one included. */
  generation: number;
  /** The last router processes that died, oldest first. */
  routerExits: RouterExit[];
}

/** Options of a {@link DataPlane}. */
export interface DataPlaneOptions {
  /** Data directory (`$CUTOVER_HOME`): logs/ and run/ live here. */
  home: string;
  /**
   * Where the admin API listens: the Unix socket handle the supervisor passes, or listen options
   * (a socket path) for in-process use.
   */
  admin: ListenTarget;
  /** Where the read-only metrics listener listens (handle or listen options on 127.0.0.1). */
  metrics: ListenTarget;
  /** Where the OFREP listener (feature flag evaluation) listens; absent: not served. */
  ofrep?: ListenTarget;
  /** @default this process, started now, generation 1 */
  identity?: DataPlaneIdentity;
  /** Router tuning, including who binds its ports (`binder`). */
  router?: RouterOptions;
  backoff?: RestartBackoffOptions;
  /** Owner of the replica processes. @default a ChildProcessHost of this process */
  processes?: ProcessHost;
  /** Desired states to restore at start: those an earlier router process last applied. */
  restore?: RolloutDataPlaneSpec[];
  /** Told of each desired state applied (or removed: null), so a later router process can restore it. */
  keepSpec?: (rollout: string, spec: RolloutDataPlaneSpec | null) => void;
  /** Called once a shutdown asked with `POST /v1/shutdown` has completed. @default nothing */
  afterShutdown?: () => void;
}

/**
 * The data plane's router process: the built-in router, the local platform and two listeners, the
 * admin API (a Unix socket only the control plane's user can open) and the read-only metrics
 * listener. Writes are serialized: one desired state is applied at a time.
 */
export class DataPlane {
  readonly #options: DataPlaneOptions;
  readonly router: Router;
  readonly platform: LocalPlatform;
  readonly #identity: DataPlaneIdentity;
  readonly #admin: Server;
  readonly #metrics: Server;
  readonly #ofrep: Server | null;
  #flags: ServedFlags;
  #flagsServedSince = 0;
  readonly #secondListeners = new Set<(second: DataPlaneSecond) => void>();
  #secondTimer: NodeJS.Timeout | null = null;
  #writes: Promise<unknown> = Promise.resolve();
  #shuttingDown: Promise<void> | null = null;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    this.#identity = options.identity ?? {
      supervisorPid: process.pid,
      startedAt: Date.now(),
      generation: 1,
      routerExits: [],
    };
    mkdirSync(join(options.home, 'logs'), { recursive: true, mode: 0o700 });
    this.router = new Router(options.router);
    this.platform = new LocalPlatform({
      home: options.home,
      sink: this.router,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
      ...(options.processes !== undefined ? { processes: options.processes } : {}),
    });
    this.#admin = createServer(adminHandler(this, options.afterShutdown ?? (() => undefined)));
    this.#metrics = createServer(metricsHandler(this));
    this.#ofrep = options.ofrep === undefined ? null : createServer(ofrepHandler(() => this.#flags));
    this.#flags = this.#readFlags();
  }

  /** The flag sets last pushed (`<home>/flags.json`), or none; a file flagd refuses is logged and ignored. */
  #readFlags(): ServedFlags {
    let text: string;
    try {
      text = readFileSync(join(this.#options.home, FLAGS_FILE), 'utf8');
    } catch {
      return ServedFlags.empty();
    }
    try {
      const saved = JSON.parse(text) as { flagSets: ServedFlagSet[]; servedSince: number };
      const flags = ServedFlags.build(saved.flagSets);
      this.#flagsServedSince = saved.servedSince;
      return flags;
    } catch (err) {
      process.stderr.write(`cutover router: ignoring ${FLAGS_FILE}: ${(err as Error).message}\n`);
      return ServedFlags.empty();
    }
  }

  /**
   * Replace every flag set the OFREP listener serves: validated whole by flagd-core (nothing
   * changes on error), written to `<home>/flags.json` (0600, atomically: a router restart serves
   * it at once, without the control plane), then served by the next evaluation. Idempotent.
   * @throws InvalidDataPlaneSpecError naming the flag set flagd refuses.
   */
  setFlags(body: unknown): Promise<FlagSetsStatus> {
    const sets = validateFlagSets(body);
    let flags: ServedFlags;
    try {
      flags = ServedFlags.build(sets);
    } catch (err) {
      throw new InvalidDataPlaneSpecError('flagSets', (err as Error).message);
    }
    return this.#serialize(async () => {
      this.#refuseWhenShuttingDown();
      if (flags.hash === this.#flags.hash) return this.flagsStatus();
      const servedSince = Date.now();
      const path = join(this.#options.home, FLAGS_FILE);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ flagSets: sets, servedSince }), { mode: 0o600 });
      renameSync(tmp, path);
      this.#flags = flags;
      this.#flagsServedSince = servedSince;
      return this.flagsStatus();
    });
  }

  /** What the OFREP listener serves. */
  flagsStatus(): FlagSetsStatus {
    return {
      hash: this.#flags.hash,
      flagSets: this.#flags.sets.map((set) => ({
        name: set.name,
        ...(set.environment !== undefined ? { environment: set.environment } : {}),
        keys: Object.keys(set.spec.flags).sort(),
      })),
      servedSince: this.#flagsServedSince,
    };
  }

  /** What the OFREP listener serves, each flag set whole (`GET /v1/flags/sets`): drift detection compares them. */
  flagSets(): FlagSetsServed {
    return { hash: this.#flags.hash, servedSince: this.#flagsServedSince, flagSets: [...this.#flags.sets] };
  }

  /**
   * Serve the admin API and the metrics listener, then restore the desired states taken over
   * (listeners first, so queued connections are served; then the replicas, adopted where their
   * process still runs), and stop the processes no restored state wants.
   * @throws when a listener cannot listen.
   */
  async start(): Promise<void> {
    await Promise.all([
      listen(this.#admin, this.#options.admin),
      listen(this.#metrics, this.#options.metrics),
      ...(this.#ofrep !== null && this.#options.ofrep !== undefined
        ? [listen(this.#ofrep, this.#options.ofrep)]
        : []),
    ]);
    for (const spec of this.#options.restore ?? []) {
      try {
        await this.applySpec(spec);
      } catch (err) {
        process.stderr.write(`cutover router: cannot restore ${spec.rollout}: ${(err as Error).message}\n`);
      }
    }
    const stopped = this.platform.stopUnadopted();
    if (stopped > 0) process.stderr.write(`cutover router: stopped ${stopped} replica(s) no Rollout wants\n`);
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(work, work);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  /**
   * Apply one Rollout's desired state: validate it whole, bind its listeners (nothing changes if
   * one cannot be bound), then reconcile its replicas. Idempotent.
   * @throws InvalidDataPlaneSpecError, PortInUseError, ListenError, DataPlaneError (shutting down).
   */
  apply(name: string, body: unknown): Promise<RolloutDataPlaneStatus> {
    const spec = validateRolloutSpec(body, name);
    return this.#serialize(async () => {
      this.#refuseWhenShuttingDown();
      await this.router.applyRollout(spec.rollout, spec.listeners, {
        outlierDetection: spec.outlierDetection,
        timeoutMs: spec.timeoutMs,
        connectionPool: spec.connectionPool,
        retries: spec.retries,
      });
      this.platform.apply(spec.rollout, spec.replicaSets, spec.activeReplica);
      this.#options.keepSpec?.(spec.rollout, spec);
      return this.status(spec.rollout);
    });
  }

  /** Desired states are applied by name; a helper for in-process callers. */
  applySpec(spec: RolloutDataPlaneSpec): Promise<RolloutDataPlaneStatus> {
    return this.apply(spec.rollout, spec);
  }

  #refuseWhenShuttingDown(): void {
    if (this.#shuttingDown !== null)
      throw new DataPlaneError('CUTOVER_E_DATAPLANE_SHUTTING_DOWN', 'shutting down', true);
  }

  /** Gracefully stop a Rollout's replicas and close its listeners. @returns false if unknown. */
  remove(rollout: string): Promise<boolean> {
    return this.#serialize(async () => {
      const known = this.platform.rollouts().includes(rollout) || this.router.listeners(rollout).length > 0;
      this.#options.keepSpec?.(rollout, null);
      await Promise.all([this.platform.remove(rollout), this.router.removeRollout(rollout)]);
      return known;
    });
  }

  /** Observed state of one Rollout. */
  status(rollout: string): RolloutDataPlaneStatus {
    const active = this.platform.activeReplica(rollout);
    const sessions = this.router.sessions(rollout);
    const ejections = this.router.ejections(rollout);
    const outlierDetection = this.router.outlierDetection(rollout);
    const timeoutMs = this.router.timeoutMs(rollout);
    const { connectionPool, retries } = this.router.upstreamPolicy(rollout);
    const streamsCut = this.router.streamsCut(rollout);
    return {
      rollout,
      replicaSets: this.platform.status(rollout),
      listeners: this.router.listeners(rollout),
      ...(active !== undefined ? { activeReplica: active } : {}),
      ...(sessions.length > 0 ? { sessions } : {}),
      ...(ejections.length > 0 ? { ejections } : {}),
      ...(outlierDetection !== undefined ? { outlierDetection } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(connectionPool !== undefined ? { connectionPool } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(streamsCut.length > 0 ? { streamsCut } : {}),
    };
  }

  /** Observed state of everything. */
  state(): DataPlaneState {
    const names = new Set(this.platform.rollouts());
    return {
      pid: this.#identity.supervisorPid,
      routerPid: process.pid,
      startedAt: this.#identity.startedAt,
      routerRestarts: this.#identity.generation - 1,
      adoptedReplicas: this.platform.adopted,
      routerExits: this.#identity.routerExits,
      rollouts: [...names].sort().map((n) => this.status(n)),
    };
  }

  /**
   * Every running replica as a Prometheus HTTP service discovery target group (`GET /v1/sd`), one
   * group per replica labelled with its rollout, revision and replica id, so a Prometheus scraping
   * the replicas' own `/metrics` can tell revisions apart. Pure read of the platform's state.
   */
  serviceDiscovery(): HttpSdTargetGroup[] {
    return this.platform.rollouts().flatMap((rollout) =>
      this.platform.status(rollout).flatMap((replicaSet) =>
        replicaSet.replicaStatuses
          .filter((replica) => replica.state === 'Running' && replica.port > 0)
          .map((replica) => ({
            targets: [`127.0.0.1:${replica.port}`],
            labels: {
              rollout,
              revision: String(replicaSet.revision),
              replica: replica.id,
              ...(replicaSet.set !== undefined ? { set: replicaSet.set } : {}),
            },
          })),
      ),
    );
  }

  /**
   * Per-second traffic of every revision of the Rollout over the whole seconds `[from, now)` (`from`
   * is moved forward to the router's 300 s ring), with latency histograms (see {@link TrafficSeconds}).
   */
  traffic(rollout: string, from: number): TrafficSeconds {
    const to = Math.floor(Date.now() / 1000);
    const start = Math.max(from, to - TRAFFIC_RING_SECONDS);
    const byRevision = new Map<number, RevisionSecondDetail[]>();
    for (let second = start; second < to; second++) {
      const histograms: (ArrayLike<number> | null)[] = [];
      const revisions = withSecondHistograms(
        () => this.router.second(second),
        (h) => histograms.push(h === null ? null : Array.from(h)),
      );
      // router.second reads each revision's recorder once, in order.
      if (histograms.length !== revisions.length)
        throw new Error('router.second read an unexpected number of recorders');
      revisions.forEach((r, i) => {
        if (r.rollout !== rollout) return;
        let list = byRevision.get(r.revision);
        if (list === undefined) {
          list = [];
          byRevision.set(r.revision, list);
        }
        if (r.requests === 0) return;
        const latency: [number, number][] = [];
        const h = histograms[i] ?? [];
        for (let b = 0; b < h.length; b++) if ((h[b] ?? 0) > 0) latency.push([b, h[b]!]);
        list.push({ second, requests: r.requests, errors: r.errors, latency });
      });
    }
    return {
      rollout,
      from: start,
      to,
      latencyBounds: Array.from(HISTOGRAM_BOUNDS),
      revisions: [...byRevision].map(([revision, seconds]) => ({ revision, seconds })),
    };
  }

  /**
   * Call `listener` just after each second boundary with the second just ended, until the returned
   * function is called.
   */
  onSecond(listener: (second: DataPlaneSecond) => void): () => void {
    this.#secondListeners.add(listener);
    if (this.#secondTimer === null) this.#scheduleTick();
    return () => {
      this.#secondListeners.delete(listener);
      if (this.#secondListeners.size === 0 && this.#secondTimer !== null) {
        clearTimeout(this.#secondTimer);
        this.#secondTimer = null;
      }
    };
  }

  #scheduleTick(): void {
    const delay = 1000 - (Date.now() % 1000) + 5;
    this.#secondTimer = setTimeout(() => {
      const sec = Math.floor(Date.now() / 1000) - 1;
      const event: DataPlaneSecond = { at: sec * 1000, revisions: this.router.second(sec) };
      for (const listener of this.#secondListeners) listener(event);
      if (this.#secondListeners.size > 0) this.#scheduleTick();
      else this.#secondTimer = null;
    }, delay);
  }

  /** Whether a shutdown has started. */
  get shuttingDown(): boolean {
    return this.#shuttingDown !== null;
  }

  /**
   * Stop everything gracefully: refuse writes, stop every replica (draining first), close the
   * listeners, the admin API and the metrics listener. Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.#shuttingDown === null) this.#shuttingDown = this.#shutdown();
    return this.#shuttingDown;
  }

  async #shutdown(): Promise<void> {
    await this.#writes;
    if (this.#secondTimer !== null) clearTimeout(this.#secondTimer);
    this.#secondListeners.clear();
    await Promise.all([this.platform.stopAll(), this.router.close()]);
    await Promise.all(
      [this.#admin, this.#metrics, ...(this.#ofrep !== null ? [this.#ofrep] : [])].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}

function listen(server: Server, target: ListenTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The shape of `PUT /v1/flags` (flagd checks the flags themselves). @throws InvalidDataPlaneSpecError */
function validateFlagSets(body: unknown): ServedFlagSet[] {
  const record = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!record(body) || !Array.isArray(body['flagSets']))
    throw new InvalidDataPlaneSpecError('flagSets', 'flagSets: expected a list of flag sets');
  return body['flagSets'].map((set: unknown, i: number) => {
    const at = `flagSets[${i}]`;
    if (!record(set) || typeof set['name'] !== 'string' || set['name'] === '')
      throw new InvalidDataPlaneSpecError(`${at}.name`, `${at}.name: expected a name`);
    if (set['environment'] !== undefined && typeof set['environment'] !== 'string')
      throw new InvalidDataPlaneSpecError(`${at}.environment`, `${at}.environment: expected a name`);
    if (!record(set['spec']) || !record(set['spec']['flags']))
      throw new InvalidDataPlaneSpecError(
        `${at}.spec.flags`,
        `${at}.spec.flags: expected a mapping of flags`,
      );
    return set as unknown as ServedFlagSet;
  });
}
