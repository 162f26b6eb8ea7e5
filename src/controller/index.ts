export {
  Controller,
  type ControllerOptions,
  type ControllerStats,
  type FlagRampServing,
} from './controller.js';
export { dataPlaneMatches } from './desired-diff.js';
export { RolloutNotFoundError } from './errors.js';
export { Mutex } from './mutex.js';
export type { RolloutDataPlane } from './rollout-data-plane.js';
