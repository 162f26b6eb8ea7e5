/**
 * The API shapes the dashboard reads: the server's own view types (src/api/views.ts, the module
 * the server, the crew and the CLI use too), imported as types only so the build pulls in no Node
 * code; plus the few values and shapes only the dashboard needs.
 */
import type { RolloutPhase } from '../../src/api/views.js';

export type * from '../../src/api/views.js';

/** As Argo Rollouts' RolloutPhase, in the order the rollout list filters them. */
export const ROLLOUT_PHASES: readonly RolloutPhase[] = ['Healthy', 'Progressing', 'Paused', 'Degraded'];

/** One revision's traffic during one second, computed from `GET .../stats?series=true`. */
export interface StatsPoint {
  /** ms since the epoch. */
  at: number;
  revision: number;
  /** req/s. */
  requestRate: number;
  /** Ratio 0..1; null without requests. */
  errorRate: number | null;
  /** ms; null without requests. */
  latencyP95Ms: number | null;
}
