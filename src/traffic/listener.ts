import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Endpoint } from './endpoint.js';
import { ListenError, PortInUseError } from './errors.js';
import { ProxyExchange } from './proxy-exchange.js';
import { PROXY_ERROR } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';
import { RouteTable } from './route-table.js';

interface HeldRequest {
  req: IncomingMessage;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  since: number;
}

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
 * One public port of one Rollout: an HTTP/1.1 server whose requests are routed by the listener's
 * current {@link RouteTable}. Replacing the table never affects requests already dispatched.
 *
 * A request that finds no weighted backend with a ready endpoint is held (for up to
 * `holdTimeoutMs`) until one becomes ready, then answered 503: this is what makes `recreate`
 * lossless and a brief period without ready replicas invisible to clients.
 */
export class Listener {
  readonly rollout: string;
  readonly port: number;
  table: RouteTable = new RouteTable([], []);
  readonly #server: Server;
  readonly #options: ListenerOptions;
  readonly #held = new Set<HeldRequest>();
  readonly #retryRoute = (failed: Endpoint, target: RevisionTarget): RevisionTarget | undefined => {
    if (target.endpoints.some((e) => e !== failed)) return target;
    const other = this.table.pick();
    return other ?? (target.endpoints.length > 0 ? target : undefined);
  };

  constructor(rollout: string, port: number, options: ListenerOptions) {
    this.rollout = rollout;
    this.port = port;
    this.#options = options;
    this.#server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.#onRequest(req, res));
    // The router sits in front of long-lived clients: keep their connections longer than Node's 5 s.
    this.#server.keepAliveTimeout = 65_000;
    this.#server.headersTimeout = 66_000;
    this.#server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
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
        resolve();
      };
      this.#server.once('error', onError);
      this.#server.once('listening', onListening);
      this.#server.listen({ port: this.port, host: this.#options.host, exclusive: true });
    });
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const target = this.table.pick();
    if (target === undefined) {
      this.#hold(req, res);
      return;
    }
    new ProxyExchange(target, target.pick()!, req, res, this.#retryRoute).start();
  }

  #hold(req: IncomingMessage, res: ServerResponse): void {
    const held: HeldRequest = {
      req,
      res,
      since: Date.now(),
      timer: setTimeout(() => {
        this.#held.delete(held);
        if (res.destroyed) return;
        const body = 'no ready endpoint\n';
        res.writeHead(503, {
          'content-type': 'text/plain',
          'content-length': body.length,
          'retry-after': '1',
        });
        res.end(body);
        this.table.primary()?.recorder.record(PROXY_ERROR, (Date.now() - held.since) / 1000, Date.now());
      }, this.#options.holdTimeoutMs),
    };
    this.#held.add(held);
  }

  /** Dispatch the held requests that can now be routed (called when endpoints or weights change). */
  releaseHeld(): void {
    if (this.#held.size === 0) return;
    for (const held of this.#held) {
      if (held.res.destroyed) {
        clearTimeout(held.timer);
        this.#held.delete(held);
        continue;
      }
      const target = this.table.pick();
      if (target === undefined) return;
      clearTimeout(held.timer);
      this.#held.delete(held);
      new ProxyExchange(target, target.pick()!, held.req, held.res, this.#retryRoute).start();
    }
  }

  /**
   * Stop accepting connections and let in-flight requests finish (up to `closeTimeoutMs`); idle
   * keep-alive connections are closed at once and busy ones as soon as they become idle.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeIdleConnections();
    const deadline = Date.now() + this.#options.closeTimeoutMs;
    let done = false;
    void closed.then(() => {
      done = true;
    });
    while (!done && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      this.#server.closeIdleConnections();
    }
    for (const held of this.#held) {
      clearTimeout(held.timer);
      if (!held.res.destroyed) held.res.writeHead(503, { 'content-length': 0 }).end();
    }
    this.#held.clear();
    if (!done) {
      this.#server.closeAllConnections();
      await closed;
    }
  }
}
