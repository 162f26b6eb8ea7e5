export { Controller, type ControllerOptions, type ControllerStats } from './controller.js';
export { dataPlaneMatches } from './desired-diff.js';
export { RolloutNotFoundError } from './errors.js';
export { Mutex } from './mutex.js';
