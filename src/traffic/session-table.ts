import { randomBytes } from 'node:crypto';
import type { SessionAffinitySpec } from '../dataplane/protocol.js';
import type { Endpoint } from './endpoint.js';
import type { RevisionTarget } from './revision-target.js';

/** Sessions one listener remembers at most; the least recently used go first. */
export const DEFAULT_MAX_SESSIONS = 100_000;
/** As Kubernetes' `sessionAffinityConfig.clientIP.timeoutSeconds` default (3 h), s. */
const DEFAULT_SESSION_TIMEOUT_SECONDS = 10_800;
/** The cookie the router issues for `type: Cookie` when the spec names none. */
const DEFAULT_SESSION_COOKIE = 'cutover-session';
/** Longest key kept (a cookie or header value), characters; a longer one is cut. */
const MAX_KEY_LENGTH = 256;

/** One session: the revision (target) and the replica (endpoint) it keeps, and when it was last seen. */
interface Session {
  target: RevisionTarget;
  endpoint: string;
  /** ms since the epoch. */
  lastSeen: number;
}

/** What a request's session decided. */
export interface SessionChoice {
  target: RevisionTarget;
  endpoint: Endpoint;
  /** A `Set-Cookie` field value the response must carry (a new Cookie session). */
  setCookie?: string;
}

/** The parts of a request a session key is read from. */
export interface SessionRequest {
  /** The client's IP address (the TCP peer). */
  clientIp: string | undefined;
  /** A request header by lower-case name (the first occurrence), or undefined. */
  header(name: string): string | undefined;
}

/**
 * The sessions of one listener, as Kubernetes Service `sessionAffinity` (ClientIP) and NGINX
 * ingress cookie affinity, extended to revisions: a session keeps its revision while that revision
 * has weight on the port, and its replica while that replica is ready; a new session is split by
 * the weights. Sessions idle for `timeoutSeconds` are forgotten; at most `maxSessions` are kept
 * (least recently used first out). Held in the router process' memory (a control-plane restart
 * keeps them, a router process restart does not).
 */
export class SessionTable {
  readonly spec: SessionAffinitySpec;
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #cookie: string;
  readonly #header: string;
  /** Insertion order is recency order: a touched session is deleted and set again. */
  readonly #sessions = new Map<string, Session>();
  /** Sessions per revision target. */
  readonly #counts = new Map<RevisionTarget, number>();

  constructor(spec: SessionAffinitySpec, maxSessions = DEFAULT_MAX_SESSIONS) {
    this.spec = spec;
    this.#timeoutMs = (spec.timeoutSeconds ?? DEFAULT_SESSION_TIMEOUT_SECONDS) * 1000;
    this.#max = maxSessions;
    this.#cookie = spec.cookieName ?? DEFAULT_SESSION_COOKIE;
    this.#header = (spec.headerName ?? '').toLowerCase();
  }

  /** Whether `other` describes the same affinity (a table is kept across route changes when so). */
  sameSpec(other: SessionAffinitySpec): boolean {
    return (
      other.type === this.spec.type &&
      other.cookieName === this.spec.cookieName &&
      other.headerName === this.spec.headerName &&
      other.timeoutSeconds === this.spec.timeoutSeconds
    );
  }

  /** Sessions kept now. */
  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions per revision target (for metrics and the data plane's status). */
  counts(): ReadonlyMap<RevisionTarget, number> {
    return this.#counts;
  }

  /** The request's session key, or undefined (a Cookie request without the cookie: a new session). */
  #keyOf(req: SessionRequest): string | undefined {
    const type = this.spec.type;
    const key =
      type === 'ClientIP'
        ? req.clientIp
        : type === 'Header'
          ? req.header(this.#header)
          : cookieValue(req.header('cookie'), this.#cookie);
    return key === undefined || key === '' ? undefined : key.slice(0, MAX_KEY_LENGTH);
  }

  /**
   * The target and endpoint of a request: its session's when the session's revision still has
   * weight (`weighted`) and a ready endpoint (the same replica while it is ready), otherwise
   * `pick()`'s, recorded as the session's. Returns undefined when `pick()` finds nothing (the
   * request is held; it asks again when released).
   * @param weighted - whether a target has weight > 0 on this listener now.
   * @param pick - the listener's choice for a new session (header routes, then weights).
   * @param now - ms since the epoch.
   */
  choose(
    req: SessionRequest,
    weighted: (target: RevisionTarget) => boolean,
    pick: () => RevisionTarget | undefined,
    now: number,
  ): SessionChoice | undefined {
    let key = this.#keyOf(req);
    const session = key === undefined ? undefined : this.#sessions.get(key);
    if (session !== undefined && now - session.lastSeen <= this.#timeoutMs && weighted(session.target)) {
      const endpoints = session.target.endpoints;
      let endpoint = endpoints.find((e) => e.id === session.endpoint);
      endpoint ??= session.target.pick();
      if (endpoint !== undefined) {
        session.endpoint = endpoint.id;
        session.lastSeen = now;
        this.#sessions.delete(key!);
        this.#sessions.set(key!, session);
        return { target: session.target, endpoint };
      }
    }
    const target = pick();
    const endpoint = target?.pick();
    if (target === undefined || endpoint === undefined) return undefined;
    let setCookie: string | undefined;
    if (key === undefined) {
      if (this.spec.type !== 'Cookie') return { target, endpoint };
      key = randomBytes(16).toString('base64url');
      setCookie = `${this.#cookie}=${key}; Path=/; HttpOnly; SameSite=Lax`;
    }
    this.#put(key, { target, endpoint: endpoint.id, lastSeen: now });
    return setCookie === undefined ? { target, endpoint } : { target, endpoint, setCookie };
  }

  #put(key: string, session: Session): void {
    const old = this.#sessions.get(key);
    if (old !== undefined) {
      this.#sessions.delete(key);
      this.#count(old.target, -1);
    }
    this.#sessions.set(key, session);
    this.#count(session.target, 1);
    if (this.#sessions.size > this.#max) {
      const [oldest, evicted] = this.#sessions.entries().next().value as [string, Session];
      this.#sessions.delete(oldest);
      this.#count(evicted.target, -1);
    }
  }

  #count(target: RevisionTarget, delta: number): void {
    const n = (this.#counts.get(target) ?? 0) + delta;
    if (n <= 0) this.#counts.delete(target);
    else this.#counts.set(target, n);
  }

  /** Forgets the sessions idle for longer than `timeoutSeconds` (oldest first; stops at a live one). */
  sweep(now: number): void {
    for (const [key, session] of this.#sessions) {
      if (now - session.lastSeen <= this.#timeoutMs) break;
      this.#sessions.delete(key);
      this.#count(session.target, -1);
    }
  }
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 section 5.4), or undefined. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
