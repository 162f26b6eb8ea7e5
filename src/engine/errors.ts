/** Errors of the rollout engine. */

/** Base class: every engine error has a stable code and names the rollout. */
export class EngineError extends Error {
  readonly code: string;
  readonly rollout: string;
  constructor(code: string, rollout: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.rollout = rollout;
  }
}

/**
 * A command (promote, abort, retry, undo, pause, resume) that does not apply to the rollout's
 * current state, e.g. `retry` of a rollout that is not aborted. Nothing was changed.
 */
export class CommandNotAllowedError extends EngineError {
  readonly command: string;
  constructor(rollout: string, command: string, message: string) {
    super('CUTOVER_E_COMMAND_NOT_ALLOWED', rollout, `${command} ${rollout}: ${message}`);
    this.command = command;
  }
}
