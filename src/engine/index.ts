export {
  DEFAULT_BLUE_GREEN_ABORT_SCALE_DOWN_DELAY_SECONDS,
  DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS,
} from './blue-green.js';
export { DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, DEFAULT_SCALE_DOWN_DELAY_SECONDS } from './canary.js';
export type { CommandOptions, CommandResult, RolloutCommand } from './commands.js';
export { applyCommand, ROLLOUT_COMMANDS } from './commands.js';
export { CommandNotAllowedError, EngineError } from './errors.js';
export { DEFAULT_PROGRESS_DEADLINE_SECONDS } from './phase.js';
export { initialStatus, reconcile } from './reconcile.js';
export { DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from './rolling.js';
export * from './types.js';
