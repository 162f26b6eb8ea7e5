import type { ReleaseView } from '../api/views.js';

/**
 * The API a crew agent acts through: the same REST API (`/api/v1`) and the same checks a person
 * goes through, with the agent's own token, so every decision is recorded with its actor.
 */
export interface CrewApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
}

export type { ReleaseView };

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
