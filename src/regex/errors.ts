/**
 * Errors of the regex module. Each has a stable `code` (see docs/error-codes.md) and readonly
 * context fields; `cause` is chained.
 */

/**
 * A user-supplied pattern that cutover refuses: not valid RE2 syntax (backreferences and lookaround
 * included: RE2 has neither), or longer than the caller's bound. Not retryable: the pattern must be
 * fixed. Callers that validate a spec turn it into an issue at the field's path.
 */
export class PatternSyntaxError extends Error {
  readonly code = 'CUTOVER_E_REGEX_INVALID';
  /** The pattern as written. */
  readonly pattern: string;
  /** Why, without the pattern: e.g. `backreferences (\1, \k<name>) are not supported by RE2`. */
  readonly reason: string;

  constructor(pattern: string, reason: string, options?: ErrorOptions) {
    super(`invalid regular expression ${JSON.stringify(pattern)}: ${reason}`, options);
    this.name = new.target.name;
    this.pattern = pattern;
    this.reason = reason;
  }
}
