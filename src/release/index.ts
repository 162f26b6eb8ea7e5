/**
 * The release executors, beside the pure workflow (`../workflow/`): {@link ReleaseService} applies
 * the workflow's decisions (stores each state, writes records, sends notifications; the HTTP routes
 * in `../server/` call it) and the plan executor (`plan-executor.ts`) carries a release's Rollouts
 * out in plan order for the crew's Orchestrator.
 */
export { ReleaseNotFoundError } from './errors.js';
export { deployedRevisionsOf, rolloutIn, rolloutNameIn, rolloutsIn } from './release-rollouts.js';
export {
  type NotifyFn,
  type ReleaseNotification,
  ReleaseService,
  type ReleaseServiceOptions,
  type RollbackCause,
} from './release-service.js';
