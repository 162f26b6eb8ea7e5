import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  can,
  type Permission,
  parseToken,
  type Qualifier,
  type Role,
  secretMatches,
  summarizeBody,
  type UserKind,
} from '../auth/index.js';
import type { Store } from '../store/index.js';
import type { AuditLog } from './audit-log.js';
import { ApiError } from './errors.js';
import type { RateLimiter } from './rate-limiter.js';

/** Who sent a request: the holder of a valid token. */
export interface Principal {
  tokenId: string;
  user: string;
  kind: UserKind;
  role: Role;
  qualifier: Qualifier | null;
  /** `user:<name>` or `agent:<name>`: recorded on events and audit entries. */
  actor: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs; `public` needs no token. Routes without one are admin-only. */
    permission?: Permission | 'public';
    approverQualifiers?: readonly Qualifier[];
    /** Server-sent events: the token may come as `?access_token=` (EventSource cannot set headers). */
    sse?: boolean;
    /** The body may hold a secret (`apply`, `secret set`): audited as its sha256 only. */
    secretBody?: boolean;
    /** Which control-plane replica answers (`leader-forward.ts`). */
    answeredBy?: 'leader' | 'replica';
  }
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated request. */
    principal?: Principal;
    /**
     * What the audit entry says instead of the body's summary, set by a handler that knows more
     * than its body tells (a Secret value read: name, key, version and fingerprint).
     */
    auditSummary?: string;
  }
}

/** Options of {@link registerAuth}. */
export interface AuthOptions {
  store: Store;
  /** Where authenticated mutating calls are recorded. */
  audit: AuditLog;
  limiter: RateLimiter;
  logger: Logger;
  now: () => number;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The dashboard's static files are public; its API calls are not. Decided on the matched route's
 * pattern, not the raw URL, so no spelling of a path (`/ui/../api/...`) reaches an API route
 * unauthenticated.
 */
function isPublicRoute(route: string | undefined): boolean {
  return route !== undefined && (route === '/ui' || route.startsWith('/ui/'));
}

/** The bearer token of a request (RFC 6750 section 2.1), or `?access_token=` on SSE routes (section 2.3). */
function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }
  if (req.routeOptions.config?.sse === true) {
    const q = req.query as Record<string, unknown> | undefined;
    const token = q?.access_token;
    return typeof token === 'string' ? token : undefined;
  }
  return undefined;
}

function unauthenticated(message: string): ApiError {
  return new ApiError(401, 'CUTOVER_E_UNAUTHENTICATED', message);
}

/**
 * Authenticates every request but `/healthz` and the dashboard's files by its bearer token,
 * authorizes it by the route's permission, limits its rate per token, and appends every
 * authenticated mutating call to the HMAC-chained audit log with its outcome.
 */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  const { store, audit, limiter, logger, now } = options;

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const permission = req.routeOptions.config?.permission;
    if (permission === 'public' || isPublicRoute(req.routeOptions.url)) return;
    const token = bearerToken(req);
    if (token === undefined) {
      void reply.header('www-authenticate', 'Bearer realm="cutover"');
      throw unauthenticated('missing bearer token (Authorization: Bearer <token>)');
    }
    const parsed = parseToken(token);
    const stored = parsed ? await store.getToken(parsed.id) : undefined;
    if (!parsed || !stored || !secretMatches(parsed.secret, stored.hash)) {
      void reply.header('www-authenticate', 'Bearer realm="cutover", error="invalid_token"');
      throw unauthenticated('invalid token');
    }
    if (stored.revokedAt !== null) {
      void reply.header('www-authenticate', 'Bearer realm="cutover", error="invalid_token"');
      throw unauthenticated(`token ${stored.id} was revoked`);
    }
    const retryAfter = limiter.take(stored.id);
    if (retryAfter > 0) {
      void reply.header('retry-after', String(retryAfter));
      throw new ApiError(
        429,
        'CUTOVER_E_RATE_LIMITED',
        `rate limit of ${limiter.options.perSecond} requests/s (burst ${limiter.options.burst}) per token exceeded; retry after ${retryAfter}s`,
      );
    }
    req.principal = {
      tokenId: stored.id,
      user: stored.user,
      kind: stored.kind,
      role: stored.role,
      qualifier: stored.qualifier,
      actor: `${stored.kind}:${stored.user}`,
    };
    // An unknown route has no permission: authenticated, it gets its 404.
    const needed = req.routeOptions.url === undefined ? 'read' : (permission ?? 'admin');
    const qualified =
      stored.role === 'approver' &&
      stored.qualifier !== null &&
      (req.routeOptions.config?.approverQualifiers ?? []).includes(stored.qualifier);
    if (!can(stored.role, needed) && !qualified) {
      throw new ApiError(
        403,
        'CUTOVER_E_FORBIDDEN',
        `role ${stored.role} may not ${req.method} ${req.routeOptions.url ?? req.url} (needs permission ${needed})`,
      );
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const principal = req.principal;
    if (!principal || !MUTATING.has(req.method) || reply.statusCode === 429) return payload;
    try {
      await audit.append({
        time: now(),
        actor: principal.actor,
        role: principal.role,
        method: req.method,
        path: req.url,
        summary: req.auditSummary ?? summarizeBody(req.body, req.routeOptions.config?.secretBody === true),
        status: reply.statusCode,
      });
    } catch (error) {
      logger.error({ err: error, method: req.method, url: req.url }, 'audit append failed');
    }
    return payload;
  });
}

/** The principal of an authenticated request. @throws ApiError 401 when there is none. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthenticated('missing bearer token');
  return req.principal;
}
