/**
 * The crew's rollback and monitoring triggers: pure decisions over samples and checkpoints, with
 * time passed in.
 */
export {
  type CheckpointObservation,
  type CheckpointVerdict,
  DEFAULT_MONITOR_CHECKPOINTS_S,
  DEFAULT_MONITOR_THRESHOLDS,
  dueCheckpoints,
  evaluateCheckpoint,
  MONITOR_FINDING_KINDS,
  MONITOR_LEVELS,
  type MonitorFinding,
  type MonitorFindingKind,
  type MonitorLevel,
  type MonitorThresholds,
  type MonitorVerdict,
} from './monitor-checkpoints.js';
export {
  DEFAULT_ROLLBACK_MAX_GAP_SECONDS,
  DEFAULT_ROLLBACK_TRIGGERS,
  evaluateRollbackTriggers,
  INITIAL_ROLLBACK_TRIGGER_STATE,
  ROLLBACK_TRIGGER_KINDS,
  type RollbackSample,
  type RollbackTrigger,
  type RollbackTriggerKind,
  type RollbackTriggerPolicy,
  type RollbackTriggerResult,
  type RollbackTriggerState,
  type SampledRollbackTriggerKind,
  type SustainedThreshold,
} from './rollback-triggers.js';
export {
  DEFAULT_SUSTAINED_MAX_GAP_MS,
  INITIAL_SUSTAINED_STATE,
  observeSustained,
  type SustainedOptions,
  type SustainedResult,
  type SustainedSample,
  type SustainedState,
} from './sustained-condition.js';
