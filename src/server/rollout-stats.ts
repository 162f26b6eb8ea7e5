import type { DataPlaneClient, RevisionStats } from '../dataplane/index.js';
import type { StoredRollout } from '../store/index.js';
import { HISTOGRAM_BUCKETS, histogramQuantile } from '../traffic/index.js';
import { ApiError } from './errors.js';

/** Roles a revision can have in a Rollout's status. */
type RevisionRole = 'stable' | 'current' | 'active' | 'preview';

/** One second of one revision's traffic, for charts. */
interface StatsSecond {
  /** Start of the second, s since the epoch. */
  second: number;
  requests: number;
  errors: number;
  /** errors / requests, ratio 0..1; null without requests. */
  errorRate: number | null;
  /** Latency quantile of that second, s; null without requests. */
  latency: number | null;
}

/** `GET /api/v1/rollouts/:name/stats`. */
interface RolloutStats {
  rollout: string;
  windowSeconds: number;
  quantile: number;
  revisions: {
    revision: number;
    roles: RevisionRole[];
    stats: RevisionStats;
    /** Per-second counts over the window, oldest first (with `series`). */
    series?: StatsSecond[];
  }[];
}

/** Options of {@link rolloutStats}. */
interface RolloutStatsOptions {
  /** Trailing window, s (1..300). */
  windowSeconds: number;
  /** Latency quantile, ratio 0..1. */
  quantile: number;
  /** Whether to add per-second series from the data plane's `GET /v1/traffic`. */
  series: boolean;
}

/**
 * Traffic statistics of the revisions that matter now (stable, current, and for blue-green active
 * and preview), read from the data plane's router.
 * @throws ApiError 503 `CUTOVER_E_DATA_PLANE_UNAVAILABLE` when the data plane does not answer.
 */
export async function rolloutStats(
  dataPlane: DataPlaneClient,
  rollout: StoredRollout,
  options: RolloutStatsOptions,
): Promise<RolloutStats> {
  const s = rollout.status;
  const roles = new Map<number, RevisionRole[]>();
  const add = (revision: number | null | undefined, role: RevisionRole) => {
    if (revision === null || revision === undefined || revision < 1) return;
    roles.set(revision, [...(roles.get(revision) ?? []), role]);
  };
  add(s.stableRevision, 'stable');
  add(s.currentRevision, 'current');
  if (rollout.spec.strategy.blueGreen) {
    add(s.activeRevision, 'active');
    add(s.previewRevision, 'preview');
  }
  try {
    const traffic = options.series
      ? await dataPlane.traffic(rollout.name, { window: options.windowSeconds })
      : undefined;
    const revisions = await Promise.all(
      [...roles.entries()]
        .sort(([a], [b]) => a - b)
        .map(async ([revision, revisionRoles]) => {
          const stats = await dataPlane.stats(
            rollout.name,
            revision,
            options.windowSeconds,
            options.quantile,
          );
          const seconds = traffic?.revisions.find((r) => r.revision === revision)?.seconds;
          const series = traffic
            ? (seconds ?? []).map((sec): StatsSecond => {
                const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
                for (const [bucket, n] of sec.latency) counts[bucket] = n;
                return {
                  second: sec.second,
                  requests: sec.requests,
                  errors: sec.errors,
                  errorRate: sec.requests > 0 ? sec.errors / sec.requests : null,
                  latency: histogramQuantile(counts, options.quantile),
                };
              })
            : undefined;
          return { revision, roles: revisionRoles, stats, ...(series ? { series } : {}) };
        }),
    );
    return {
      rollout: rollout.name,
      windowSeconds: options.windowSeconds,
      quantile: options.quantile,
      revisions,
    };
  } catch (error) {
    throw new ApiError(
      503,
      'CUTOVER_E_DATA_PLANE_UNAVAILABLE',
      `the data plane did not answer: ${(error as Error).message}`,
    );
  }
}
