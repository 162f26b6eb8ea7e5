/** Errors of the crew module (the release workflow's helpers); each has a stable `code`. */

/** Base class of the crew module's errors. */
export class CrewError extends Error {
  /** Stable error code, `CUTOVER_E_...`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A database backup could not be taken (the dump command failed or the file cannot be written). */
export class BackupError extends CrewError {
  /** The database, as `sqlite:<path>` or a postgres URL without password. */
  readonly target: string;
  /** What the failing command printed on stderr, or the library's message; may be empty. */
  readonly stderr: string;
  constructor(target: string, stderr: string, options?: ErrorOptions) {
    super('CUTOVER_E_BACKUP_FAILED', `cannot back up ${target}: ${stderr || 'unknown error'}`, options);
    this.target = target;
    this.stderr = stderr;
  }
}

/**
 * A backup could not be checked at all (e.g. the scratch database cannot be created).
 * A backup that was checked and found bad is not an error: its verification says `verified: false`.
 */
export class BackupVerifyError extends CrewError {
  /** The database the backup was taken of, as in {@link BackupError.target}. */
  readonly target: string;
  /** What the failing command printed on stderr, or the library's message; may be empty. */
  readonly stderr: string;
  constructor(target: string, stderr: string, options?: ErrorOptions) {
    super(
      'CUTOVER_E_BACKUP_VERIFY_FAILED',
      `cannot verify the backup of ${target}: ${stderr || 'unknown error'}`,
      options,
    );
    this.target = target;
    this.stderr = stderr;
  }
}

/** A backup could not be restored into its target (checksum mismatch, wrong kind, restore command failed). */
export class RestoreError extends CrewError {
  /** The database restored into, as in {@link BackupError.target}. */
  readonly target: string;
  /** What the failing command printed on stderr, or the reason for refusing; may be empty. */
  readonly stderr: string;
  constructor(target: string, stderr: string, options?: ErrorOptions) {
    super('CUTOVER_E_RESTORE_FAILED', `cannot restore ${target}: ${stderr || 'unknown error'}`, options);
    this.target = target;
    this.stderr = stderr;
  }
}

/** A dependency check was given an invalid entry; `field` is its path, e.g. `dependencies[2].timeoutMs`. */
export class DependencyCheckInputError extends CrewError {
  /** Path of the invalid field. */
  readonly field: string;
  constructor(field: string, expected: string) {
    super('CUTOVER_E_DEPENDENCY_CHECK_INPUT', `invalid ${field}: expected ${expected}`);
    this.field = field;
  }
}
