/**
 * Every regular expression a user writes (header routes, `matches` in conditions, `dryRun` and
 * `measurementRetention` metric-name rules) is compiled here, with RE2's syntax and its linear-time
 * guarantee: matching costs O(pattern size x input length) whatever the pattern, so no pattern and
 * no input can make the router or the control plane backtrack for seconds (ReDoS). The engine is
 * re2js, a pure-JavaScript port of RE2 / Go's regexp (see docs/dependencies.md).
 */
import { RE2JS, RE2JSException } from 're2js';
import { PatternSyntaxError } from './errors.js';

/** A compiled user-supplied pattern. */
export interface LinearRegex {
  /** The pattern as written. */
  readonly source: string;
  /**
   * Whether the pattern matches anywhere in `input` (unanchored, as Go's `regexp.MatchString` and
   * JavaScript's `RegExp.prototype.test`). Linear time in `input.length`; pure.
   */
  test(input: string): boolean;
}

/**
 * Longest pattern {@link compileLinearRegex} accepts, characters. Callers may bound tighter (a
 * header route's regex: `MAX_HEADER_ROUTE_REGEX_LENGTH`).
 */
export const MAX_PATTERN_LENGTH = 1024;

/** Options of {@link compileLinearRegex}. */
export interface CompileLinearRegexOptions {
  /** Longest accepted pattern, characters. @default MAX_PATTERN_LENGTH */
  maxLength?: number;
  /**
   * Accept Unicode classes (`\pL`, `\p{Greek}`, `\PN`). Their many character ranges make each state
   * of the lazy DFA costly to build, so a hot path may refuse them. @default true
   */
  unicodeClasses?: boolean;
}

/**
 * Compiles a user-supplied pattern in RE2 syntax (https://github.com/google/re2/wiki/Syntax, as Go's
 * regexp and Argo Rollouts / expr-lang): flags as `(?i)`, `(?s)`, `(?m)` groups, named groups as
 * `(?P<name>...)` or `(?<name>...)`, Unicode classes `\pL`. Backreferences (`\1`, `\k<name>`),
 * lookahead and lookbehind are refused, and the message says so: they are what makes a
 * backtracking engine exponential. Unicode classes are refused too with `unicodeClasses: false`.
 *
 * @throws PatternSyntaxError (`CUTOVER_E_REGEX_INVALID`) for a pattern RE2 refuses or one longer
 *   than `maxLength` characters
 * @example compileLinearRegex('^Mozilla/5\\.0 .*Firefox').test('Mozilla/5.0 (X11) Firefox/120') // true
 */
export function compileLinearRegex(pattern: string, options: CompileLinearRegexOptions = {}): LinearRegex {
  const maxLength = options.maxLength ?? MAX_PATTERN_LENGTH;
  if (pattern.length > maxLength) {
    throw new PatternSyntaxError(
      pattern.length > 60 ? `${pattern.slice(0, 60)}...` : pattern,
      `longer than ${maxLength} characters (${pattern.length})`,
    );
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, options.unicodeClasses === false ? RE2JS.DISABLE_UNICODE_GROUPS : 0);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new PatternSyntaxError(pattern, explain(pattern, error.message, options), { cause: error });
  }
  return { source: pattern, test: (input) => compiled.test(input) };
}

/** RE2's message, prefixed with what the construct is when it is one RE2 leaves out on purpose. */
function explain(pattern: string, message: string, options: CompileLinearRegexOptions): string {
  const detail = message.replace(/^error parsing regexp: /, '');
  if (
    options.unicodeClasses === false &&
    /invalid (?:escape sequence|character class range): `\\[pP]/.test(message)
  ) {
    return `Unicode classes (\\pL, \\p{Greek}) are not supported here; use ASCII classes such as [a-zA-Z] (${detail})`;
  }
  if (/\\[1-9]|\\k</.test(pattern) && /invalid escape sequence: `\\(?:[1-9]|k)/.test(message)) {
    return `backreferences (\\1, \\k<name>) are not supported by RE2, which matches in linear time (${detail})`;
  }
  if (/\(\?<?[=!]/.test(pattern) && /\(\?<?[=!]/.test(message)) {
    return `lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2, which matches in linear time (${detail})`;
  }
  return `not valid RE2 syntax: ${detail}`;
}
