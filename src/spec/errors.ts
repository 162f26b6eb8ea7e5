/**
 * Errors of the spec module. Every error has a stable `code` (`CUTOVER_E_SPEC_...`) so the CLI, the
 * API and the docs' error table match on it rather than on the message (as Fastify's error codes).
 */

/** Stable codes of the spec module's errors (see docs/spec-reference.md, "Error codes"). */
export const SPEC_ERROR_CODES = [
  'CUTOVER_E_SPEC_INVALID',
  'CUTOVER_E_SPEC_YAML',
  'CUTOVER_E_SPEC_FILE',
  'CUTOVER_E_SPEC_DURATION',
] as const;
/** One of {@link SPEC_ERROR_CODES}. */
export type SpecErrorCode = (typeof SPEC_ERROR_CODES)[number];

/**
 * One problem found in a spec, located in its file.
 *
 * @example
 * { file: 'web.yaml', line: 14, column: 7, path: 'spec.strategy.canary.steps[1].setWeight',
 *   message: 'expected an integer 0..100, got 150', expected: 'an integer 0..100' }
 */
export interface SpecIssue {
  /** The file as the user named it (or the label given to `parseSpec`). */
  readonly file: string;
  /** 1-based line of the offending key or value (of the nearest enclosing key when a field is missing). */
  readonly line: number;
  /** 1-based column, counted in UTF-16 code units as the `yaml` package does. */
  readonly column: number;
  /**
   * Field path in the document, e.g. `spec.strategy.canary.steps[1].setWeight`; `""` for the
   * document itself (and for YAML syntax errors).
   */
  readonly path: string;
  /** What is wrong, e.g. `expected an integer 0..100, got 150`. */
  readonly message: string;
  /** What would have been accepted, e.g. `an integer 0..100`, when it can be said in a phrase. */
  readonly expected?: string;
}

/**
 * Formats an issue as one line, `file:line:column path: message` (the form compilers use, so
 * editors and terminals turn it into a link).
 *
 * @example formatSpecIssue(issue) // 'web.yaml:14:7 spec.strategy.canary.steps[1].setWeight: expected an integer 0..100, got 150'
 */
export function formatSpecIssue(issue: SpecIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** Base class of every error thrown by the spec module. Not retryable: the input must change. */
export class SpecError extends Error {
  /** Stable machine-readable code. */
  readonly code: SpecErrorCode;

  constructor(code: SpecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A spec that is not valid: every problem of every document of the input, found in one pass (a
 * spec is validated whole, so nothing is applied from a file that has any error). `message` holds
 * one formatted issue per line (see {@link formatSpecIssue}), sorted by file, line and column.
 *
 * Code `CUTOVER_E_SPEC_INVALID`; the subclass {@link SpecYamlError} (`CUTOVER_E_SPEC_YAML`) is used
 * when at least one issue is a YAML syntax error.
 */
export class SpecValidationError extends SpecError {
  /** All issues, sorted by file, line, column. Never empty. */
  readonly issues: readonly SpecIssue[];

  constructor(issues: readonly SpecIssue[], options?: { cause?: unknown }) {
    const sorted = [...issues].sort(compareIssues);
    super(
      new.target === SpecYamlError ? 'CUTOVER_E_SPEC_YAML' : 'CUTOVER_E_SPEC_INVALID',
      formatIssues(sorted),
      options,
    );
    this.issues = sorted;
  }
}

/**
 * A spec that is not even valid YAML (bad indentation, an unterminated quote, a duplicate key...).
 * Its issues carry the YAML parser's line and column; issues of other documents of the same input
 * are reported with them. Code `CUTOVER_E_SPEC_YAML`.
 */
export class SpecYamlError extends SpecValidationError {}

/** A spec file that cannot be read (missing, a directory, no permission). Code `CUTOVER_E_SPEC_FILE`. */
export class SpecFileError extends SpecError {
  /** The file as the user named it. */
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('CUTOVER_E_SPEC_FILE', `cannot read spec file ${file}: ${reason}`, options);
    this.file = file;
  }
}

/**
 * A value that is not a duration in Argo Rollouts' notation (see `durationToMs`). Code
 * `CUTOVER_E_SPEC_DURATION`. Inside a spec this never escapes: the loader reports it as a
 * {@link SpecIssue}.
 */
export class DurationError extends SpecError {
  /** The rejected value as given. */
  readonly value: unknown;

  constructor(value: unknown, message: string) {
    super('CUTOVER_E_SPEC_DURATION', message);
    this.value = value;
  }
}

function compareIssues(a: SpecIssue, b: SpecIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column;
}

function formatIssues(issues: readonly SpecIssue[]): string {
  return issues.map(formatSpecIssue).join('\n');
}
