import type { Decision } from './decision.js';
import { describeReplicaFailure } from './replica-failures.js';

/** @default 600 s, as Argo Rollouts' `progressDeadlineSeconds`. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/**
 * Records the current revision's ready replicas (`status.readyReplicas`, `status.replicas`) and the
 * progress the strategies do not record themselves, as Argo Rollouts' `RolloutProgressing`: more
 * ready replicas, and falling out of full availability (Argo's `ReplicaSetNotAvailable` starts a
 * new deadline), but not a further drop; and the end of a pause however it ended (`promote`,
 * `resume`, `spec.paused: false`, a timed pause), since paused time does not count (Argo's
 * `RolloutResumed`). Pure (on the decision).
 */
export function trackProgress(d: Decision): void {
  const s = d.status;
  const replicas = d.replicas;
  const ready = Math.min(d.ready(s.currentRevision), replicas);
  const becameUnavailable = s.readyReplicas >= s.replicas && ready < replicas;
  const pauseEnded = d.state.status.phase === 'Paused' && !d.paused && s.pauseConditions.length === 0;
  if (ready > s.readyReplicas || becameUnavailable || pauseEnded) s.lastProgressAt = d.now;
  s.replicas = replicas;
  s.readyReplicas = ready;
}

/**
 * Whether the rollout made no progress for `spec.progressDeadlineSeconds`, as Argo Rollouts'
 * `ProgressDeadlineExceeded`: an update runs (or the current revision lacks ready replicas), it is
 * not aborted, and nothing progressed for the deadline. As Argo, time does not count while the
 * rollout is paused (a pause condition, `cutover pause`, `spec.paused`) nor while a canary is at a
 * `pause`, `analysis` or `experiment` step (Argo's `isIndefiniteStep`); ending any of them is
 * progress. Pure.
 */
export function progressDeadlineExceeded(d: Decision): boolean {
  const s = d.status;
  if (s.abort || d.paused || s.pauseConditions.length > 0 || atIndefiniteStep(d)) return false;
  const updating = s.currentRevision !== s.stableRevision;
  if (!updating && s.readyReplicas >= s.replicas) return false;
  return s.lastProgressAt !== null && d.now - s.lastProgressAt > deadlineMs(d);
}

/** `status.message` of a rollout past its deadline. */
export function progressDeadlineMessage(d: Decision): string {
  return `ProgressDeadlineExceeded: revision ${d.status.currentRevision} has made no progress for ${deadlineMs(d) / 1000}s`;
}

/**
 * Why the update must be aborted now under `spec.progressDeadlineAbort: true`, or undefined: as
 * Argo Rollouts, when the update is past its progress deadline; and, cutover's addition, at once
 * when the new revision crash-loops or cannot start (`status.replicaFailures`), pause or not,
 * since such a revision can make no progress. Only a canary or blue-green update that is running
 * and not already aborted is aborted (there is nothing to abort to otherwise). Pure.
 */
export function progressDeadlineAbortReason(d: Decision): string | undefined {
  const s = d.status;
  const spec = d.state.spec;
  if (spec.progressDeadlineAbort !== true || s.abort || s.currentRevision === s.stableRevision) return;
  if (!spec.strategy.canary && !spec.strategy.blueGreen) return;
  const failure = s.replicaFailures.find((f) => f.revision === s.currentRevision);
  if (failure) return `${failure.reason}: ${describeReplicaFailure(failure)}`;
  if (progressDeadlineExceeded(d)) return progressDeadlineMessage(d);
  return undefined;
}

function deadlineMs(d: Decision): number {
  return (d.state.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
}

/** A canary update at a step that may take any time: pause, analysis or experiment (Argo's `isIndefiniteStep`). */
function atIndefiniteStep(d: Decision): boolean {
  const s = d.status;
  const steps = d.state.spec.strategy.canary?.steps;
  if (!steps || s.promoteFull || s.currentRevision === s.stableRevision) return false;
  const step = steps[s.currentStepIndex ?? 0];
  return step !== undefined && ('pause' in step || 'analysis' in step || 'experiment' in step);
}
