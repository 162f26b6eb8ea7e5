/**
 * Errors of the feature flags module, each with a stable code (table in docs/error-codes.md).
 */

/** A flag set the data plane is asked to serve is refused: flagd's parser, or a key defined twice. */
export class FlagSetError extends Error {
  /** Stable error code. */
  readonly code = 'CUTOVER_E_FLAGS_INVALID';
  /** The FeatureFlags resource at fault. */
  readonly flagSet: string;
  constructor(flagSet: string, detail: string, options?: ErrorOptions) {
    super(`feature flags ${flagSet}: ${detail}`, options);
    this.name = new.target.name;
    this.flagSet = flagSet;
  }
}
