export { type ActionResult, type ActionTarget, runHandoffAction } from './handoff-action.js';
export {
  DEFAULT_HANDOFF_TIMEOUT_SECONDS,
  DEFAULT_MAX_STATE_BYTES,
  HandoffRunner,
  type HandoffRunnerOptions,
  plannedSteps,
} from './handoff-runner.js';
export { type SnapshotSubject, SnapshotTaker } from './snapshot-taker.js';
export * from './types.js';
