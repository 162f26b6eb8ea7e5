export {
  DEFAULT_BLUE_GREEN_ABORT_SCALE_DOWN_DELAY_SECONDS,
  DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS,
} from './blue-green.js';
export { DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, DEFAULT_SCALE_DOWN_DELAY_SECONDS } from './canary.js';
export type { CommandOptions, CommandResult, RolloutCommand } from './commands.js';
export { applyCommand, ROLLOUT_COMMANDS } from './commands.js';
export { CommandNotAllowedError, EngineError } from './errors.js';
export { DEFAULT_PROGRESS_DEADLINE_SECONDS } from './progress-deadline.js';
export { initialStatus, reconcile } from './reconcile.js';
export {
  CRASH_LOOP_RESET_SECONDS,
  CRASH_LOOP_RESTARTS,
  describeReplicaFailure,
} from './replica-failures.js';
export { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from './rolling.js';
export * from './types.js';
