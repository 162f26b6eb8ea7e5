import type { Decision } from './decision.js';

/** @default 600 s, as Argo Rollouts' `progressDeadlineSeconds`. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/**
 * Computes phase and message as Argo Rollouts does: Degraded when aborted or past the progress
 * deadline; Paused while any pause condition or a manual pause holds; Progressing while an update
 * runs or the current revision lacks ready replicas; Healthy otherwise.
 */
export function computePhase(d: Decision): void {
  const s = d.status;
  const replicas = d.replicas;
  s.replicas = replicas;
  const ready = Math.min(d.ready(s.currentRevision), replicas);
  if (ready !== s.readyReplicas) {
    s.readyReplicas = ready;
    s.lastProgressAt = d.now;
  }
  const updating = s.currentRevision !== s.stableRevision;
  const paused = d.paused || s.pauseConditions.length > 0;

  if (s.abort) {
    setPhase(
      d,
      'Degraded',
      s.message.startsWith('RolloutAborted')
        ? s.message
        : `RolloutAborted: update to revision ${s.currentRevision} aborted`,
    );
    return;
  }
  const deadlineMs = (d.state.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  // As Argo, a paused rollout does not time out; ending a pause counts as progress.
  if (
    !paused &&
    (updating || ready < replicas) &&
    s.lastProgressAt !== null &&
    d.now - s.lastProgressAt > deadlineMs
  ) {
    setPhase(
      d,
      'Degraded',
      `ProgressDeadlineExceeded: revision ${s.currentRevision} has made no progress for ${deadlineMs / 1000}s`,
    );
    return;
  }
  if (paused) {
    const reasons: string[] = s.pauseConditions.map((p) => p.reason);
    if (d.paused) reasons.unshift('PausedByUser');
    setPhase(d, 'Paused', reasons.join(', '));
    return;
  }
  if (updating) {
    setPhase(d, 'Progressing', `updating to revision ${s.currentRevision}`);
    return;
  }
  if (ready < replicas) {
    setPhase(d, 'Progressing', `${ready} of ${replicas} replicas of revision ${s.currentRevision} ready`);
    return;
  }
  setPhase(d, 'Healthy', '');
}

function setPhase(d: Decision, phase: typeof d.status.phase, message: string): void {
  const s = d.status;
  if (s.phase !== phase) {
    const type = phase === 'Degraded' ? 'Warning' : 'Normal';
    d.event(type, `Phase${phase}`, `Rollout is ${phase}${message ? `: ${message}` : ''}`);
  }
  s.phase = phase;
  s.message = message;
}
