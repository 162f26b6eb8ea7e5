import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Client, Dispatcher } from 'undici';
import type { Endpoint } from './endpoint.js';
import { forwardRequestHeaders, forwardResponseHeaders } from './forwarded-headers.js';
import { PROXY_ERROR } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';

/** Methods RFC 9110 section 9.2.2 defines as idempotent: safe to send twice. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Errors raised before anything was sent: any bodyless request can go elsewhere. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The upstream closed a socket under the request (typically a keep-alive socket it just timed out). */
const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

const kExchange = Symbol('cutover.exchange');
interface ExchangeResponse extends ServerResponse {
  [kExchange]?: ProxyExchange;
}

/** Called with `this` = the response, so no closure is allocated per request. */
function onClientClose(this: ExchangeResponse): void {
  this[kExchange]?.clientClosed();
}

/** Value of Content-Length in a flat name/value list, or -1. */
function contentLengthOf(headers: string[]): number {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') return Number(headers[i + 1]);
  }
  return -1;
}

function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

/**
 * Picks another endpoint for a retry; provided by the listener (which may fall back to another
 * weighted revision).
 */
export type RetryRoute = (failed: Endpoint, target: RevisionTarget) => RevisionTarget | undefined;

/**
 * One proxied request: dispatches it to an endpoint's undici pool and streams the response back,
 * as an undici dispatch handler (the lowest-overhead undici API: no stream objects per request).
 *
 * Retry: a request without a body that fails before any response byte is retried once on another
 * endpoint when the failure is a connect error (nothing was sent) or, for idempotent methods, a
 * socket reset / close (RFC 9110 section 9.2.2 allows automatic retry of idempotent requests).
 * undici does not tell whether the failed socket was a reused keep-alive socket; the reset of a
 * reused socket that the upstream closed while idle is the case this exists for, and the same
 * retry on a fresh socket is equally allowed for idempotent methods. The retry goes over a new
 * one-request connection, never over another pooled (possibly equally stale) socket.
 *
 * Failures the proxy generates answer 502 (504 on upstream timeouts) and count as `proxyError`.
 * A request aborted by the client is not counted.
 */
export class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ExchangeResponse;
  #target: RevisionTarget;
  #endpoint: Endpoint;
  readonly #start: number;
  readonly #bodyless: boolean;
  readonly #retryRoute: RetryRoute;
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #responded = false;
  #retried = false;
  #done = false;
  #status = 0;
  /**
   * A body that arrived whole in one chunk (its length equals Content-Length, the common case for
   * small responses), held so that it goes out with the headers in one write via `res.end(chunk)`.
   * Anything else (streams, SSE) is written as it arrives.
   */
  #held: Buffer | null = null;
  /** The upstream's Content-Length, or -1. */
  #contentLength = -1;
  /** The one-off connection of a retry, closed when the exchange ends. */
  #fresh: Client | null = null;

  constructor(
    target: RevisionTarget,
    endpoint: Endpoint,
    req: IncomingMessage,
    res: ServerResponse,
    retryRoute: RetryRoute,
  ) {
    this.#target = target;
    this.#endpoint = endpoint;
    this.#req = req;
    this.#res = res;
    this.#retryRoute = retryRoute;
    this.#start = performance.now();
    const headers = req.headers;
    this.#bodyless = headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0';
  }

  /** Send the request upstream. */
  start(): void {
    const res = this.#res;
    res[kExchange] = this;
    res.on('close', onClientClose);
    this.#dispatch();
  }

  #dispatch(): void {
    const req = this.#req;
    this.#endpoint.inFlight++;
    this.#target.inFlight++;
    if (this.#retried) this.#fresh = this.#endpoint.freshClient();
    const dispatcher = this.#fresh ?? this.#endpoint.pool;
    dispatcher.dispatch(
      {
        path: req.url ?? '/',
        method: req.method as Dispatcher.HttpMethod,
        headers: forwardRequestHeaders(req.rawHeaders, req.socket.remoteAddress),
        body: this.#bodyless ? null : req,
      },
      this,
    );
  }

  /** The client connection closed: abort the upstream request if it is still running. */
  clientClosed(): void {
    if (this.#done) return;
    this.#abort?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#res.destroyed) abort();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx interim responses are not relayed (the router's server answers `Expect` itself).
    if (statusCode < 200) return true;
    this.#responded = true;
    this.#status = statusCode;
    this.#resume = resume;
    const res = this.#res;
    if (res.destroyed) return true;
    const forwarded = forwardResponseHeaders(headers);
    this.#contentLength = contentLengthOf(forwarded);
    res.writeHead(statusCode, statusText, forwarded);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.#res;
    if (res.destroyed) {
      this.#abort?.();
      return true;
    }
    if (chunk.length === this.#contentLength) {
      this.#held = chunk;
      return true;
    }
    if (res.write(chunk)) return true;
    // Backpressure from the client: undici pauses reading the upstream until 'drain'.
    if (this.#resume !== null) res.once('drain', this.#resume);
    return false;
  }

  onComplete(): void {
    const held = this.#held;
    this.#held = null;
    if (held === null) this.#res.end();
    else this.#res.end(held);
    this.#finish(((this.#status / 100) | 0) - 1);
  }

  onError(err: Error): void {
    const code = errorCode(err);
    const res = this.#res;
    if (res.destroyed) {
      this.#finish(-1);
      return;
    }
    if (!this.#responded && !this.#retried && this.#bodyless && this.#retryable(code)) {
      const target = this.#retryRoute(this.#endpoint, this.#target);
      const endpoint = target?.pick(this.#endpoint);
      if (target !== undefined && endpoint !== undefined) {
        this.#retried = true;
        this.#release();
        this.#target = target;
        this.#endpoint = endpoint;
        this.#dispatch();
        return;
      }
    }
    this.#held = null;
    if (res.headersSent || this.#responded) {
      // The status line is out: the only way to signal the failure is to cut the connection.
      res.destroy(err);
    } else {
      const status = TIMEOUT_ERRORS.has(code) ? 504 : 502;
      const body = status === 504 ? 'upstream timed out\n' : `upstream error: ${code || err.message}\n`;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
    this.#finish(PROXY_ERROR);
  }

  #retryable(code: string): boolean {
    if (CONNECT_ERRORS.has(code)) return true;
    return SOCKET_ERRORS.has(code) && IDEMPOTENT.has(this.#req.method ?? '');
  }

  #release(): void {
    this.#endpoint.release();
    this.#target.inFlight--;
  }

  /** @param outcome - index into OUTCOME_CLASSES, or -1 for "not counted" (client abort). */
  #finish(outcome: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#release();
    if (this.#fresh !== null) void this.#fresh.close().catch(() => undefined);
    if (outcome >= 0 && outcome <= PROXY_ERROR) {
      this.#target.recorder.record(outcome, (performance.now() - this.#start) / 1000, Date.now());
    }
  }
}
