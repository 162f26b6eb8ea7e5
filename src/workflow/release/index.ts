/** The release workflow: stages, approval policy and the pure transition of a release. */
export {
  APPROVAL_POLICIES,
  type ApprovalPolicy,
  type ApprovalState,
  approvalState,
  assertMayApprove,
  assertMayReject,
  hasApproved,
  isActor,
  sameActor,
} from './approval-policy.js';
export { createRelease, type ReleaseOptions } from './create-release.js';
export { type Effect, NOTIFICATION_KINDS, type NotificationKind } from './effect.js';
export {
  APPROVAL_REFUSALS,
  ApprovalNotAllowedError,
  type ApprovalRefusal,
  ReleaseError,
  ReleaseTransitionError,
  ReleaseValidationError,
} from './errors.js';
export {
  type PlanEvent,
  type PlanPhase,
  type PlanProgress,
  type PlanRolloutProgress,
  type PlanRolloutState,
  type PlanSmokeResult,
  planPercent,
  progressEvents,
} from './plan-progress.js';
export {
  type Actor,
  type Approval,
  isTerminalStatus,
  RELEASE_STAGES,
  RELEASE_STATUSES,
  RELEASE_TYPES,
  type Rejection,
  type Release,
  type ReleaseHistoryEntry,
  type ReleaseStage,
  type ReleaseStatus,
  type ReleaseType,
  ROLLBACK_TYPES,
  type RollbackRequest,
  type RollbackType,
  STAGE_RESULTS,
  type StageResult,
  type StageResultKind,
  TERMINAL_RELEASE_STATUSES,
} from './release.js';
export { releaseEffects } from './release-effects.js';
export type {
  ApproveEvent,
  CancelEvent,
  RejectEvent,
  ReleaseContext,
  ReleaseEvent,
  RollbackRequestedEvent,
  StageFailedEvent,
  StageSucceededEvent,
  TickEvent,
  WindowOpenedEvent,
} from './release-event.js';
export { type PlanStep, releasePlan } from './release-plan.js';
export {
  type ReleaseLogEvent,
  type ReleaseTransition,
  transitionRelease,
  WORKFLOW_ACTOR,
  windowTime,
} from './transition-release.js';
