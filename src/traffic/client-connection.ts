import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CHUNKED_MALFORMED, ChunkedBody, type ChunkSink } from './chunked-body.js';
import type { Endpoint } from './endpoint.js';
import { CR, findHeadEnd, LF } from './head-fields.js';
import { MAX_MIRROR_BODY_BYTES, type MirrorCopy } from './mirror-copy.js';
import { BODY_LENGTH, BODY_NONE, RequestHead } from './request-head.js';
import {
  FRAMING_CHUNKED,
  FRAMING_CLOSE,
  FRAMING_LENGTH,
  FRAMING_NONE,
  ResponseHead,
} from './response-head.js';
import { TRY_CONNECT, TRY_RESET, TRY_STATUS, TRY_TIMEOUT } from './retry-policy.js';
import { PROXY_ERROR } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';
import type { UpstreamConnection, UpstreamOwner } from './upstream-connection.js';
import { CLOSE_GOING_AWAY, maskedCloseGoingAway, WebSocketFrames } from './websocket-frames.js';

/** Waiting for (the rest of) a request head; idle when nothing is buffered. */
const PHASE_HEAD = 0;
/** Head parsed, no weighted backend has a ready endpoint: held by the listener. */
const PHASE_HELD = 1;
/** Proxying the request to an endpoint. */
const PHASE_ACTIVE = 2;
const PHASE_CLOSED = 3;
/** After a `101 Switching Protocols`: bytes are relayed both ways until either side closes. */
const PHASE_TUNNEL = 4;

const RESPONSE_HEAD = 0;
const RESPONSE_BODY = 1;

/** Failure kinds of an upstream exchange, deciding retry and status. */
const FAIL_CONNECT = 0;
const FAIL_SOCKET = 1;
const FAIL_TIMEOUT = 2;
const FAIL_PROTOCOL = 3;

/** Largest request head, bytes (Node's default `maxHeaderSize`); larger gets 431. */
const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
/** Largest upstream response head, bytes; larger fails the exchange with 502. */
const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/**
 * Client bytes buffered while nothing consumes them (a held request's body, a body arriving before
 * the upstream socket connected, pipelined requests), bytes; beyond it reading the client pauses.
 */
const MAX_PENDING_BYTES = 64 * 1024;
/** How long a connection the router ended may wait for the client's FIN before it is destroyed, ms. */
const CLOSE_LINGER_MS = 5_000;
/**
 * Request body bytes kept to send again on a retry (when the Rollout has `retries`) or to copy to a
 * mirror; a longer body makes the request not retryable once its body started going out, and
 * drops its mirrored copy.
 */
const KEPT_BODY_BYTES = MAX_MIRROR_BODY_BYTES;
const EMPTY = Buffer.alloc(0);
/** A response body part up to this size is moved next to its rewritten head to go out in one write. */
const COALESCE_BYTES = 16 * 1024;

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const END_CLOSE = Buffer.from('connection: close\r\n\r\n', 'latin1');
const END_KEEP_ALIVE = Buffer.from('connection: keep-alive\r\n\r\n', 'latin1');
const END_FIELDS = Buffer.from('\r\n', 'latin1');

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** What a {@link ClientConnection} needs from its listener. */
export interface ClientConnectionHost {
  /** The listener is closing: every response ends its connection. */
  readonly closing: boolean;
  /** Route a parsed request: {@link ClientConnection.start} it now, or hold it. */
  dispatch(conn: ClientConnection): void;
  /** Target for the retry of a request that failed on `failed`, or undefined. */
  retryRoute(failed: Endpoint, target: RevisionTarget): RevisionTarget | undefined;
  /** The connection closed. */
  forget(conn: ClientConnection): void;
  /**
   * An upstream answered `status` (100..599), or failed (0: refused, reset, timed out): outlier
   * detection's input.
   */
  outcome(target: RevisionTarget, endpoint: Endpoint, status: number): void;
}

/**
 * One client connection of a listener and the requests it carries, proxied one at a time in order
 * (pipelined requests wait in the buffer): a hand-written HTTP/1.1 proxy over the raw sockets. The
 * request head is parsed and rewritten in the received buffer and sent upstream as one write with
 * the body bytes that came with it; the response head is rewritten in place and forwarded with its
 * body bytes; the body is forwarded as raw bytes (chunked framing included) with backpressure both
 * ways. The state of the current request lives in this object, reused for each request: nothing
 * but the head string and the socket's buffers is allocated per request.
 *
 * Retry (see {@link ClientConnection.#retry}): by default a request without a body that fails
 * before any response byte is retried once, over a new connection to another endpoint if there is
 * one, when the failure is a connect error (nothing was sent) or, for idempotent methods, a socket
 * reset / close (RFC 9110 section 9.2.2 allows the automatic retry of idempotent requests): the
 * upstream closing a keep-alive socket as the request arrives on it is the case this exists for.
 * A Rollout's `retries` replaces that default (attempts, per-try timeout, Envoy's conditions,
 * bodies up to {@link KEPT_BODY_BYTES} kept to be sent again).
 *
 * Connection pool: at the replica's `maxConnections` a request waits in the endpoint's queue
 * (bounded per revision; overflow answers 503 with `x-cutover-overflow: true`).
 *
 * Failures the proxy generates answer 502 (504 on upstream timeouts) and count as `proxyError`;
 * once the response head is out, the only signal left is to cut the client connection (never a
 * truncated response that looks complete). A request aborted by its client is not counted.
 */
export class ClientConnection implements UpstreamOwner, ChunkSink {
  readonly socket: Socket;
  readonly #host: ClientConnectionHost;
  readonly #clientAddress: string;
  #phase = PHASE_HEAD;
  /** Client bytes received and not consumed yet. */
  #buf: Buffer | null = null;
  #paused = false;
  /** When the connection became idle or the current head started, `performance.now()` ms. */
  #since = performance.now();
  readonly #request = new RequestHead();
  readonly #response = new ResponseHead();
  readonly #requestChunks = new ChunkedBody();
  readonly #responseChunks = new ChunkedBody();

  /** For a held request: since when, ms since the epoch, and its hold timer. */
  heldSince = 0;
  holdTimer: NodeJS.Timeout | null = null;
  /** A `Set-Cookie` value the current response's head carries (a new Cookie session), or null. */
  setCookie: string | null = null;
  /** The mirrored copy of the request about to start (set by the listener), or null. */
  mirror: MirrorCopy | null = null;

  #target: RevisionTarget | null = null;
  #endpoint: Endpoint | null = null;
  #upstream: UpstreamConnection | null = null;
  #start = 0;
  /** When the current request's time for its response head ends (all tries), `performance.now()` ms. */
  #deadline = 0;
  /** Retries made for the current request. */
  #tries = 0;
  /** The request holds one of its Rollout's `maxRetries` slots. */
  #retrying = false;
  /** Waiting in the endpoint's queue for a connection (`connectionPool` limits). */
  #queued = false;
  /** The current try runs on a pooled keep-alive connection. */
  #reused = false;
  /** The current request's mirrored copy, and the client's answer body kept to compare with it. */
  #mirror: MirrorCopy | null = null;
  #answer: Buffer[] | null = null;
  #answerBytes = 0;
  /** Body bytes sent upstream, kept for a retry or a mirror; null: not kept. */
  #keptBody: Buffer[] | null = null;
  #keptBodyBytes = 0;
  /** Some response byte arrived from the upstream (no retry after that). */
  #responded = false;
  /** The response head went out to the client. */
  #headSent = false;
  #requestDone = false;
  #requestRemaining = 0;
  #responsePhase = RESPONSE_HEAD;
  #responseRemaining = 0;
  #responseBuf: Buffer | null = null;
  #status = 0;
  /** Decode a chunked response for an HTTP/1.0 client. */
  #decode = false;
  #closeAfter = false;
  #upstreamPaused = false;
  /** Frame boundaries of a WebSocket tunnel, client to upstream and back; null otherwise. */
  #framesUp: WebSocketFrames | null = null;
  #framesDown: WebSocketFrames | null = null;

  constructor(socket: Socket, host: ClientConnectionHost) {
    this.socket = socket;
    this.#host = host;
    this.#clientAddress = socket.remoteAddress ?? 'unknown';
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    // A client that closes (or half-closes, as Node's HTTP server treats it) aborts its request.
    socket.on('end', () => this.#onGone());
    socket.on('close', () => this.#onGone());
    socket.on('error', () => undefined);
  }

  /** No request in progress and no byte of a next one received. */
  get idle(): boolean {
    return this.#phase === PHASE_HEAD && this.#buf === null;
  }

  /**
   * The current request's head as sent upstream (latin1 wire form: hop-by-hop fields removed,
   * X-Forwarded-* added), for header routes.
   */
  get requestHead(): string {
    return this.#request.upstreamHead;
  }

  /** Since when it has been idle (`performance.now()` ms), or Infinity when it is not idle. */
  get idleSince(): number {
    return this.idle ? this.#since : Number.POSITIVE_INFINITY;
  }

  /** Whether a held request is waiting. */
  get held(): boolean {
    return this.#phase === PHASE_HELD;
  }

  /** Close the connection if it is idle (listener closing). */
  closeIfIdle(): void {
    if (this.idle) this.#end('');
  }

  /** Write `last` (latin1), end the connection and ignore whatever the client still sends. */
  #end(last: string): void {
    this.#phase = PHASE_CLOSED;
    this.#buf = null;
    this.#since = performance.now();
    if (last === '') this.socket.end();
    else this.socket.end(last, 'latin1');
  }

  /**
   * Enforce the client-side timeouts (called about once a second by the listener).
   * @param keepAliveMs - idle time after which a keep-alive connection is closed, ms.
   * @param headMs - time allowed to receive a whole request head, ms (then 408).
   */
  checkTimeouts(now: number, keepAliveMs: number, headMs: number): void {
    if (this.#phase === PHASE_CLOSED) {
      // Ended by the router, waiting for the client's FIN: do not wait forever.
      if (now - this.#since > CLOSE_LINGER_MS) this.socket.destroy();
      return;
    }
    if (this.#phase !== PHASE_HEAD) return;
    if (this.#buf === null) {
      if (now - this.#since > keepAliveMs) this.#end('');
    } else if (now - this.#since > headMs) this.#reject(408);
  }

  #onData(chunk: Buffer): void {
    switch (this.#phase) {
      case PHASE_HEAD:
        if (this.#buf === null) this.#since = performance.now();
        this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
        this.#parseNext();
        return;
      case PHASE_ACTIVE:
        if (!this.#requestDone && this.#upstream?.connected === true) {
          this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
          this.#pumpBody();
          return;
        }
        break;
      case PHASE_HELD:
        break;
      case PHASE_TUNNEL:
        this.#framesUp?.feed(chunk);
        if (!this.#upstream!.socket.write(chunk)) this.#pause();
        return;
      default:
        return;
    }
    this.#buf = this.#buf === null ? chunk : Buffer.concat([this.#buf, chunk]);
    if (this.#buf.length > MAX_PENDING_BYTES) this.#pause();
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.socket.pause();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  /** Parse the next request head in the buffer and dispatch it. */
  #parseNext(): void {
    let buf = this.#buf;
    if (buf === null || this.#phase !== PHASE_HEAD) return;
    // RFC 9112 section 2.2: empty lines before a request line are ignored.
    let start = 0;
    while (start + 1 < buf.length && buf[start] === CR && buf[start + 1] === LF) start += 2;
    if (start > 0) {
      if (start === buf.length) {
        this.#buf = null;
        return;
      }
      buf = buf.subarray(start);
      this.#buf = buf;
    }
    const end = findHeadEnd(buf, 0);
    if (end < 0) {
      if (buf.length > MAX_REQUEST_HEAD_BYTES) this.#reject(431);
      return;
    }
    if (end > MAX_REQUEST_HEAD_BYTES) {
      this.#reject(431);
      return;
    }
    const request = this.#request;
    const status = request.parse(buf, 0, end, this.#clientAddress);
    if (status !== 0) {
      this.#reject(status);
      return;
    }
    this.#buf = end === buf.length ? null : buf.subarray(end);
    this.#requestDone = request.bodyKind === BODY_NONE;
    this.#requestRemaining = request.contentLength;
    this.#requestChunks.reset();
    this.#closeAfter = !request.keepAlive;
    // Answered at once, as Node's HTTP server does: the body is streamed, never judged first.
    if (request.expectContinue && !this.#requestDone && !request.http10) this.socket.write(CONTINUE);
    this.#phase = PHASE_HELD;
    this.#host.dispatch(this);
  }

  /** Proxy the parsed request to `endpoint` of `target` (called by the listener). */
  start(target: RevisionTarget, endpoint: Endpoint): void {
    this.#phase = PHASE_ACTIVE;
    this.#target = target;
    this.#endpoint = endpoint;
    this.#start = performance.now();
    this.#deadline = this.#start + (target.policy.timeoutMs ?? endpoint.options.headersTimeoutMs);
    this.#tries = 0;
    this.#queued = false;
    const mirror = this.mirror;
    this.mirror = null;
    this.#mirror = mirror !== null && this.#request.upgrade === '' ? mirror : null;
    this.#answer = null;
    this.#keptBody = target.policy.retry === null && this.#mirror === null ? null : [];
    this.#keptBodyBytes = 0;
    if (this.#requestDone) this.#mirror?.send(this.#request.upstreamHead, EMPTY);
    this.#responded = false;
    this.#headSent = false;
    this.#responsePhase = RESPONSE_HEAD;
    this.#responseBuf = null;
    this.#status = 0;
    this.#decode = false;
    this.#connect(false);
  }

  /** @param fresh - a retry: over a new connection rather than a pooled one. */
  #connect(fresh: boolean): void {
    const endpoint = this.#endpoint!;
    const target = this.#target!;
    endpoint.inFlight++;
    target.inFlight++;
    const upstream = endpoint.acquire(fresh);
    if (upstream !== null) {
      this.upstreamAssigned(upstream);
      return;
    }
    // At the replica's maxConnections: wait for a connection, or overflow.
    if (target.pending >= target.policy.maxPendingRequests) {
      this.#finish(PROXY_ERROR, false);
      if (!this.#requestDone) this.#closeAfter = true;
      this.answer(503, 'upstream connection pool overflow\n', 'x-cutover-overflow: true\r\n');
      return;
    }
    target.pending++;
    this.#queued = true;
    endpoint.enqueue(this, this.#deadline);
  }

  upstreamAssigned(upstream: UpstreamConnection): void {
    this.#leaveQueue();
    upstream.owner = this;
    this.#upstream = upstream;
    this.#reused = upstream.connected;
    if (upstream.connected) this.#sendHead();
    else
      upstream.deadline =
        performance.now() +
        (this.#target!.policy.connectTimeoutMs ?? this.#endpoint!.options.connectTimeoutMs);
  }

  upstreamQueueTimeout(): void {
    if (!this.#queued) return;
    this.#leaveQueue();
    this.#finish(PROXY_ERROR, false);
    if (!this.#requestDone) this.#closeAfter = true;
    this.answer(504, 'upstream timed out\n', '');
  }

  /** Out of the endpoint's queue, if waiting there. */
  #leaveQueue(): void {
    if (!this.#queued) return;
    this.#queued = false;
    this.#endpoint!.dequeue(this);
    this.#target!.pending--;
  }

  upstreamConnected(): void {
    this.#sendHead();
  }

  /** Write the request head, with the body bytes already received, as one write. */
  #sendHead(): void {
    const upstream = this.#upstream!;
    const endpoint = this.#endpoint!;
    const perTry = this.#target!.policy.retry?.perTryTimeoutMs ?? null;
    upstream.deadline =
      perTry === null ? this.#deadline : Math.min(this.#deadline, performance.now() + perTry);
    const request = this.#request;
    // HTTP/1.1 requires Host upstream: an HTTP/1.0 client without one gets the endpoint's.
    const head = request.hasHost ? request.upstreamHead : `${request.upstreamHead}${endpoint.hostField}\r\n`;
    const resend = this.#tries > 0 ? this.#keptBody : null;
    if (resend !== null && resend.length > 0) {
      // A retry: the body bytes the failed try sent go again first.
      upstream.socket.cork();
      upstream.socket.write(head, 'latin1');
      for (const part of resend) upstream.socket.write(part);
      this.#pumpBody();
      upstream.socket.uncork();
    } else if (this.#buf !== null && !this.#requestDone) {
      upstream.socket.cork();
      upstream.socket.write(head, 'latin1');
      this.#pumpBody();
      upstream.socket.uncork();
    } else upstream.socket.write(head, 'latin1');
  }

  /** Forward the buffered request body bytes (up to the end of the body) upstream. */
  #pumpBody(): void {
    const buf = this.#buf;
    if (buf === null || this.#requestDone) return;
    let end: number;
    if (this.#request.bodyKind === BODY_LENGTH) {
      end = Math.min(buf.length, this.#requestRemaining);
      this.#requestRemaining -= end;
      this.#requestDone = this.#requestRemaining === 0;
    } else {
      const r = this.#requestChunks.scan(buf, 0, buf.length, null);
      if (r === CHUNKED_MALFORMED) {
        this.#malformedBody();
        return;
      }
      this.#requestDone = r >= 0;
      end = r >= 0 ? r : buf.length;
    }
    const part = end === buf.length ? buf : buf.subarray(0, end);
    this.#buf = end === buf.length ? null : buf.subarray(end);
    const kept = this.#keptBody;
    if (kept !== null) {
      this.#keptBodyBytes += part.length;
      if (this.#keptBodyBytes > KEPT_BODY_BYTES) this.#keptBody = null;
      else kept.push(part);
    }
    if (this.#requestDone && this.#mirror !== null) {
      const body = this.#keptBody;
      this.#mirror.send(this.#request.upstreamHead, body === null ? null : Buffer.concat(body));
    }
    if (!this.#upstream!.socket.write(part)) this.#pause();
    else if (!this.#requestDone) this.#resume();
    else if (this.#buf !== null && this.#buf.length > MAX_PENDING_BYTES) this.#pause();
  }

  upstreamDrain(): void {
    if (!this.#requestDone || this.#phase === PHASE_TUNNEL) this.#resume();
  }

  /** The client sent a malformed chunked body: abort the exchange (not counted), 400 if possible. */
  #malformedBody(): void {
    this.#detachUpstream();
    this.#finish(-1);
    if (this.#headSent) this.#destroy();
    else this.#reject(400);
  }

  upstreamData(chunk: Buffer): void {
    if (this.#phase === PHASE_TUNNEL) {
      this.#framesDown?.feed(chunk);
      this.#writeClient(chunk);
      return;
    }
    this.#responded = true;
    const upstream = this.#upstream!;
    upstream.deadline = performance.now() + this.#endpoint!.options.bodyTimeoutMs;
    if (this.#responsePhase === RESPONSE_HEAD) this.#responseHead(chunk);
    else this.#responseBody(chunk, 0);
  }

  #responseHead(chunk: Buffer): void {
    let buf = this.#responseBuf === null ? chunk : Buffer.concat([this.#responseBuf, chunk]);
    const request = this.#request;
    const response = this.#response;
    let end: number;
    for (;;) {
      end = findHeadEnd(buf, 0);
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD_BYTES) this.#upstreamFailed(FAIL_PROTOCOL, 'HPE_HEADER_OVERFLOW');
        else this.#responseBuf = buf;
        return;
      }
      this.#responseBuf = null;
      if (!response.parse(buf, 0, end, request.isHead, request.http10)) {
        this.#upstreamFailed(FAIL_PROTOCOL, 'HPE_INVALID_RESPONSE');
        return;
      }
      if (response.status >= 200) {
        // A retryable answer never reaches the client: the request goes again.
        if (
          response.status >= 409 &&
          this.#target!.policy.retry !== null &&
          this.#retry(TRY_STATUS, response.status, false)
        )
          return;
        break;
      }
      // 1xx interim responses are not relayed; a 101 is the switch the client asked for, or a fault.
      if (response.status === 101) {
        if (request.upgrade === '' || response.upgrade === '')
          this.#upstreamFailed(FAIL_PROTOCOL, 'HPE_UNEXPECTED_UPGRADE');
        else this.#tunnel(buf, end);
        return;
      }
      if (end === buf.length) return;
      buf = buf.subarray(end);
    }
    this.#status = response.status;
    const framing = response.framing;
    this.#decode = framing === FRAMING_CHUNKED && request.http10;
    if (framing === FRAMING_CLOSE || this.#decode || this.#host.closing || !this.#requestDone)
      this.#closeAfter = true;
    const tail = this.#closeAfter ? END_CLOSE : request.http10 ? END_KEEP_ALIVE : null;
    // A new Cookie session: the cookie goes out with this response's head.
    const setCookie = this.setCookie;
    this.setCookie = null;
    const fieldsEnd = response.fieldsEnd;
    const headLength = fieldsEnd + 2;
    this.#responsePhase = RESPONSE_BODY;
    this.#responseRemaining = response.contentLength;
    this.#responseChunks.reset();

    // Where the body bytes of this buffer end, and whether the response is complete with them.
    let bodyEnd = buf.length;
    let done = false;
    if (framing === FRAMING_NONE) {
      bodyEnd = end;
      done = true;
    } else if (framing === FRAMING_LENGTH) {
      bodyEnd = end + Math.min(this.#responseRemaining, buf.length - end);
      this.#responseRemaining -= bodyEnd - end;
      done = this.#responseRemaining === 0;
    } else if (framing === FRAMING_CHUNKED && !this.#decode) {
      const r = this.#responseChunks.scan(buf, end, buf.length, null);
      if (r === CHUNKED_MALFORMED) {
        this.#upstreamFailed(FAIL_PROTOCOL, 'HPE_INVALID_CHUNK_SIZE');
        return;
      }
      if (r >= 0) {
        bodyEnd = r;
        done = true;
      }
    } else if (this.#decode) bodyEnd = end;

    this.#headSent = true;
    if (this.#mirror?.wantsBody === true) {
      this.#answer = [];
      this.#answerBytes = 0;
      if (bodyEnd > end) this.#keep(buf.subarray(end, bodyEnd));
    }
    const socket = this.socket;
    let flushed: boolean;
    if (tail === null && setCookie === null) {
      if (headLength === end) flushed = socket.write(bodyEnd === buf.length ? buf : buf.subarray(0, bodyEnd));
      else if (bodyEnd - end <= COALESCE_BYTES) {
        if (bodyEnd > end) buf.copyWithin(headLength, end, bodyEnd);
        flushed = socket.write(buf.subarray(0, headLength + bodyEnd - end));
      } else {
        socket.cork();
        socket.write(buf.subarray(0, headLength));
        flushed = socket.write(buf.subarray(end, bodyEnd));
        socket.uncork();
      }
    } else {
      socket.cork();
      socket.write(buf.subarray(0, fieldsEnd));
      if (setCookie !== null) socket.write(`set-cookie: ${setCookie}\r\n`, 'latin1');
      flushed = socket.write(tail ?? END_FIELDS);
      if (bodyEnd > end) flushed = socket.write(buf.subarray(end, bodyEnd));
      socket.uncork();
    }
    if (!flushed) this.#pauseUpstream();
    if (done) this.#responseComplete(bodyEnd === buf.length);
    else if (this.#decode && end < buf.length) this.#responseBody(buf, end);
  }

  /**
   * The upstream switched protocols (`101`, head in `buf[0, end)`): send the head with
   * `Connection: upgrade` and `Upgrade`, count the exchange (class 1xx, latency to the switch), and
   * relay raw bytes both ways from now on. The request stays in flight (the replica's drain waits
   * for it) until either side closes.
   */
  #tunnel(buf: Buffer, end: number): void {
    const upstream = this.#upstream!;
    const response = this.#response;
    this.#phase = PHASE_TUNNEL;
    this.#status = 101;
    this.#headSent = true;
    this.#responseBuf = null;
    upstream.deadline = Number.POSITIVE_INFINITY;
    if (this.#request.websocket) {
      this.#framesUp = new WebSocketFrames();
      this.#framesDown = new WebSocketFrames();
    }
    const setCookie = this.setCookie;
    this.setCookie = null;
    const socket = this.socket;
    socket.cork();
    socket.write(buf.subarray(0, response.fieldsEnd));
    if (setCookie !== null) socket.write(`set-cookie: ${setCookie}\r\n`, 'latin1');
    socket.write(`connection: upgrade\r\nupgrade: ${response.upgrade}\r\n\r\n`, 'latin1');
    if (end < buf.length) this.upstreamData(buf.subarray(end));
    socket.uncork();
    const target = this.#target!;
    if (this.#retrying) {
      this.#retrying = false;
      target.policy.retriesInFlight--;
    }
    this.#host.outcome(target, this.#endpoint!, 101);
    target.recorder.record(0, (performance.now() - this.#start) / 1000, Date.now());
    // Bytes the client sent after its handshake (its first frames).
    const pending = this.#buf;
    this.#buf = null;
    if (pending !== null) this.#onData(pending);
    this.#resume();
  }

  /** A tunnel ends (either side closed or failed): close both sides and release the endpoint. */
  #tunnelEnd(): void {
    if (this.#phase !== PHASE_TUNNEL) return;
    this.#phase = PHASE_CLOSED;
    this.#since = performance.now();
    this.#buf = null;
    this.#framesUp = null;
    this.#framesDown = null;
    const upstream = this.#upstream!;
    this.#upstream = null;
    this.#upstreamPaused = false;
    upstream.owner = null;
    upstream.socket.end();
    this.#release();
    this.#target = null;
    this.socket.end();
  }

  /**
   * The endpoint is closing with this request still open (a stopping replica's grace period ended):
   * a WebSocket gets a close frame with 1001 "going away" on both sides (RFC 6455 section 7.4.1),
   * unless a side is in the middle of a frame, which is reset instead; any other request is cut.
   */
  upstreamCut(): void {
    const upstream = this.#upstream;
    if (upstream === null) return;
    const down = this.#framesDown;
    const up = this.#framesUp;
    if (this.#phase !== PHASE_TUNNEL || down === null || up === null) {
      upstream.socket.destroy();
      return;
    }
    if (up.atBoundary) upstream.socket.write(maskedCloseGoingAway());
    const clientClean = down.atBoundary;
    if (clientClean) this.socket.write(CLOSE_GOING_AWAY);
    this.#tunnelEnd();
    if (!clientClean) this.socket.destroy();
  }

  /**
   * The listener is closing (router shutdown): a WebSocket tunnel is closed with 1001 as in
   * {@link upstreamCut}; anything else is cut.
   */
  goAway(): void {
    if (this.#phase === PHASE_TUNNEL) this.upstreamCut();
    else this.socket.destroy();
  }

  #responseBody(chunk: Buffer, from: number): void {
    const length = chunk.length;
    switch (this.#response.framing) {
      case FRAMING_LENGTH: {
        const n = Math.min(this.#responseRemaining, length - from);
        this.#responseRemaining -= n;
        this.#writeClient(from === 0 && n === length ? chunk : chunk.subarray(from, from + n));
        if (this.#responseRemaining === 0) this.#responseComplete(from + n === length);
        return;
      }
      case FRAMING_CHUNKED: {
        const r = this.#responseChunks.scan(chunk, from, length, this.#decode ? this : null);
        if (r === CHUNKED_MALFORMED) {
          this.#upstreamFailed(FAIL_PROTOCOL, 'HPE_INVALID_CHUNK_SIZE');
          return;
        }
        const end = r >= 0 ? r : length;
        if (!this.#decode && end > from)
          this.#writeClient(from === 0 && end === length ? chunk : chunk.subarray(from, end));
        if (r >= 0) this.#responseComplete(r === length);
        return;
      }
      default:
        this.#writeClient(from === 0 ? chunk : chunk.subarray(from));
    }
  }

  /** Decoded chunk data for an HTTP/1.0 client. */
  chunkData(buf: Buffer, start: number, end: number): void {
    if (end > start) this.#writeClient(buf.subarray(start, end));
  }

  #writeClient(data: Buffer): void {
    if (this.#answer !== null) this.#keep(data);
    if (!this.socket.write(data)) this.#pauseUpstream();
  }

  /** Keep answer bytes for the mirror's comparison (copied: the buffer may be rewritten). */
  #keep(data: Buffer): void {
    const answer = this.#answer!;
    this.#answerBytes += data.length;
    if (this.#answerBytes <= MAX_MIRROR_BODY_BYTES) answer.push(Buffer.from(data));
  }

  /** Backpressure from the client: stop reading the upstream until the client drains. */
  #pauseUpstream(): void {
    const upstream = this.#upstream;
    if (upstream === null || this.#upstreamPaused) return;
    this.#upstreamPaused = true;
    upstream.deadline = Number.POSITIVE_INFINITY;
    upstream.socket.pause();
  }

  #onDrain(): void {
    const upstream = this.#upstream;
    if (!this.#upstreamPaused || upstream === null) return;
    this.#upstreamPaused = false;
    upstream.deadline = performance.now() + this.#endpoint!.options.bodyTimeoutMs;
    upstream.socket.resume();
  }

  upstreamEnd(): void {
    if (this.#phase === PHASE_TUNNEL) {
      this.#tunnelEnd();
      return;
    }
    if (this.#responsePhase === RESPONSE_BODY && this.#response.framing === FRAMING_CLOSE) {
      this.#responseComplete(false);
      return;
    }
    this.#upstreamFailed(FAIL_SOCKET, 'UND_ERR_SOCKET');
  }

  upstreamError(code: string): void {
    const upstream = this.#upstream;
    if (upstream === null) return;
    if (this.#phase === PHASE_TUNNEL) {
      this.#tunnelEnd();
      return;
    }
    this.#upstreamFailed(upstream.connected ? FAIL_SOCKET : FAIL_CONNECT, code);
  }

  upstreamTimeout(): void {
    const upstream = this.#upstream;
    if (upstream === null || this.#phase === PHASE_TUNNEL) return;
    if (!upstream.connected) this.#upstreamFailed(FAIL_CONNECT, 'UND_ERR_CONNECT_TIMEOUT');
    else
      this.#upstreamFailed(FAIL_TIMEOUT, this.#headSent ? 'UND_ERR_BODY_TIMEOUT' : 'UND_ERR_HEADERS_TIMEOUT');
  }

  /** @param reusable - no byte followed the response on the upstream socket. */
  #responseComplete(reusable: boolean): void {
    const upstream = this.#upstream!;
    this.#upstream = null;
    upstream.owner = null;
    if (this.#upstreamPaused) {
      this.#upstreamPaused = false;
      upstream.socket.resume();
    }
    if (reusable && this.#response.keepAlive && this.#requestDone)
      this.#endpoint!.park(upstream, this.#response.keepAliveTimeoutMs);
    else upstream.socket.destroy();
    this.#finish(((this.#status / 100) | 0) - 1);
    this.#next();
  }

  #upstreamFailed(kind: number, code: string): void {
    if (this.#upstream === null) return;
    const reused = this.#reused;
    this.#detachUpstream();
    if (!this.#responded && kind !== FAIL_PROTOCOL) {
      const tryKind = kind === FAIL_CONNECT ? TRY_CONNECT : kind === FAIL_TIMEOUT ? TRY_TIMEOUT : TRY_RESET;
      if (this.#retry(tryKind, 0, reused)) return;
    }
    this.#finish(PROXY_ERROR);
    if (this.#headSent) {
      // The status line is out: the only way to signal the failure is to cut the connection.
      this.#destroy();
      return;
    }
    if (!this.#requestDone) this.#closeAfter = true;
    const status = kind === FAIL_TIMEOUT ? 504 : 502;
    this.answer(status, status === 504 ? 'upstream timed out\n' : `upstream error: ${code}\n`, '');
  }

  /**
   * Send the request again after a failed try, if the Rollout's retry policy allows it (or, without
   * one, the router's default: once, a request without a body, on a connect failure or a reset of
   * an idempotent request). The retry goes to another ready replica of the same revision when there
   * is one; after a connect failure or a reset (the replica is likely gone) to another weighted
   * revision when the revision has none; after an answer or a timeout, to the same revision only. The failed try counts apart (`failedTries`) and in outlier detection;
   * the request counts once, with its final answer.
   * @returns whether the request was sent again.
   */
  #retry(kind: number, status: number, reused: boolean): boolean {
    const target = this.#target!;
    const endpoint = this.#endpoint!;
    const request = this.#request;
    const policy = target.policy;
    const retry = policy.retry;
    if (retry === null) {
      if (this.#tries > 0 || request.bodyKind !== BODY_NONE) return false;
      if (kind !== TRY_CONNECT && !(kind === TRY_RESET && request.idempotent)) return false;
    } else {
      if (this.#tries >= retry.attempts || !retry.retries(kind, status, reused, request.idempotent))
        return false;
      // A body that went out is sent again only when it was kept whole.
      if (kind !== TRY_CONNECT && request.bodyKind !== BODY_NONE && this.#keptBody === null) return false;
    }
    if (performance.now() >= this.#deadline) return false;
    if (!this.#retrying && policy.retriesInFlight >= policy.maxRetries) return false;
    // An answer or a timeout is the revision's own: its retry stays there, so that analysis sees it.
    const next =
      kind === TRY_CONNECT || kind === TRY_RESET
        ? this.#host.retryRoute(endpoint, target)
        : target.endpoints.length > 0
          ? target
          : undefined;
    const nextEndpoint = next?.pick(endpoint);
    if (next === undefined || nextEndpoint === undefined) return false;
    this.#detachUpstream();
    this.#host.outcome(target, endpoint, kind === TRY_STATUS ? status : 0);
    target.failedTries++;
    if (!this.#retrying) {
      this.#retrying = true;
      policy.retriesInFlight++;
    }
    this.#tries++;
    this.#release();
    this.#target = next;
    this.#endpoint = nextEndpoint;
    this.#responsePhase = RESPONSE_HEAD;
    this.#responseBuf = null;
    this.#responded = false;
    this.#connect(true);
    return true;
  }

  #detachUpstream(): void {
    this.#leaveQueue();
    const upstream = this.#upstream;
    if (upstream === null) return;
    this.#upstream = null;
    this.#upstreamPaused = false;
    upstream.owner = null;
    upstream.socket.destroy();
  }

  /**
   * Answer the current request with a response generated by the router (502, 503, 504), then go
   * on with the next request (or close).
   * @param extraHeaders - header lines, each ending with CRLF.
   */
  answer(status: number, body: string, extraHeaders: string): void {
    if (this.#phase === PHASE_CLOSED) return;
    const request = this.#request;
    if (!this.#requestDone || this.#host.closing) this.#closeAfter = true;
    const connection = this.#closeAfter
      ? 'connection: close\r\n'
      : request.http10
        ? 'connection: keep-alive\r\n'
        : '';
    this.socket.write(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}${connection}\r\n${request.isHead ? '' : body}`,
      'latin1',
    );
    this.#next();
  }

  /** The request is over: continue with the next one, or close. */
  #next(): void {
    if (this.#phase === PHASE_CLOSED) return;
    if (this.#closeAfter) {
      this.#end('');
      return;
    }
    this.#phase = PHASE_HEAD;
    this.#since = performance.now();
    this.#resume();
    if (this.#buf !== null) this.#parseNext();
    else if (this.#host.closing) this.closeIfIdle();
  }

  #release(): void {
    this.#endpoint!.release();
    this.#target!.inFlight--;
  }

  /**
   * @param outcome - index into OUTCOME_CLASSES, or -1 for "not counted" (client abort).
   * @param outlier - count it in outlier detection (not a pool overflow: the replica did nothing).
   */
  #finish(outcome: number, outlier = true): void {
    const target = this.#target;
    if (target === null) return;
    if (outcome >= 0 && outlier)
      this.#host.outcome(target, this.#endpoint!, outcome === PROXY_ERROR ? 0 : this.#status);
    this.#release();
    this.#target = null;
    if (this.#retrying) {
      this.#retrying = false;
      target.policy.retriesInFlight--;
    }
    const mirror = this.#mirror;
    if (mirror !== null) {
      this.#mirror = null;
      if (outcome < 0 || outcome === PROXY_ERROR) mirror.abandon();
      else if (mirror.wantsAnswer) {
        const answer = this.#answer;
        const kept =
          answer !== null && this.#answerBytes <= MAX_MIRROR_BODY_BYTES ? Buffer.concat(answer) : null;
        mirror.primaryDone(this.#status, kept, this.#response.framing === FRAMING_CHUNKED && !this.#decode);
      }
      this.#answer = null;
    }
    if (outcome >= 0 && outcome <= PROXY_ERROR) {
      const seconds = (performance.now() - this.#start) / 1000;
      const now = Date.now();
      target.recorder.record(outcome, seconds, now);
      // The head parsed for this request (a failure before any head names no variant).
      const variant = this.#headSent ? this.#response.flagVariant : '';
      if (variant !== '') target.recordVariants(variant, outcome, seconds, now);
    }
  }

  /** Answer a request the router cannot accept, and close the connection. */
  #reject(status: number): void {
    this.#end(
      `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
  }

  #destroy(): void {
    this.#phase = PHASE_CLOSED;
    this.#buf = null;
    this.socket.destroy();
  }

  /**
   * The client closed, or half-closed (which Node's HTTP server also treats as an abort): abort the
   * upstream request (not counted). The socket ends its own side after the client's FIN.
   */
  #onGone(): void {
    if (this.#phase === PHASE_TUNNEL) this.#tunnelEnd();
    if (this.#phase !== PHASE_CLOSED) {
      const wasActive = this.#phase === PHASE_ACTIVE;
      this.#phase = PHASE_CLOSED;
      this.#buf = null;
      if (wasActive) {
        this.#detachUpstream();
        this.#finish(-1);
      }
    }
    if (this.socket.destroyed) this.#host.forget(this);
  }
}
