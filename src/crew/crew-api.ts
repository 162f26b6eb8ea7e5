import type { ReleaseView } from '../server/release-service.js';

/**
 * The API a crew agent acts through: the same REST API (`/api/v1`) and the same checks a person
 * goes through, with the agent's own token, so every decision is recorded with its actor.
 */
export interface CrewApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

export type { ReleaseView };

/** A Rollout as `GET /api/v1/rollouts/:name` returns it (the fields the crew reads). */
export interface RolloutView {
  spec: { port: number; strategy?: { canary?: { steps?: unknown[] } } };
  status: {
    /** Index of the canary step in progress; null without canary steps. */
    currentStepIndex?: number | null;
    phase: string;
    message: string;
    currentRevision: number;
    stableRevision: number | null;
    abort: boolean;
    weights: { canary: number; stable: number };
  };
}

/** Reports a stage result through the API. */
export function reportStage(
  api: CrewApi,
  release: ReleaseView,
  outcome: 'Succeeded' | 'Failed',
  report: unknown,
  reason?: string,
): Promise<unknown> {
  return api.post(`/api/v1/releases/${release.name}/stages`, {
    stage: release.stage,
    environment: release.environment,
    outcome,
    ...(reason === undefined ? {} : { reason }),
    report,
  });
}
