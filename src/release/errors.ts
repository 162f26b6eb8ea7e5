/** A release that does not exist (`CUTOVER_E_NOT_FOUND`, HTTP 404, field path `name`). */
export class ReleaseNotFoundError extends Error {
  readonly code = 'CUTOVER_E_NOT_FOUND';
  readonly path = 'name';
  constructor(readonly release: string) {
    super(`release ${release} not found`);
    this.name = 'ReleaseNotFoundError';
  }
}
