/**
 * A small client of cutover's REST API (`/api/v1`, docs/api.md). Every call sends the tab's bearer
 * token when there is one; a non-2xx answer becomes an {@link ApiError} carrying the API's stable
 * code, message and field path.
 */
import { storedToken } from './auth.js';
import type {
  AnalysisRun,
  DoraReport,
  Environment,
  HandoffRun,
  ReleaseView,
  Revision,
  RolloutResource,
  StatsPoint,
  StoredEvent,
  Whoami,
} from './types.js';

/** An error answer of the API (`{code, message, path?}`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = storedToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new ApiError(0, 'CUTOVER_E_UNREACHABLE', `cannot reach the server: ${(error as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    // Fastify's own errors are `{statusCode, error, message}`; cutover's are `{code, message, path}`,
    // possibly wrapped in `{error: {...}}`.
    const raw = (json ?? {}) as Record<string, unknown>;
    const e = (typeof raw.error === 'object' && raw.error !== null ? raw.error : raw) as Record<
      string,
      unknown
    >;
    throw new ApiError(
      res.status,
      typeof e.code === 'string' ? e.code : `HTTP_${res.status}`,
      typeof e.message === 'string' ? e.message : `${method} ${path}: HTTP ${res.status}`,
      typeof e.path === 'string' && e.path !== '' ? e.path : undefined,
    );
  }
  return json as T;
}

const rolloutPath = (name: string) => `/api/v1/rollouts/${encodeURIComponent(name)}`;
const releasePath = (name: string) => `/api/v1/releases/${encodeURIComponent(name)}`;

export const api = {
  /**
   * Who the token belongs to, its role and permissions.
   * @throws ApiError 401 when the token is unknown, malformed or revoked.
   */
  whoami: () => call<Whoami>('GET', '/api/v1/whoami'),
  rollouts: () => call<{ items: RolloutResource[] }>('GET', '/api/v1/rollouts').then((r) => r.items),
  rollout: (name: string) => call<RolloutResource>('GET', rolloutPath(name)),
  revisions: (name: string) =>
    call<{ items: Revision[] }>('GET', `${rolloutPath(name)}/revisions`).then((r) => r.items),
  analysisRuns: (name: string) =>
    call<{ items: AnalysisRun[] }>('GET', `${rolloutPath(name)}/analysisruns`).then((r) => r.items),
  handoffs: (name: string) =>
    call<{ items: HandoffRun[] }>('GET', `${rolloutPath(name)}/handoffs`).then((r) => r.items),
  events: (name: string) =>
    call<{ items: StoredEvent[] }>(
      'GET',
      `/api/v1/events?rollout=${encodeURIComponent(name)}&limit=200`,
    ).then((r) => r.items),
  /** Per-second traffic of each revision over the last {@link STATS_WINDOW_S} s, for the charts. */
  stats: (name: string) =>
    call<StatsDocument>('GET', `${rolloutPath(name)}/stats?window=${STATS_WINDOW_S}&series=true`).then(
      statsPoints,
    ),
  releases: () => call<{ items: ReleaseView[] }>('GET', '/api/v1/releases').then((r) => r.items),
  release: (name: string) => call<ReleaseView>('GET', releasePath(name)),
  /**
   * Records the caller's approval (or rejection) of a release waiting for approval.
   * @throws ApiError 403 when the caller may not approve it, 409 when it is not waiting for approval.
   */
  decide: (name: string, decision: Decision, comment: string) =>
    call<ReleaseView>('POST', `${releasePath(name)}/${decision}`, { comment }),
  environments: () => call<{ items: Environment[] }>('GET', '/api/v1/environments').then((r) => r.items),
  /** The four DORA keys over `[from, to)` (ms since the epoch), optionally of one service or environment. */
  dora: (query: DoraQuery) => {
    const params = new URLSearchParams({ from: String(query.from), to: String(query.to) });
    if (query.service) params.set('service', query.service);
    if (query.environment) params.set('environment', query.environment);
    return call<DoraReport>('GET', `/api/v1/analytics/dora?${params.toString()}`);
  },
  /** Runs an operation as the API's POST of the same name (promote full: promote with `{full: true}`). */
  operate: (name: string, operation: Operation) =>
    operation === 'promoteFull'
      ? call<unknown>('POST', `${rolloutPath(name)}/promote`, { full: true })
      : call<unknown>('POST', `${rolloutPath(name)}/${operation}`, {}),
};

/** What an approver may decide on a release waiting for approval (the API's POST of the same name). */
export type Decision = 'approve' | 'reject';

/** Period (ms since the epoch, `to` exclusive) and filters of a DORA report. */
export interface DoraQuery {
  from: number;
  to: number;
  service?: string;
  environment?: string;
}

/** The operations the rollout page offers. */
export type Operation = 'promote' | 'promoteFull' | 'abort' | 'retry' | 'undo';

/** Trailing window of the traffic charts, s. */
const STATS_WINDOW_S = 120;

/** `GET /api/v1/rollouts/:name/stats?series=true` (docs/api.md), the parts the charts read. */
interface StatsDocument {
  revisions: {
    revision: number;
    series?: {
      /** Start of the second, s since the epoch. */
      second: number;
      requests: number;
      errorRate: number | null;
      /** Latency quantile (p95 by default), s. */
      latency: number | null;
    }[];
  }[];
}

/** The per-second series of every revision as chart points, oldest first. */
function statsPoints(doc: StatsDocument): StatsPoint[] {
  const points: StatsPoint[] = [];
  for (const rev of doc.revisions) {
    for (const sec of rev.series ?? []) {
      points.push({
        at: sec.second * 1000,
        revision: rev.revision,
        requestRate: sec.requests,
        errorRate: sec.errorRate,
        latencyP95Ms: sec.latency === null ? null : sec.latency * 1000,
      });
    }
  }
  return points.sort((a, b) => a.at - b.at);
}
