import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { findJsonPath } from '../analysis/providers/web/json-path.js';
import { CHUNKED_MALFORMED, ChunkedBody } from './chunked-body.js';
import type { MirrorRoute } from './mirror-route.js';
import { PROXY_ERROR, RevisionRecorder } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';

/** Largest request body copied to a mirror, and largest answer body compared, bytes; a larger body drops the copy. */
export const MAX_MIRROR_BODY_BYTES = 64 * 1024;
/** Copies in flight across the router at most; beyond it a copy is dropped (never the client's request). */
const MAX_MIRRORS_IN_FLIGHT = 256;
/** Time a copy has for its whole answer when the Rollout sets no `timeout`, ms. */
const DEFAULT_MIRROR_TIMEOUT_MS = 60_000;
/** Comparison outcomes, recorded in {@link RevisionTarget.mirrorComparison} as status classes. */
const SAME = 1;
const DIFFERENT = 4;
/** Request fields not copied (hop-by-hop, framing, or set for the copy). */
const NOT_COPIED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'expect',
]);

/** The mirror recorders of a target, created on first use. */
export function mirrorRecorders(target: RevisionTarget, nowMs: number): void {
  target.mirrorRecorder ??= new RevisionRecorder(nowMs);
  target.mirrorComparison ??= new RevisionRecorder(nowMs);
}

/**
 * Sends the router's mirrored copies (shadow traffic) with undici, off the proxy's hot path:
 * bounded in flight ({@link MAX_MIRRORS_IN_FLIGHT}) and in body size; a copy over either bound is
 * dropped and counted, the client's request never waits for a copy.
 */
export class MirrorSender {
  readonly #agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });
  inFlight = 0;
  /** Copies dropped per Rollout (bound reached, body too large, no ready replica). */
  readonly dropped = new Map<string, number>();

  /** A copy of one request for `route`, or null when it is dropped at once. */
  begin(route: MirrorRoute): MirrorCopy | null {
    if (this.inFlight >= MAX_MIRRORS_IN_FLIGHT || route.target.endpoints.length === 0) {
      this.drop(route.target.rollout);
      return null;
    }
    return new MirrorCopy(this, route);
  }

  drop(rollout: string): void {
    this.dropped.set(rollout, (this.dropped.get(rollout) ?? 0) + 1);
  }

  /** Send a copy; resolves with its status (0: failed) and body (null when not kept). */
  async send(
    target: RevisionTarget,
    head: string,
    body: Buffer | null,
    keepBody: boolean,
  ): Promise<{ status: number; body: Buffer | null }> {
    const endpoint = target.pick();
    if (endpoint === undefined) return { status: 0, body: null };
    const lineEnd = head.indexOf('\r\n');
    const [method = 'GET', path = '/'] = head.slice(0, lineEnd).split(' ');
    const headers: string[] = [];
    for (const line of head.slice(lineEnd + 2).split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).toLowerCase();
      if (!NOT_COPIED.has(name)) headers.push(name, line.slice(colon + 1).trim());
    }
    headers.push('x-cutover-mirror', 'true');
    const started = performance.now();
    const timeoutMs = target.policy.timeoutMs ?? DEFAULT_MIRROR_TIMEOUT_MS;
    this.inFlight++;
    try {
      const res = await request(`http://${endpoint.host}:${endpoint.port}${path}`, {
        method: method as 'GET',
        headers,
        body: body !== null && body.length > 0 ? body : null,
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      let kept: Buffer | null = null;
      if (keepBody) {
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size <= MAX_MIRROR_BODY_BYTES) parts.push(chunk);
        }
        kept = size <= MAX_MIRROR_BODY_BYTES ? Buffer.concat(parts) : null;
      } else await res.body.dump();
      target.mirrorRecorder?.record(
        ((res.statusCode / 100) | 0) - 1,
        (performance.now() - started) / 1000,
        Date.now(),
      );
      return { status: res.statusCode, body: kept };
    } catch {
      target.mirrorRecorder?.record(PROXY_ERROR, (performance.now() - started) / 1000, Date.now());
      return { status: 0, body: null };
    } finally {
      this.inFlight--;
    }
  }

  /** Abort the copies in flight (a copy never holds the router open). */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}

/** An answer as compared: status (0: failed) and body (decoded; null when not kept). */
interface Answer {
  status: number;
  body: Buffer | null;
}

/**
 * The copy of one request: sent when the request's body is complete, and, when the route compares,
 * compared with the client's answer once both are known (the status, and with a jsonPath that
 * field of both JSON bodies). A comparison is recorded in the target's `mirrorComparison` as
 * `2xx` (same) or `5xx` (different); a client answer that failed or was abandoned is not compared.
 */
export class MirrorCopy {
  readonly #sender: MirrorSender;
  readonly #route: MirrorRoute;
  #copy: Answer | null = null;
  #primary: Answer | null = null;
  #abandoned = false;

  constructor(sender: MirrorSender, route: MirrorRoute) {
    this.#sender = sender;
    this.#route = route;
  }

  /** Whether the client's answer is wanted (and with its body). */
  get wantsAnswer(): boolean {
    return this.#route.compare !== undefined;
  }

  get wantsBody(): boolean {
    return this.#route.compare !== undefined && this.#route.compare !== null;
  }

  /**
   * Send the copy.
   * @param head - the request head as sent upstream (latin1).
   * @param body - the whole request body; null when it was over {@link MAX_MIRROR_BODY_BYTES} (dropped).
   */
  send(head: string, body: Buffer | null): void {
    if (body === null) {
      this.#sender.drop(this.#route.target.rollout);
      this.#abandoned = true;
      return;
    }
    void this.#sender.send(this.#route.target, head, body, this.wantsBody).then((answer) => {
      this.#copy = answer;
      this.#compare();
    });
  }

  /**
   * The client's answer: `status` 0 when the router failed it; `body` the raw bytes (at most
   * {@link MAX_MIRROR_BODY_BYTES}, else null), chunked-framed when `chunked`.
   */
  primaryDone(status: number, body: Buffer | null, chunked: boolean): void {
    this.#primary = { status, body: body !== null && chunked ? dechunk(body) : body };
    this.#compare();
  }

  /** The client went away: no comparison (the copy still counts in the mirror's figures). */
  abandon(): void {
    this.#abandoned = true;
  }

  #compare(): void {
    const copy = this.#copy;
    const primary = this.#primary;
    const compare = this.#route.compare;
    if (copy === null || primary === null || this.#abandoned || compare === undefined || primary.status === 0)
      return;
    let same = copy.status === primary.status;
    if (same && compare !== null) {
      // A body too large to keep cannot be compared.
      if (primary.body === null || copy.body === null) return;
      same = fieldOf(primary.body, compare) === fieldOf(copy.body, compare);
    }
    this.#route.target.mirrorComparison?.record(same ? SAME : DIFFERENT, 0, Date.now());
  }
}

/** The JSON field at `path` of a body, serialized; a sentinel when the body is not JSON or lacks it. */
function fieldOf(body: Buffer, path: Parameters<typeof findJsonPath>[0]): string {
  try {
    return JSON.stringify(findJsonPath(path, JSON.parse(body.toString('utf8'))));
  } catch (error) {
    return `\0${String(error)}`;
  }
}

/** The data of a chunked body; null when malformed. */
function dechunk(raw: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  const r = new ChunkedBody().scan(raw, 0, raw.length, {
    chunkData: (buf, start, end) => parts.push(buf.subarray(start, end)),
  });
  return r === CHUNKED_MALFORMED ? null : Buffer.concat(parts);
}
