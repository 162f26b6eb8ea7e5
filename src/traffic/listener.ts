import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClientConnection, type ClientConnectionHost } from './client-connection.js';
import type { ConnectionBudget } from './connection-budget.js';
import type { Endpoint } from './endpoint.js';
import { ListenError, PortInUseError } from './errors.js';
import { headerLookupOf } from './header-route.js';
import type { MirrorSender } from './mirror-copy.js';
import type { OutlierDetector } from './outlier-detection.js';
import type { PortBinder } from './port-binder.js';
import { PROXY_ERROR } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';
import { RouteTable } from './route-table.js';
import type { SessionTable } from './session-table.js';

/** Behaviour of a listener, from `RouterOptions`. */
export interface ListenerOptions {
  /** Address to bind. */
  host: string;
  /** How long a request waits for a ready endpoint before it gets 503, ms. */
  holdTimeoutMs: number;
  /** Upper bound on the wait for in-flight requests when the listener closes, ms. */
  closeTimeoutMs: number;
  /** Owner of the listening socket. */
  binder: PortBinder;
  /** Client connections open across the router's listeners, and their cap. */
  budget: ConnectionBudget;
}

/**
 * Idle time after which a client keep-alive connection is closed, ms: the router sits in front of
 * long-lived clients, so longer than Node's 5 s (and than the 60 s of common load balancers).
 */
const CLIENT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Time allowed to receive a whole request head, ms (then 408), as Node's `headersTimeout`. */
const CLIENT_HEAD_TIMEOUT_MS = 66_000;
/** Period of the client timeout sweep, ms. */
const SWEEP_MS = 1_000;
const NO_ENDPOINT_BODY = 'no ready endpoint\n';
/** Answer to a connection over the router's connection cap, sent before closing it. */
const TOO_MANY_CONNECTIONS =
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 21\r\nretry-after: 1\r\nconnection: close\r\n\r\ntoo many connections\n';
/** How long a refused connection may linger for the client to read the 503 before it is cut, ms. */
const REFUSED_LINGER_MS = 1_000;

/**
 * One public port of one Rollout: a TCP server whose connections are {@link ClientConnection}s,
 * each request routed by the listener's current {@link RouteTable}. Replacing the table never
 * affects requests already dispatched.
 *
 * A request that finds no weighted backend with a ready endpoint is held (for up to
 * `holdTimeoutMs`) until one becomes ready, then answered 503: this is what makes `recreate`
 * lossless and a brief period without ready replicas invisible to clients.
 */
export class Listener implements ClientConnectionHost {
  readonly rollout: string;
  readonly port: number;
  table: RouteTable = new RouteTable([], []);
  /** Session affinity of this port; null when the Rollout has none. */
  sessions: SessionTable | null = null;
  /** The Rollout's outlier detection; null when it has none. */
  outliers: OutlierDetector | null = null;
  /** The router's sender of mirrored copies; null: mirror routes copy nothing. */
  mirrors: MirrorSender | null = null;
  closing = false;
  readonly #server: Server;
  readonly #options: ListenerOptions;
  readonly #connections = new Set<ClientConnection>();
  readonly #held = new Set<ClientConnection>();
  #sweep: NodeJS.Timeout | null = null;

  constructor(rollout: string, port: number, options: ListenerOptions) {
    this.rollout = rollout;
    this.port = port;
    this.#options = options;
    this.#server = createServer({ noDelay: true }, (socket: Socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      const budget = this.#options.budget;
      if (budget.full && !this.#evictIdle()) {
        this.#refuse(socket);
        return;
      }
      budget.open++;
      socket.once('close', () => budget.open--);
      this.#connections.add(new ClientConnection(socket, this));
    });
  }

  /**
   * Bind the port.
   * @throws PortInUseError on EADDRINUSE; ListenError on any other bind failure.
   */
  async listen(): Promise<void> {
    let target: Awaited<ReturnType<PortBinder['bind']>>;
    try {
      target = await this.#options.binder.bind(this.#options.host, this.port);
    } catch (err) {
      throw this.#bindError(err as Error & { code?: string });
    }
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error & { code?: string }): void => {
        this.#server.off('listening', onListening);
        this.#options.binder.release(this.port);
        reject(this.#bindError(err));
      };
      const onListening = (): void => {
        this.#server.off('error', onError);
        this.#sweep = setInterval(() => this.#sweepNow(), SWEEP_MS);
        this.#sweep.unref();
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen(target);
    });
  }

  #bindError(err: Error & { code?: string }): PortInUseError | ListenError {
    if (err.code === 'EADDRINUSE')
      return new PortInUseError(this.rollout, this.port, 'address in use', { cause: err });
    return new ListenError(this.rollout, this.port, err.message, { cause: err });
  }

  /**
   * At the connection cap: close this listener's longest-idle keep-alive connection to make room
   * (an idle client reconnects when it next needs to; nothing it sent is lost).
   * @returns false when none of its connections is idle.
   */
  #evictIdle(): boolean {
    let oldest: ClientConnection | undefined;
    for (const conn of this.#connections) {
      if (conn.idleSince < (oldest?.idleSince ?? Number.POSITIVE_INFINITY)) oldest = conn;
    }
    if (oldest === undefined) return false;
    this.forget(oldest);
    oldest.socket.destroy();
    return true;
  }

  /** Over the cap with nothing idle to close: a clear 503, then the connection is closed. */
  #refuse(socket: Socket): void {
    this.#options.budget.rejected++;
    socket.on('error', () => undefined);
    socket.end(TOO_MANY_CONNECTIONS, 'latin1');
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
  }

  #sweepNow(): void {
    const now = performance.now();
    for (const conn of this.#connections)
      conn.checkTimeouts(now, CLIENT_KEEP_ALIVE_TIMEOUT_MS, CLIENT_HEAD_TIMEOUT_MS);
    this.sessions?.sweep(Date.now());
  }

  /** Route a parsed request, or hold it while no weighted backend has a ready endpoint. */
  dispatch(conn: ClientConnection): void {
    const choice = this.#choose(conn);
    if (choice !== undefined) {
      this.#start(conn, choice.target, choice.endpoint);
      return;
    }
    conn.heldSince = Date.now();
    conn.holdTimer = setTimeout(() => this.#holdExpired(conn), this.#options.holdTimeoutMs);
    this.#held.add(conn);
  }

  /**
   * The target and endpoint of a request: its session's when the port has session affinity (a new
   * session takes the routed pick, and a new Cookie session's response sets the cookie), else the
   * routed pick and the target's next endpoint. Undefined when nothing is ready (hold it).
   */
  #choose(conn: ClientConnection): { target: RevisionTarget; endpoint: Endpoint } | undefined {
    const sessions = this.sessions;
    if (sessions === null) {
      const target = this.#route(conn);
      return target === undefined ? undefined : { target, endpoint: target.pick()! };
    }
    const choice = sessions.choose(
      { clientIp: conn.socket.remoteAddress, header: headerLookupOf(conn.requestHead) },
      (target) => this.table.weighted(target),
      () => this.#route(conn),
      Date.now(),
    );
    conn.setCookie = choice?.setCookie ?? null;
    return choice;
  }

  /** Header routes first (only when the listener has some: no per-request cost otherwise), then weights. */
  #route(conn: ClientConnection): RevisionTarget | undefined {
    const table = this.table;
    return table.headerRoutes.length > 0 ? table.route(headerLookupOf(conn.requestHead)) : table.pick();
  }

  #holdExpired(conn: ClientConnection): void {
    this.#held.delete(conn);
    conn.holdTimer = null;
    if (!conn.held) return;
    const since = conn.heldSince;
    conn.answer(503, NO_ENDPOINT_BODY, 'retry-after: 1\r\n');
    this.table.primary()?.recorder.record(PROXY_ERROR, (Date.now() - since) / 1000, Date.now());
  }

  /**
   * Target for the retry of a request that failed on `failed` before any response byte: the same
   * revision if it has another ready endpoint; else another weighted revision with a ready
   * endpoint (when the last ready replica of a revision dies, its requests go to the other
   * revision's replicas rather than fail); else the same endpoint again, over a fresh connection
   * (an upstream that closed a reused keep-alive socket as the request arrived).
   */
  retryRoute(failed: Endpoint, target: RevisionTarget): RevisionTarget | undefined {
    if (target.endpoints.some((e) => e !== failed)) return target;
    return this.table.pick(failed) ?? (target.endpoints.length > 0 ? target : undefined);
  }

  outcome(target: RevisionTarget, endpoint: Endpoint, status: number): void {
    this.outliers?.observe(target, endpoint, status, Date.now());
  }

  forget(conn: ClientConnection): void {
    this.#connections.delete(conn);
    if (this.#held.delete(conn) && conn.holdTimer !== null) {
      clearTimeout(conn.holdTimer);
      conn.holdTimer = null;
    }
  }

  /** Dispatch the held requests that can now be routed (called when endpoints or weights change). */
  releaseHeld(): void {
    if (this.#held.size === 0) return;
    for (const conn of this.#held) {
      if (!conn.held) {
        this.#held.delete(conn);
        if (conn.holdTimer !== null) clearTimeout(conn.holdTimer);
        conn.holdTimer = null;
        continue;
      }
      const choice = this.#choose(conn);
      if (choice === undefined) return;
      if (conn.holdTimer !== null) clearTimeout(conn.holdTimer);
      conn.holdTimer = null;
      this.#held.delete(conn);
      this.#start(conn, choice.target, choice.endpoint);
    }
  }

  /**
   * Start a routed request, with a mirrored copy when a mirror route selects it (only mirror
   * routes cost anything per request: none, nothing is looked at). A request routed to the mirror's
   * own revision is not copied.
   */
  #start(conn: ClientConnection, target: RevisionTarget, endpoint: Endpoint): void {
    const routes = this.table.mirrorRoutes;
    if (routes.length > 0) {
      const head = conn.requestHead;
      const header = headerLookupOf(head);
      for (const route of routes) {
        if (route.target === target || route.target.endpoints.length === 0) continue;
        if (route.selects(head, header)) {
          conn.mirror = this.mirrors?.begin(route) ?? null;
          break;
        }
      }
    }
    conn.start(target, endpoint);
  }

  /**
   * Stop accepting connections and let in-flight requests finish (up to `closeTimeoutMs`); idle
   * keep-alive connections are closed at once and busy ones as soon as their response is out (it
   * says `Connection: close`).
   */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#options.binder.release(this.port);
    const deadline = Date.now() + this.#options.closeTimeoutMs;
    for (;;) {
      for (const conn of this.#connections) conn.closeIfIdle();
      if (this.#connections.size === this.#held.size || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const conn of this.#held) {
      if (conn.holdTimer !== null) clearTimeout(conn.holdTimer);
      conn.holdTimer = null;
      if (conn.held) conn.answer(503, '', '');
    }
    this.#held.clear();
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
    if (this.#connections.size > 0) {
      // Give the answers above a moment to flush, then cut what is left.
      await new Promise((r) => setTimeout(r, 50));
      for (const conn of this.#connections) conn.goAway();
    }
    await closed;
  }
}
