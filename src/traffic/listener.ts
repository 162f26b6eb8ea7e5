import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ClientConnection, type ClientConnectionHost } from './client-connection.js';
import type { Endpoint } from './endpoint.js';
import { ListenError, PortInUseError } from './errors.js';
import { headerLookupOf } from './header-route.js';
import { PROXY_ERROR } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';
import { RouteTable } from './route-table.js';

/** Behaviour of a listener, from `RouterOptions`. */
export interface ListenerOptions {
  /** Address to bind. */
  host: string;
  /** How long a request waits for a ready endpoint before it gets 503, ms. */
  holdTimeoutMs: number;
  /** Upper bound on the wait for in-flight requests when the listener closes, ms. */
  closeTimeoutMs: number;
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
      this.#connections.add(new ClientConnection(socket, this));
    });
  }

  /**
   * Bind the port.
   * @throws PortInUseError on EADDRINUSE; ListenError on any other bind failure.
   */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { code?: string }): void => {
        this.#server.off('listening', onListening);
        if (err.code === 'EADDRINUSE')
          reject(new PortInUseError(this.rollout, this.port, 'address in use', { cause: err }));
        else reject(new ListenError(this.rollout, this.port, err.message, { cause: err }));
      };
      const onListening = (): void => {
        this.#server.off('error', onError);
        this.#sweep = setInterval(() => this.#sweepNow(), SWEEP_MS);
        this.#sweep.unref();
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen({ port: this.port, host: this.#options.host, exclusive: true });
    });
  }

  #sweepNow(): void {
    const now = performance.now();
    for (const conn of this.#connections)
      conn.checkTimeouts(now, CLIENT_KEEP_ALIVE_TIMEOUT_MS, CLIENT_HEAD_TIMEOUT_MS);
  }

  /** Route a parsed request, or hold it while no weighted backend has a ready endpoint. */
  dispatch(conn: ClientConnection): void {
    const target = this.#route(conn);
    if (target !== undefined) {
      conn.start(target, target.pick()!);
      return;
    }
    conn.heldSince = Date.now();
    conn.holdTimer = setTimeout(() => this.#holdExpired(conn), this.#options.holdTimeoutMs);
    this.#held.add(conn);
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

  /** Target for the retry of a request that failed on `failed`: the same revision if it has another
   * endpoint, else another weighted revision, else the same endpoint again. */
  retryRoute(failed: Endpoint, target: RevisionTarget): RevisionTarget | undefined {
    if (target.endpoints.some((e) => e !== failed)) return target;
    const other = this.table.pick();
    return other ?? (target.endpoints.length > 0 ? target : undefined);
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
      const target = this.#route(conn);
      if (target === undefined) return;
      if (conn.holdTimer !== null) clearTimeout(conn.holdTimer);
      conn.holdTimer = null;
      this.#held.delete(conn);
      conn.start(target, target.pick()!);
    }
  }

  /**
   * Stop accepting connections and let in-flight requests finish (up to `closeTimeoutMs`); idle
   * keep-alive connections are closed at once and busy ones as soon as their response is out (it
   * says `Connection: close`).
   */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
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
      for (const conn of this.#connections) conn.socket.destroy();
    }
    await closed;
  }
}
