import type { RolloutResource } from '../api/views.js';
import type { CrewApi } from './crew-api.js';

/** One look at a Rollout's current revision over a trailing window. */
export interface RevisionSample {
  revision: number;
  requests: number;
  errors: number;
  /** Of the router's 5xx, the failures the router itself produced (a client saw a failed request). */
  proxyErrors: number;
  /** ratio 0..1; null without requests. */
  errorRate: number | null;
  /** Latency quantile asked for, ms; null without requests. */
  latencyMs: number | null;
}

interface StatsAnswer {
  revisions: {
    revision: number;
    stats: {
      requests: number;
      errors: number;
      errorRate: number | null;
      latency: number | null;
      status: { proxyError: number };
    };
  }[];
}

/**
 * Reads the router's figures for the Rollout's current revision (the new version) over the last
 * `windowS` seconds (1..300) through `GET /api/v1/rollouts/:name/stats`.
 * @param quantile - latency quantile, ratio 0..1 (0.95 for p95, 0.99 for p99).
 */
export async function sampleCurrentRevision(
  api: CrewApi,
  rollout: string,
  windowS: number,
  quantile: number,
): Promise<RevisionSample | null> {
  const view = await api.get<RolloutResource>(`/api/v1/rollouts/${rollout}`);
  return sampleRevision(api, rollout, view.status.currentRevision, windowS, quantile);
}

/** As {@link sampleCurrentRevision}, for a given revision. */
export async function sampleRevision(
  api: CrewApi,
  rollout: string,
  revision: number | null,
  windowS: number,
  quantile: number,
): Promise<RevisionSample | null> {
  const window = Math.max(1, Math.min(300, Math.round(windowS)));
  const stats = await api.get<StatsAnswer>(
    `/api/v1/rollouts/${rollout}/stats?window=${window}&quantile=${quantile}`,
  );
  const rev = stats.revisions.find((r) => r.revision === revision);
  if (rev === undefined) return null;
  return {
    revision: rev.revision,
    requests: rev.stats.requests,
    errors: rev.stats.errors,
    proxyErrors: rev.stats.status.proxyError,
    errorRate: rev.stats.errorRate,
    latencyMs: rev.stats.latency === null ? null : rev.stats.latency * 1000,
  };
}
