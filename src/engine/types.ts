/**
 * Shapes of the rollout engine: persisted status, what the controller observes, and what a
 * reconcile decides. Phases and pause reasons are Argo Rollouts' (v1alpha1).
 */
import type { AnalysisPhase, AnalysisRunRevisions } from '../analysis/types.js';
import type { RolloutDataPlaneSpec, RolloutDataPlaneStatus } from '../dataplane/protocol.js';
import type { HandoffKind, HandoffPhase, HandoffStepName } from '../handoff/types.js';
import type { LocalTemplate, RolloutAnalysis, RolloutSpec, SetFlag } from '../spec/types.js';

export const ROLLOUT_PHASES = ['Healthy', 'Progressing', 'Paused', 'Degraded'] as const;
/** As Argo Rollouts' RolloutPhase. */
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

export const PAUSE_REASONS = ['CanaryPauseStep', 'BlueGreenPause', 'InconclusiveAnalysisRun'] as const;
/** As Argo Rollouts' PauseReason. */
export type PauseReason = (typeof PAUSE_REASONS)[number];

export interface PauseCondition {
  reason: PauseReason;
  /** ms since the epoch. */
  startTime: number;
}

/** One immutable version of a Rollout's template. */
export interface Revision {
  /** 1, 2, 3... in order of creation. */
  number: number;
  /** `templateHash` of the resolved template. */
  hash: string;
  template: LocalTemplate;
  /** ms since the epoch. */
  createdAt: number;
}

/** A reference from a rollout's status to an AnalysisRun it owns. */
export interface AnalysisRunRef {
  name: string;
  kind: 'step' | 'background' | 'prePromotion' | 'postPromotion';
  /** Last phase the engine saw. */
  phase: AnalysisPhase;
  /** Set by `promote` on an Inconclusive run: it no longer pauses the rollout. */
  acknowledged?: boolean;
}

/** A revision kept up until `at` (ms since the epoch), then scaled to zero. */
export interface ScaleDown {
  revision: number;
  at: number;
}

/** The experiment of a canary's current `experiment` step, as Argo's Experiment status. */
export interface ExperimentStatus {
  /** `<rollout>-r<revision>-s<stepIndex>` (with `-a<attempt>` after a retry). */
  name: string;
  /** ms since the epoch at which its replica sets were ready and routed; `duration` counts from here. */
  availableAt: number;
}

export const REPLICA_FAILURE_REASONS = ['CrashLoopBackOff', 'RunContainerError'] as const;
/**
 * Why a replica fails, as the waiting reasons of a Kubernetes container: `CrashLoopBackOff` (it
 * keeps exiting: `CRASH_LOOP_RESTARTS` (3) restarts without a ready period) and
 * `RunContainerError` (its process could not be started at all, e.g. `spawn failed: ENOENT`).
 */
export type ReplicaFailureReason = (typeof REPLICA_FAILURE_REASONS)[number];

/**
 * One episode of a watched revision (the current one, or the stable one) whose replica crash-loops
 * or cannot start (on Kubernetes, the status of its pods shows it). The episode begins with a
 * `Warning` event of its reason and ends when every replica of the revision has been ready for
 * `CRASH_LOOP_RESET_SECONDS` (60 s; or none is left); while it lasts the phase is Degraded.
 */
export interface ReplicaFailure {
  revision: number;
  /** Id of the failing replica (the first one, when several fail), e.g. `web-r2-0`. */
  replica: string;
  reason: ReplicaFailureReason;
  /** Its last exit code (127: it could not be started); null when it never exited. */
  exitCode: number | null;
  /** Its restarts since its last ready period, as last observed. */
  restarts: number;
  /** What the platform knows beyond the exit code, e.g. `spawn failed: ENOENT`. */
  message?: string;
  /** ms since the epoch at which the episode began. */
  since: number;
}

/** What the engine remembers of one replica's restarts, to tell a crash loop from occasional crashes. */
export interface ReplicaRestarts {
  /** `restarts` at the end of its last ready period (or when first seen): later ones count toward a crash loop. */
  baseline: number;
  /** `restarts` as last observed. */
  restarts: number;
  /** ms since the epoch since which it has been observed ready without restarting; null when not ready. */
  readySince: number | null;
}

/** The active replica of a Rollout with a handoff (`spec.handoff`). */
export interface ActiveReplica {
  /** Replica id, e.g. `coordinator-r2-0`. */
  id: string;
  revision: number;
  /** Its process' start, ms since the epoch: a restarted process is a new one (a failover). */
  startedAt: number;
}

/** The handoff run the engine started last, as last observed (the run itself is in the store). */
export interface HandoffRef {
  name: string;
  kind: HandoffKind;
  phase: HandoffPhase;
  /** The step being carried out; null once it ended. */
  step: HandoffStepName | null;
  fromReplica: string | null;
  toRevision: number;
  /** Null until chosen (a recreate chooses it once the new revision is ready). */
  toReplica: string | null;
  /** The old replica stops before the new one starts (recreate). */
  stopFirst: boolean;
  /** Failed: the failing step and the replica's answer. */
  message?: string;
  /** When the engine saw it end, ms since the epoch. */
  endedAt?: number;
}

/** Persisted status of one Rollout; `-o json` prints it. */
export interface RolloutStatus {
  phase: RolloutPhase;
  message: string;
  /** Revision of the current template (the one being rolled out, or the stable one). 0 before the first. */
  currentRevision: number;
  /** Revision serving production; null until the first revision is up. */
  stableRevision: number | null;
  /** Canary: index of the current step; equals steps.length when all are done. Null for other strategies. */
  currentStepIndex: number | null;
  /** Share of the main port's traffic, percent 0..100. */
  weights: { canary: number; stable: number };
  /** As Argo's `status.abort`: the update was aborted; traffic is on stable. */
  abort: boolean;
  /** ms since the epoch. */
  abortedAt: number | null;
  pauseConditions: PauseCondition[];
  /** Set by `cutover pause`, cleared by `resume` (Argo's spec.paused toggled by the plugin). */
  controllerPause: boolean;
  /** Set by `promote --full`: skip the remaining steps and analyses. */
  promoteFull: boolean;
  /** Set by `promote` while blue-green waits for promotion. */
  promoted: boolean;
  /**
   * Set by `undo --now`: the revision whose update skips every step and analysis when it starts
   * (a fast-track rollback, as Argo's `rollbackWindow`); cleared once that update starts.
   * Absent when no fast-track is pending.
   */
  fastTrackRevision?: number;
  /** Bumped by `retry`, so a retried update gets new AnalysisRun names. */
  attempt: number;
  /** ms since the epoch at which the current step began. */
  stepStartedAt: number | null;
  /** ms since the epoch of the last observed progress (for progressDeadlineSeconds). */
  lastProgressAt: number | null;
  /** Blue-green: revision serving the main port, and the one on the preview port. */
  activeRevision: number | null;
  previewRevision: number | null;
  /** Blue-green: ms since the epoch at which the preview became ready (autoPromotionSeconds counts from here). */
  previewReadyAt: number | null;
  analysisRuns: AnalysisRunRef[];
  /** Canary: the running experiment of the current step; absent otherwise. */
  experiment?: ExperimentStatus;
  /**
   * Canary: the feature flag ramps the update holds (the last `setFlag` step of each flag up to
   * the current step), served in place of the flags' targeting; absent when none (no update, an
   * aborted one, or no `setFlag` step reached yet).
   */
  flagRamps?: SetFlag[];
  scaleDowns: ScaleDown[];
  /**
   * Crash-loop and start-failure episodes of the current revision (first) and of the stable one.
   * Absent in a status written before they existed; the next reconcile adds it.
   */
  replicaFailures: ReplicaFailure[];
  /** Restart bookkeeping of the watched revisions' replicas, by replica id. */
  replicaRestarts: Record<string, ReplicaRestarts>;
  /**
   * A Rollout with a handoff: its active replica; null while none is (before the first activation,
   * or while a failover waits for a ready replica). Absent for other Rollouts.
   */
  activeReplica?: ActiveReplica | null;
  /** A Rollout with a handoff: the last handoff run. */
  handoff?: HandoffRef;
  /**
   * Set by `undo --restore-state` of a stateful Rollout: the state backup to restore once no
   * replica of the Rollout runs; cleared when restored.
   */
  restoreState?: { backup: string };
  /** Replicas of the current revision that are ready / desired. */
  readyReplicas: number;
  replicas: number;
  /** ms since the epoch of the last status change. */
  updatedAt: number;
}

/** Everything the engine knows about one Rollout. */
export interface RolloutState {
  name: string;
  spec: RolloutSpec;
  /** All revisions, oldest first. */
  revisions: Revision[];
  status: RolloutStatus;
}

/** A run's latest assessment, as observed from the store. */
export interface ObservedAnalysisRun {
  phase: AnalysisPhase;
  message?: string;
}

/** A handoff run as observed from the store. */
export interface ObservedHandoffRun {
  phase: HandoffPhase;
  /** Its current step (the first pending); null once it ended. */
  step: HandoffStepName | null;
  toReplica: string | null;
  message?: string;
}

export interface Observed {
  /** The data plane's view of this rollout; undefined when it has nothing for it yet. */
  dataPlane: RolloutDataPlaneStatus | undefined;
  analysisRuns: Record<string, ObservedAnalysisRun>;
  /** Handoff runs the status refers to, by name. @default {} */
  handoffRuns?: Record<string, ObservedHandoffRun>;
  /**
   * The flag ramps the data plane serves for this Rollout: its status' `flagRamps` ([] without
   * any) when the data plane serves the flag sets with them; undefined when it does not (yet), or
   * it is unknown. A `setFlag` step completes once they are the ones it asks for.
   */
  flagRamps?: SetFlag[];
}

export type EngineAction =
  | {
      type: 'createAnalysisRun';
      name: string;
      kind: AnalysisRunRef['kind'];
      revision: number;
      revisions: AnalysisRunRevisions;
      analysis: RolloutAnalysis;
    }
  | { type: 'terminateAnalysisRun'; name: string }
  /**
   * The update completed: each flag's last `setFlag` ramp of the steps becomes the flag's
   * definition in the FeatureFlags resources (idempotent: written again, it changes nothing).
   */
  | { type: 'promoteFlagRamps'; ramps: SetFlag[] }
  /** A stateful Rollout's update starts: back its state directories up (the revision that ran on them). */
  | { type: 'backupState'; revision: number }
  /** No replica of the stateful Rollout runs: put the backup's state directories in place. */
  | { type: 'restoreState'; backup: string }
  | {
      type: 'createHandoffRun';
      name: string;
      kind: HandoffKind;
      fromReplica: string | null;
      fromRevision: number | null;
      toRevision: number;
      toReplica: string | null;
      stopFirst: boolean;
    };

/** An entry of the event log: every change of state with its reason. */
export interface EngineEvent {
  /** `Normal` or `Warning`, as Kubernetes events. */
  type: 'Normal' | 'Warning';
  /** Argo-style reason, e.g. `RolloutAborted`, `SetWeight`. */
  reason: string;
  message: string;
}

export interface ReconcileResult {
  status: RolloutStatus;
  /** Whole desired data-plane state of the rollout; applying it is idempotent. */
  desired: RolloutDataPlaneSpec;
  actions: EngineAction[];
  events: EngineEvent[];
}
