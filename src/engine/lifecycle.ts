import type { AnalysisPhase } from '../analysis/types.js';
import type { Decision } from './decision.js';
import type { Revision } from './types.js';

/**
 * Name of an AnalysisRun the engine owns: `<rollout>-r<revision>-<slot>`, with `-a<attempt>` after a
 * retry, so a retried update gets fresh runs. Deterministic, so a restarted controller finds them.
 */
export function runName(d: Decision, slot: string): string {
  const s = d.status;
  return `${d.name}-r${s.currentRevision}-${slot}${s.attempt > 0 ? `-a${s.attempt}` : ''}`;
}

/** Starts the strategy for a new revision (as Argo when the pod template hash changes). */
export function startUpdate(d: Decision, revision: Revision, previous: number): void {
  const s = d.status;
  const stable = s.stableRevision;
  if (previous !== 0 && previous !== stable) {
    // An update superseded mid-way: its revision goes away as soon as traffic has left it.
    d.scaleDownAt(previous, d.now);
  }
  if (d.state.spec.stateful !== undefined && previous !== 0 && stable !== null) {
    // As a volume snapshot before a StatefulSet update: the state as the stable revision left it.
    d.actions.push({ type: 'backupState', revision: stable });
  }
  s.currentRevision = revision.number;
  s.scaleDowns = s.scaleDowns.filter((x) => x.revision !== revision.number);
  s.currentStepIndex = d.state.spec.strategy.canary ? 0 : null;
  s.abort = false;
  s.abortedAt = null;
  s.pauseConditions = [];
  s.promoteFull = false;
  s.promoted = false;
  s.attempt = 0;
  s.stepStartedAt = d.now;
  s.lastProgressAt = d.now;
  s.previewReadyAt = null;
  s.activeRevision = stable;
  s.previewRevision = stable === revision.number ? null : revision.number;
  s.weights = { canary: stable === revision.number ? 100 : 0, stable: stable === revision.number ? 0 : 100 };
  s.analysisRuns = s.analysisRuns.filter((r) => r.phase === 'Running' || r.phase === 'Pending');
  delete s.experiment;
  if (s.fastTrackRevision !== undefined) {
    const fastTrack = s.fastTrackRevision === revision.number;
    delete s.fastTrackRevision;
    if (fastTrack && stable !== null && stable !== revision.number) {
      s.promoteFull = true;
      s.promoted = true;
      d.event(
        'Normal',
        'RolloutFastTracked',
        `Revision ${revision.number} is fast-tracked (undo --now, apply --now): steps and analyses skipped`,
      );
    }
  }
  if (stable === null) {
    s.stableRevision = revision.number;
    s.activeRevision = revision.number;
    s.previewRevision = null;
    s.weights = { canary: 100, stable: 0 };
    d.event(
      'Normal',
      'RolloutUpdated',
      `Revision ${revision.number} created; first revision comes up at full scale`,
    );
  } else if (stable === revision.number) {
    d.event('Normal', 'RolloutUpdated', `Rolled back to stable revision ${revision.number}`);
  } else {
    d.event(
      'Normal',
      'RolloutUpdated',
      `Rollout updated to revision ${revision.number}; stable is ${stable}`,
    );
  }
}

/**
 * Aborts the update: all traffic back to stable (as Argo's `status.abort`), with a `RolloutAborted`
 * event giving `reason`. The strategy routes the traffic when it next runs on the decision.
 */
export function abortUpdate(d: Decision, reason: string): void {
  const s = d.status;
  s.abort = true;
  s.abortedAt = d.now;
  s.pauseConditions = [];
  const message = `Rollout aborted update to revision ${s.currentRevision}: ${reason}`;
  s.message = `RolloutAborted: ${message}`;
  s.weights = { canary: 0, stable: 100 };
  s.activeRevision = s.stableRevision;
  d.event('Warning', 'RolloutAborted', message);
}

/**
 * Aborts because AnalysisRun `name` ended `phase`. The reason is `<what> <name> <phase>: <message>`,
 * where the message is the run's as observed: the controller gives the metric, the measured value
 * and the condition that failed. Pure (on the decision).
 */
export function abortForAnalysis(d: Decision, what: string, name: string, phase: AnalysisPhase): void {
  const message = d.runMessage(name);
  abortUpdate(d, `${what} ${name} ${phase}${message ? `: ${message}` : ''}`);
}

/** The current revision becomes stable; the old stable goes after `delayMs`. */
export function completeUpdate(d: Decision, oldStable: number, delayMs: number): void {
  const s = d.status;
  s.stableRevision = s.currentRevision;
  s.activeRevision = s.currentRevision;
  s.previewRevision = null;
  s.pauseConditions = [];
  s.promoteFull = false;
  s.promoted = false;
  s.lastProgressAt = d.now;
  if (oldStable !== s.currentRevision) d.scaleDownAt(oldStable, d.now + delayMs);
  d.event('Normal', 'RolloutCompleted', `Rollout completed update to revision ${s.currentRevision}`);
}

/**
 * The update holds no flag ramp any more (aborted, superseded, or back to the stable revision):
 * the flags are served as defined again, with a `FlagRampReverted` event naming each ramp dropped.
 */
export function dropFlagRamps(d: Decision, why: string): void {
  const ramps = d.status.flagRamps;
  if (ramps === undefined) return;
  delete d.status.flagRamps;
  if (ramps.length === 0) return;
  d.event(
    'Normal',
    'FlagRampReverted',
    `Flag ramps dropped (${why}); served as defined again: ${ramps
      .map((r) => `${r.flag} (was ${r.variant} for ${r.percentage}%)`)
      .join(', ')}`,
  );
}

/** No update in progress: the stable revision at full scale with all traffic. */
export function reconcileSteady(d: Decision): void {
  dropFlagRamps(d, 'no update in progress');
  const stable = d.status.stableRevision!;
  d.scale(stable, d.replicas);
  d.route(d.state.spec.port, { [stable]: 100 });
  const previewPort = d.state.spec.strategy.blueGreen?.previewPort;
  if (previewPort !== undefined) d.route(previewPort, { [stable]: 100 });
  d.status.weights = { canary: 100, stable: 0 };
  if (d.status.currentStepIndex !== null)
    d.status.currentStepIndex = d.state.spec.strategy.canary?.steps?.length ?? 0;
}

/**
 * Applies delayed scale-downs: a revision is kept at its current size until its time, then goes
 * to zero, but never while the router still sends it traffic.
 */
export function applyScaleDowns(d: Decision): void {
  const s = d.status;
  const ports = [d.state.spec.port, d.state.spec.strategy.blueGreen?.previewPort].filter(
    (p): p is number => p !== undefined,
  );
  s.scaleDowns = s.scaleDowns.filter((x) => {
    if (x.revision === s.currentRevision || x.revision === s.stableRevision) {
      return x.revision === s.currentRevision && s.abort ? keep(d, x.revision) : false;
    }
    const routed = ports.some((p) => d.observedWeight(p, x.revision) > 0);
    if (d.now < x.at || routed) return keep(d, x.revision);
    d.scale(x.revision, 0);
    return false;
  });
  // The aborted canary itself is scaled down when its delay ends.
  const aborted = s.scaleDowns.find((x) => x.revision === s.currentRevision);
  if (
    s.abort &&
    aborted &&
    d.now >= aborted.at &&
    d.observedWeight(d.state.spec.port, aborted.revision) === 0
  ) {
    d.scale(aborted.revision, 0);
  }
}

function keep(d: Decision, revision: number): true {
  if (d.desiredReplicas(revision) === 0) d.scale(revision, d.observedReplicas(revision));
  return true;
}
