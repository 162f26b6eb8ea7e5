import { type ChildProcess, fork } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { ChildProcessHost, type HostedProcess, type ProcessSpawnOptions } from '../platform/index.js';
import { readDataPlaneInfo, writeDataPlaneInfo } from './data-plane-info.js';
import { DataPlaneError } from './errors.js';
import type { DataPlaneInfo, RolloutDataPlaneSpec, RouterExit } from './protocol.js';
import {
  ADMIN_SOCKET_FILE,
  type RouterToSupervisor,
  type SupervisorFailure,
  type SupervisorToRouter,
} from './supervisor-protocol.js';

/** A bound, not yet listening socket handle (libuv's TCP or Pipe wrap), as `net` creates for `cluster`. */
type ServerHandle = object & {
  close(callback?: () => void): void;
  getsockname?(out: { port?: number }): number;
};
type CreateServerHandle = (
  address: string | null,
  port: number,
  addressType: number,
  fd?: number,
  flags?: number,
) => ServerHandle | number;

/**
 * `net._createServerHandle`: binds a socket without listening on it, so this process never
 * accepts a connection; the router process calls listen() on the handle it is sent. It is what
 * Node's own `cluster` uses to share a port with its workers (lib/internal/cluster/shared_handle.js).
 */
function serverHandleFactory(): CreateServerHandle {
  const create = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof create !== 'function')
    throw new DataPlaneError(
      'CUTOVER_E_DATAPLANE_START',
      `this Node.js (${process.version}) has no net._createServerHandle: the data plane cannot hold its sockets`,
      false,
    );
  return create.bind(net);
}

/** Router process exits kept for `GET /v1/state`. */
const MAX_EXITS_KEPT = 20;

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL), bytes. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  /** Data directory (`$CUTOVER_HOME`), made 0700. */
  home: string;
  /** Metrics port on 127.0.0.1 (`/metrics`, `/v1/sd`, `/healthz`); 0 picks a free one. */
  metricsPort: number;
  /** OFREP port (feature flag evaluation) on `routerHost`; 0 picks a free one. */
  ofrepPort: number;
  /** Address the public ports bind. @default '127.0.0.1' */
  routerHost?: string;
  /** Entry point of the router process (`dist/dataplane/router-main.js`). */
  routerEntry: string;
  /** Version reported in dataplane.json. */
  version: string;
  /**
   * The first crash is restarted at once; each further crash of a router process that ran less
   * than `restartResetAfterMs` waits this long, doubling, ms. @default 250
   */
  restartInitialMs?: number;
  /** Upper bound of that delay, ms. @default 8000 */
  restartMaxMs?: number;
  /** A router process that ran this long is restarted at once when it crashes, ms. @default 10000 */
  restartResetAfterMs?: number;
  /**
   * Keep a standby router process (started, modules loaded, holding nothing) that takes over at once
   * when the active one dies, rather than waiting for a new Node process to start. Costs one idle
   * Node process. @default true
   */
  standby?: boolean;
  /** Delay before a standby is started after a router process serves, ms. @default 1000 */
  standbyDelayMs?: number;
}

interface RouterProcess {
  child: ChildProcess;
  /** When it became the active router process (or was started, for a standby), ms since the epoch. */
  startedAt: number;
  /** It has taken over every socket and serves them. */
  ready: boolean;
}

/**
 * The data plane's supervisor: a small process that owns what must outlive a crash of the router
 * process (the listening sockets, the replica processes, the last desired state of each Rollout)
 * and restarts the router process when it dies, without the control plane. A new router process
 * takes the sockets and the running replicas over: no connection is refused (connections wait in
 * the sockets' backlog) and no replica restarts. It writes `<home>/dataplane.json` with its own pid
 * (`pid`) and the router process' (`routerPid`).
 *
 * It runs no request and no probe: its code is this file and the process host, so the router's
 * code cannot crash it.
 */
export class Supervisor {
  readonly #o: Required<Omit<SupervisorOptions, 'routerHost'>> & { routerHost: string };
  readonly #createHandle = serverHandleFactory();
  readonly #startedAt = Date.now();
  readonly #socketPath: string;
  #admin: ServerHandle | null = null;
  #metrics: ServerHandle | null = null;
  #metricsPort = 0;
  #ofrep: ServerHandle | null = null;
  #ofrepPort = 0;
  /** Public ports bound for router processes, by port. */
  readonly #listeners = new Map<number, { host: string; handle: ServerHandle }>();
  readonly #specs = new Map<string, RolloutDataPlaneSpec>();
  #processes: ChildProcessHost | null = null;
  #router: RouterProcess | null = null;
  /** A started router process waiting to be activated. */
  #standby: RouterProcess | null = null;
  #standbyTimer: NodeJS.Timeout | null = null;
  #generation = 0;
  /** The last router processes that died, oldest first; `replacedBy` 0 until a new one is started. */
  readonly #exits: RouterExit[] = [];
  #restartDelay: number;
  #restartTimer: NodeJS.Timeout | null = null;
  #exiting = false;
  #done: (() => void) | null = null;

  constructor(options: SupervisorOptions) {
    this.#o = {
      restartInitialMs: 250,
      restartMaxMs: 8_000,
      restartResetAfterMs: 10_000,
      standby: true,
      standbyDelayMs: 1_000,
      ...options,
      routerHost: options.routerHost ?? '127.0.0.1',
    };
    this.#restartDelay = 0;
    this.#socketPath = join(options.home, 'run', ADMIN_SOCKET_FILE);
  }

  /**
   * Bind the admin socket, the metrics port and the OFREP port, stop the replicas a killed predecessor orphaned,
   * and start the router process. Resolves when the supervisor exits (after a shutdown).
   * @throws DataPlaneError when a socket cannot be bound (another data plane of this directory
   *   runs; the metrics port is taken; the data directory's path is too long for a Unix socket).
   */
  async run(): Promise<void> {
    const home = this.#o.home;
    mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
    mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
    chmodSync(home, 0o700);
    chmodSync(join(home, 'run'), 0o700);
    await this.#bindAdminSocket();
    this.#metrics = this.#bindTcp('127.0.0.1', this.#o.metricsPort, 'metrics port');
    const out: { port?: number } = {};
    this.#metrics.getsockname?.(out);
    this.#metricsPort = out.port ?? this.#o.metricsPort;
    const ofrepHost =
      net.isIP(this.#o.routerHost) !== 0 ? this.#o.routerHost : (await lookup(this.#o.routerHost)).address;
    this.#ofrep = this.#bindTcp(ofrepHost, this.#o.ofrepPort, 'OFREP port');
    const ofrepOut: { port?: number } = {};
    this.#ofrep.getsockname?.(ofrepOut);
    this.#ofrepPort = ofrepOut.port ?? this.#o.ofrepPort;
    this.#processes = new ChildProcessHost({ registryDir: join(home, 'run', 'replicas') });
    const done = new Promise<void>((resolve) => {
      this.#done = resolve;
    });
    this.#activate(this.#fork());
    return done;
  }

  /** Graceful stop (SIGTERM, SIGINT): the router process stops everything, then both exit. */
  stop(): void {
    if (this.#exiting) return;
    this.#exiting = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    if (this.#standbyTimer !== null) clearTimeout(this.#standbyTimer);
    this.#standby?.child.kill('SIGTERM');
    this.#standby = null;
    const router = this.#router;
    if (router?.child.connected) this.#send(router.child, { type: 'stop' });
    else void this.#stopReplicas().then(() => this.#finish());
  }

  /** A socket whose path is free: an answering one means another data plane of this directory runs. */
  async #bindAdminSocket(): Promise<void> {
    const path = this.#socketPath;
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES)
      throw new DataPlaneError(
        'CUTOVER_E_DATAPLANE_SOCKET_PATH',
        `the admin socket path ${path} is longer than ${MAX_SOCKET_PATH_BYTES} bytes (Linux' limit): use a shorter CUTOVER_HOME`,
        false,
      );
    const answering = await new Promise<boolean>((resolve) => {
      const probe = net.connect(path);
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (answering)
      throw new DataPlaneError(
        'CUTOVER_E_DATAPLANE_RUNNING',
        `another data plane of ${this.#o.home} answers on ${path}`,
        false,
      );
    rmSync(path, { force: true });
    // Created 0600 from the start (no window in which another user could connect), then checked.
    const umask = process.umask(0o177);
    try {
      this.#admin = this.#bind(path, -1, -1, 'admin socket');
    } finally {
      process.umask(umask);
    }
    chmodSync(path, 0o600);
  }

  #bind(address: string, port: number, type: number, what: string): ServerHandle {
    const handle = this.#createHandle(address, port, type, undefined, 0);
    // libuv delays a TCP bind's EADDRINUSE to listen() (which happens in the router process, on a
    // copy of the socket that does not carry it); getsockname reports it now.
    const errno = typeof handle === 'number' ? handle : type === -1 ? 0 : (handle.getsockname?.({}) ?? 0);
    if (errno !== 0) {
      if (typeof handle !== 'number') handle.close();
      const code = getSystemErrorName(errno);
      throw Object.assign(
        new DataPlaneError(
          'CUTOVER_E_DATAPLANE_START',
          `cannot bind the ${what} ${address}:${port}: ${code}`,
          false,
        ),
        { errno: code },
      );
    }
    return handle as ServerHandle;
  }

  #bindTcp(host: string, port: number, what: string): ServerHandle {
    return this.#bind(host, port, net.isIPv6(host) ? 6 : 4, what);
  }

  #fork(): RouterProcess {
    const child = fork(this.#o.routerEntry, ['--home', this.#o.home], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CUTOVER_ROUTER_HOST: this.#o.routerHost },
      serialization: 'json',
    });
    const router: RouterProcess = { child, startedAt: Date.now(), ready: false };
    child.on('message', (message: RouterToSupervisor) => {
      void this.#onMessage(router, message).catch((err: unknown) =>
        this.#log(`message ${message.type}: ${String(err)}`),
      );
    });
    child.on('error', (err) => this.#log(`router process error: ${err.message}`));
    child.once('exit', (code, signal) => this.#onRouterExit(router, code, signal));
    return router;
  }

  /** Make a router process the active one: it takes the sockets, the states and the replicas over. */
  #activate(router: RouterProcess): void {
    this.#generation++;
    router.startedAt = Date.now();
    const last = this.#exits.at(-1);
    if (last !== undefined && last.replacedBy === 0) last.replacedBy = router.child.pid ?? 0;
    this.#router = router;
    this.#send(router.child, { type: 'activate' });
  }

  /** Start the next active router process: the standby when there is one, else a new process. */
  #startRouter(): void {
    this.#restartTimer = null;
    if (this.#exiting) return;
    const standby = this.#standby;
    this.#standby = null;
    this.#activate(standby?.child.connected ? standby : this.#fork());
  }

  /** A standby a while after the active router process serves (not to slow its start down). */
  #scheduleStandby(delayMs: number): void {
    if (!this.#o.standby || this.#exiting || this.#standby !== null || this.#standbyTimer !== null) return;
    this.#standbyTimer = setTimeout(() => {
      this.#standbyTimer = null;
      if (!this.#exiting && this.#standby === null) this.#standby = this.#fork();
    }, delayMs);
  }

  #onRouterExit(router: RouterProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#standby === router) {
      // A standby that died (a broken dist/, a kill): another one later, not in a loop.
      this.#standby = null;
      this.#log(`standby router process ${router.child.pid} ended (${signal ?? `exit ${code}`})`);
      this.#scheduleStandby(this.#o.restartMaxMs);
      return;
    }
    if (this.#router !== router) return;
    this.#router = null;
    if (this.#exiting) {
      void this.#stopReplicas().then(() => this.#finish());
      return;
    }
    const ranMs = Date.now() - router.startedAt;
    this.#exits.push({
      at: Date.now(),
      pid: router.child.pid ?? 0,
      cause: signal ?? `exit ${code}`,
      replacedBy: 0,
    });
    if (this.#exits.length > MAX_EXITS_KEPT) this.#exits.shift();
    // A router process that ran a while is replaced at once; one that keeps crashing backs off.
    if (ranMs >= this.#o.restartResetAfterMs) this.#restartDelay = 0;
    const delay = this.#restartDelay;
    this.#restartDelay = Math.min(Math.max(this.#o.restartInitialMs, delay * 2), this.#o.restartMaxMs);
    this.#log(
      `router process ${router.child.pid} ended (${signal ?? `exit ${code}`}) after ${ranMs} ms; ${
        delay === 0 ? 'replaced at once' : `replacing it in ${delay} ms`
      }${delay === 0 && this.#standby?.child.connected ? ' by the standby' : ''}`,
    );
    if (delay === 0) this.#startRouter();
    else this.#restartTimer = setTimeout(() => this.#startRouter(), delay);
  }

  async #onMessage(router: RouterProcess, message: RouterToSupervisor): Promise<void> {
    const child = router.child;
    switch (message.type) {
      case 'hello':
        return this.#welcome(child);
      case 'bind':
        return this.#bindFor(child, message.id, message.host, message.port);
      case 'release': {
        const held = this.#listeners.get(message.port);
        this.#listeners.delete(message.port);
        held?.handle.close();
        return;
      }
      case 'spec':
        if (message.spec === null) this.#specs.delete(message.rollout);
        else this.#specs.set(message.rollout, message.spec);
        return;
      case 'spawn':
        return this.#spawnFor(child, message.id, message.options);
      case 'ready':
        router.ready = true;
        this.#writeInfo(router);
        this.#scheduleStandby(this.#o.standbyDelayMs);
        return;
      case 'exit':
        this.#exiting = true;
        return;
    }
  }

  #welcome(child: ChildProcess): void {
    this.#send(child, { type: 'admin' }, this.#admin!);
    this.#send(child, { type: 'metrics' }, this.#metrics!);
    this.#send(child, { type: 'ofrep' }, this.#ofrep!);
    for (const [port, { host, handle }] of this.#listeners)
      this.#send(child, { type: 'listener', host, port }, handle);
    for (const [rollout, spec] of this.#specs) this.#send(child, { type: 'spec', rollout, spec });
    for (const proc of this.#processes!.live())
      this.#send(child, { type: 'process', pid: proc.pid, tag: proc.tag });
    this.#send(child, {
      type: 'welcome',
      generation: this.#generation,
      supervisorPid: process.pid,
      startedAt: this.#startedAt,
      routerExits: this.#exits.map((e) => ({ ...e })),
    });
  }

  async #bindFor(child: ChildProcess, id: number, host: string, port: number): Promise<void> {
    const held = this.#listeners.get(port);
    if (held !== undefined) {
      // A router process asks again for a port it already has: the same socket.
      this.#send(child, { type: 'bound', id, port }, held.handle);
      return;
    }
    try {
      const address = net.isIP(host) !== 0 ? host : (await lookup(host)).address;
      const handle = this.#bindTcp(address, port, 'port');
      this.#listeners.set(port, { host, handle });
      this.#send(child, { type: 'bound', id, port }, handle);
    } catch (err) {
      const e = err as Error & { errno?: string; code?: string };
      this.#send(child, { type: 'bound', id, port, error: failure(e.errno ?? e.code ?? 'EIO', e.message) });
    }
  }

  async #spawnFor(child: ChildProcess, id: number, options: ProcessSpawnOptions): Promise<void> {
    let proc: HostedProcess;
    try {
      proc = await this.#processes!.spawn(options);
    } catch (err) {
      const e = err as Error & { code?: string };
      this.#send(child, { type: 'spawned', id, error: failure(e.code ?? 'EIO', e.message) });
      return;
    }
    this.#send(child, { type: 'spawned', id, pid: proc.pid });
    void proc.exited.then((code) => {
      const router = this.#router;
      if (router?.child.connected) this.#send(router.child, { type: 'exited', pid: proc.pid, code });
    });
  }

  #send(child: ChildProcess, message: SupervisorToRouter, handle?: ServerHandle): void {
    if (!child.connected) return;
    // biome-ignore lint/suspicious/noExplicitAny: a raw libuv handle is a valid sendHandle (as cluster sends it).
    child.send(message, handle as any, (err) => {
      if (err) this.#log(`cannot send ${message.type}: ${err.message}`);
    });
  }

  #writeInfo(router: RouterProcess): void {
    const info: DataPlaneInfo = {
      pid: process.pid,
      routerPid: router.child.pid ?? 0,
      adminSocket: this.#socketPath,
      metricsPort: this.#metricsPort,
      ofrepPort: this.#ofrepPort,
      startedAt: this.#startedAt,
      routerStartedAt: router.startedAt,
      routerRestarts: this.#generation - 1,
      version: this.#o.version,
    };
    writeDataPlaneInfo(this.#o.home, info);
  }

  /** No router process to do it: SIGTERM every replica, SIGKILL what is left after 10 s. */
  async #stopReplicas(): Promise<void> {
    const live = this.#processes?.live() ?? [];
    for (const proc of live) signalGroup(proc.pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    for (const proc of live) {
      const left = deadline - Date.now();
      const ended = await Promise.race([
        proc.exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), Math.max(0, left))),
      ]);
      if (!ended) signalGroup(proc.pid, 'SIGKILL');
    }
  }

  #finish(): void {
    for (const { handle } of this.#listeners.values()) handle.close();
    this.#listeners.clear();
    this.#admin?.close();
    this.#metrics?.close();
    this.#ofrep?.close();
    rmSync(this.#socketPath, { force: true });
    if (readDataPlaneInfo(this.#o.home)?.pid === process.pid)
      rmSync(join(this.#o.home, 'dataplane.json'), { force: true });
    this.#done?.();
  }

  #log(text: string): void {
    process.stderr.write(`cutover data plane supervisor: ${text}\n`);
  }
}

function failure(code: string, message: string): SupervisorFailure {
  return { code, message };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
