import { connect, type Socket } from 'node:net';
import type { Endpoint } from './endpoint.js';

/** The request currently using an {@link UpstreamConnection}: receives its socket's events. */
export interface UpstreamOwner {
  /** The socket connected; the request head can be written. */
  upstreamConnected(): void;
  /** Response bytes. */
  upstreamData(chunk: Buffer): void;
  /** The upstream closed its side (FIN). */
  upstreamEnd(): void;
  /** The socket failed or closed. @param code - the socket error code, or `UND_ERR_SOCKET`. */
  upstreamError(code: string): void;
  /** The socket's write buffer drained (request body backpressure). */
  upstreamDrain(): void;
  /** `deadline` passed (checked about once a second by the endpoint). */
  upstreamTimeout(): void;
  /** The endpoint is closing with the request still open: end it (close a tunnel, cut the rest). */
  upstreamCut(): void;
  /** A connection freed up for a request that waited for one (`connectionPool` limits). */
  upstreamAssigned(conn: UpstreamConnection): void;
  /** The request waited for a connection until its deadline passed, or the endpoint closed. */
  upstreamQueueTimeout(): void;
}

/**
 * One keep-alive TCP connection to an endpoint, used by one request at a time (no pipelining
 * upstream). Its socket's listeners are installed once per connection and forward to the current
 * {@link owner}, so that no closure is allocated per request.
 */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly endpoint: Endpoint;
  /** The request using the connection; null while idle in the pool. */
  owner: UpstreamOwner | null = null;
  connected = false;
  closed = false;
  /** When the owner's current wait expires, `performance.now()` ms; Infinity for none. */
  deadline = Number.POSITIVE_INFINITY;
  /** Since when the connection is idle in the pool, `performance.now()` ms. */
  idleSince = 0;
  /** How long it may stay idle, ms (the pool's limit, lowered by the upstream's Keep-Alive hint). */
  idleTimeoutMs = 0;
  /** Requests it carried (or carries), for `maxRequestsPerConnection`. */
  requests = 0;
  #errorCode = '';

  constructor(endpoint: Endpoint) {
    this.endpoint = endpoint;
    const socket = connect({ host: endpoint.host, port: endpoint.port, noDelay: true });
    this.socket = socket;
    socket.on('connect', () => {
      this.connected = true;
      this.owner?.upstreamConnected();
    });
    socket.on('data', (chunk: Buffer) => {
      const owner = this.owner;
      // Bytes on an idle connection are a protocol error: the connection cannot be reused.
      if (owner === null) socket.destroy();
      else owner.upstreamData(chunk);
    });
    socket.on('end', () => this.owner?.upstreamEnd());
    socket.on('drain', () => this.owner?.upstreamDrain());
    socket.on('error', (err: Error & { code?: string }) => {
      this.#errorCode = err.code ?? 'UND_ERR_SOCKET';
    });
    socket.on('close', () => {
      this.closed = true;
      endpoint.forget(this);
      const owner = this.owner;
      this.owner = null;
      owner?.upstreamError(this.#errorCode || 'UND_ERR_SOCKET');
    });
  }
}
