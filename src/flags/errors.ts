import { formatPath } from '../spec/index.js';

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

/**
 * `cutover flags import`: the seed's feature-flags.json cannot be converted. Lists every problem,
 * each with the file and its field path.
 */
export class SeedFlagsError extends Error {
  /** Stable error code. */
  readonly code = 'CUTOVER_E_FLAGS_IMPORT';
  /** The file as named on the command line. */
  readonly file: string;
  readonly issues: readonly { path: (string | number)[]; message: string }[];
  constructor(file: string, issues: readonly { path: (string | number)[]; message: string }[]) {
    super(
      `${file}: cannot import feature flags:\n${issues
        .map((i) => `  ${file}: ${i.path.length === 0 ? '' : `${formatPath(i.path)}: `}${i.message}`)
        .join('\n')}`,
    );
    this.name = new.target.name;
    this.file = file;
    this.issues = issues;
  }
}
