import { performance } from 'node:perf_hooks';
import { UpstreamConnection, type UpstreamOwner } from './upstream-connection.js';
import { UpstreamPolicy } from './upstream-policy.js';

/** Where one replica listens, as the platform reports it to the router. */
export interface EndpointAddress {
  /** Stable id of the replica (`<rollout>-r<revision>-<n>`). */
  id: string;
  host: string;
  /** TCP port, 1..65535. */
  port: number;
}

/** Timeouts of the keep-alive pool to one endpoint. */
export interface EndpointPoolOptions {
  /** Connect timeout, ms. */
  connectTimeoutMs: number;
  /** Time to wait for the response headers, ms. */
  headersTimeoutMs: number;
  /** Maximum idle time between two body chunks, ms. */
  bodyTimeoutMs: number;
}

/** Idle keep-alive sockets kept per endpoint; more are closed when released. */
const DEFAULT_MAX_IDLE_SOCKETS = 256;
/**
 * How long an idle socket is kept, ms: below the 5 s keep-alive timeout of Node's HTTP server, the
 * most common upstream, so that the router rarely reuses a socket the upstream is closing.
 */
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;
/** Margin kept below an upstream's `Keep-Alive: timeout=N` hint, ms. */
const HINT_MARGIN_MS = 1_000;
/**
 * Period of the timeout sweep, ms: timeouts are enforced with this granularity. A Rollout whose
 * `trafficPolicy` sets shorter timeouts gets a tenth of its shortest one, at least
 * {@link MIN_SWEEP_MS}, so that a 200 ms per-try timeout fires within about 20 ms.
 */
const SWEEP_MS = 1_000;
const MIN_SWEEP_MS = 20;

/**
 * One replica as the router sees it: its keep-alive connection pool and the number of requests in
 * flight to it (the platform waits for that number to reach 0 before it stops the replica).
 *
 * The pool: idle sockets are reused last-in first-out (the most recently used socket is the least
 * likely to have been closed by the upstream), at most {@link DEFAULT_MAX_IDLE_SOCKETS} are kept,
 * each for {@link DEFAULT_IDLE_TIMEOUT_MS} (less if the upstream's Keep-Alive hint says so). By
 * default the number of busy sockets is not bounded: it follows the client concurrency, as nginx
 * does without `max_conns`. A Rollout's `connectionPool` (as Istio's) caps the connections
 * (`maxConnections`; requests then wait in a queue, bounded per revision by
 * `http1MaxPendingRequests`, handed the next connection that frees up) and the requests per
 * connection (`maxRequestsPerConnection`). Timeouts (connect, response head, body idle, queue wait)
 * are enforced by one sweep per second over the endpoint's sockets rather than a timer per request.
 */
export class Endpoint {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly options: EndpointPoolOptions;
  /** `Host` field line for requests that came without one (HTTP/1.0), with CRLF. */
  readonly hostField: string;
  /** Requests dispatched to this endpoint and not finished. */
  inFlight = 0;
  /** The Rollout and revision whose endpoints it was last set as (for the streams cut when it drains). */
  rollout = '';
  revision = 0;
  /** The Rollout's connection pool limits (shared, updated in place). */
  policy = new UpstreamPolicy();
  /** Requests waiting for a connection (at `maxConnections`), oldest first, with their deadlines. */
  readonly #queue: { owner: UpstreamOwner; deadline: number }[] = [];
  #idleWaiters: (() => void)[] = [];
  readonly #idle: UpstreamConnection[] = [];
  readonly #sockets = new Set<UpstreamConnection>();
  #sweep: NodeJS.Timeout | null = null;
  #closed = false;
  #onEmpty: (() => void) | null = null;

  constructor(address: EndpointAddress, options: EndpointPoolOptions) {
    this.options = options;
    this.id = address.id;
    this.host = address.host;
    this.port = address.port;
    this.hostField = `host: ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}\r\n`;
  }

  /**
   * An idle pooled connection (most recently used first), or a new one while fewer than the
   * policy's `maxConnections` are open; null when at the limit with none idle (then
   * {@link enqueue} the request).
   * @param fresh - prefer a new connection (a retry; a pooled one only at the limit).
   */
  acquire(fresh: boolean): UpstreamConnection | null {
    const below = this.#sockets.size < this.policy.maxConnections;
    let conn: UpstreamConnection | null = null;
    if (fresh && below) conn = this.connect();
    else {
      const idle = this.#idle;
      while (idle.length > 0 && conn === null) {
        const c = idle.pop()!;
        if (!c.closed) conn = c;
      }
      if (conn === null && below) conn = this.connect();
    }
    if (conn !== null) conn.requests++;
    return conn;
  }

  /**
   * Wait for a connection: `owner.upstreamAssigned` when one frees up, or
   * `owner.upstreamQueueTimeout` once `deadline` (`performance.now()` ms) passes.
   */
  enqueue(owner: UpstreamOwner, deadline: number): void {
    this.#queue.push({ owner, deadline });
    this.#startSweep();
  }

  /** Stop waiting (the client went away). */
  dequeue(owner: UpstreamOwner): void {
    const i = this.#queue.findIndex((w) => w.owner === owner);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /** Hand `conn` (idle, or new) to the oldest waiting request; false when none waits. */
  #handOff(conn: UpstreamConnection | null): boolean {
    const waiter = this.#queue.shift();
    if (waiter === undefined) return false;
    const c = conn ?? this.connect();
    c.requests++;
    waiter.owner.upstreamAssigned(c);
    return true;
  }

  /**
   * A new connection, never a pooled one: used for a retry, since a fresh socket cannot be a stale
   * keep-alive socket, which is what the first attempt most likely failed on.
   */
  connect(): UpstreamConnection {
    const conn = new UpstreamConnection(this);
    this.#sockets.add(conn);
    this.#startSweep();
    return conn;
  }

  #startSweep(): void {
    if (this.#sweep !== null) return;
    const policy = this.policy;
    const shortest = Math.min(
      policy.timeoutMs ?? Number.POSITIVE_INFINITY,
      policy.connectTimeoutMs ?? Number.POSITIVE_INFINITY,
      policy.retry?.perTryTimeoutMs ?? Number.POSITIVE_INFINITY,
    );
    const period = Math.max(MIN_SWEEP_MS, Math.min(SWEEP_MS, shortest / 10));
    this.#sweep = setInterval(() => this.#sweepNow(), period);
    this.#sweep.unref();
  }

  /**
   * Return a connection whose exchange completed cleanly to the pool (or close it when the pool is
   * closed or full).
   * @param keepAliveHintMs - the upstream's `Keep-Alive: timeout`, ms, or -1.
   */
  park(conn: UpstreamConnection, keepAliveHintMs: number): void {
    conn.owner = null;
    conn.deadline = Number.POSITIVE_INFINITY;
    const max = this.policy.maxRequestsPerConnection;
    if (this.#closed || conn.closed || (max > 0 && conn.requests >= max)) {
      conn.socket.destroy();
      return;
    }
    if (this.#handOff(conn)) return;
    if (this.#idle.length >= DEFAULT_MAX_IDLE_SOCKETS) {
      conn.socket.destroy();
      return;
    }
    conn.idleTimeoutMs =
      keepAliveHintMs < 0
        ? DEFAULT_IDLE_TIMEOUT_MS
        : Math.min(DEFAULT_IDLE_TIMEOUT_MS, keepAliveHintMs - HINT_MARGIN_MS);
    if (conn.idleTimeoutMs <= 0) {
      conn.socket.destroy();
      return;
    }
    conn.idleSince = performance.now();
    this.#idle.push(conn);
  }

  /** A connection closed (called by the connection). */
  forget(conn: UpstreamConnection): void {
    this.#sockets.delete(conn);
    const i = this.#idle.lastIndexOf(conn);
    if (i >= 0) this.#idle.splice(i, 1);
    // A waiting request gets a new connection in its place.
    if (!this.#closed && this.#queue.length > 0 && this.#sockets.size < this.policy.maxConnections)
      this.#handOff(null);
    if (this.#sockets.size === 0 && this.#queue.length === 0) {
      if (this.#sweep !== null) clearInterval(this.#sweep);
      this.#sweep = null;
      this.#onEmpty?.();
    }
  }

  #sweepNow(): void {
    const now = performance.now();
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const waiter = this.#queue[i]!;
      if (waiter.deadline < now) {
        this.#queue.splice(i, 1);
        waiter.owner.upstreamQueueTimeout();
      }
    }
    for (const conn of this.#sockets) {
      const owner = conn.owner;
      if (owner !== null) {
        if (now > conn.deadline) owner.upstreamTimeout();
      } else if (now - conn.idleSince > conn.idleTimeoutMs) conn.socket.destroy();
    }
  }

  /** One request finished (successfully or not). */
  release(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /**
   * Resolve once no request is in flight, or after `timeoutMs`.
   * @returns the number of requests still in flight (0 when drained).
   */
  whenIdle(timeoutMs: number): Promise<number> {
    if (this.inFlight === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.inFlight);
      };
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== wake);
        resolve(this.inFlight);
      }, timeoutMs);
      this.#idleWaiters.push(wake);
    });
  }

  /**
   * Close the idle keep-alive sockets at once; busy sockets close when their request finishes, and
   * any still open after `timeoutMs` are cut (a WebSocket gets a close frame 1001, see
   * `ClientConnection.upstreamCut`). Idempotent.
   */
  async close(timeoutMs = 1_000): Promise<void> {
    this.#closed = true;
    for (const conn of this.#idle.splice(0)) conn.socket.destroy();
    for (const waiter of this.#queue.splice(0)) waiter.owner.upstreamQueueTimeout();
    if (this.#sockets.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#onEmpty = resolve;
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.#onEmpty = null;
    for (const conn of [...this.#sockets]) {
      if (conn.owner !== null) conn.owner.upstreamCut();
      else conn.socket.destroy();
    }
  }
}
