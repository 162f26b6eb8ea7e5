import type { Decision } from './decision.js';
import { progressDeadlineExceeded, progressDeadlineMessage } from './progress-deadline.js';
import { describeReplicaFailure } from './replica-failures.js';

/**
 * Computes phase and message as Argo Rollouts does (`CalculateRolloutPhase`), first match wins:
 * Degraded when aborted, when a watched revision crash-loops or cannot start (`<reason>: <what>`,
 * the current revision's first), or past the progress deadline; Paused while any pause condition
 * or a manual pause holds; Progressing while an update runs or the current revision lacks ready
 * replicas; Healthy otherwise. Each change of phase is an event `Phase<Phase>`. Call after
 * `trackProgress`.
 */
export function computePhase(d: Decision): void {
  const s = d.status;
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
  const failure = s.replicaFailures[0];
  if (failure) {
    setPhase(d, 'Degraded', `${failure.reason}: ${describeReplicaFailure(failure)}`);
    return;
  }
  if (progressDeadlineExceeded(d)) {
    setPhase(d, 'Degraded', progressDeadlineMessage(d));
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
  if (s.readyReplicas < s.replicas) {
    setPhase(
      d,
      'Progressing',
      `${s.readyReplicas} of ${s.replicas} replicas of revision ${s.currentRevision} ready`,
    );
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
