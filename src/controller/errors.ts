/** Errors of the controller. */

/** No Rollout with that name (HTTP 404). */
export class RolloutNotFoundError extends Error {
  readonly code = 'CUTOVER_E_NOT_FOUND';
  constructor(readonly rollout: string) {
    super(`rollout ${rollout} not found`);
    this.name = 'RolloutNotFoundError';
  }
}
