import { reconcileBlueGreen } from './blue-green.js';
import { reconcileCanary } from './canary.js';
import { Decision } from './decision.js';
import { reconcileActiveReplica } from './handoff.js';
import { abortUpdate, applyScaleDowns, reconcileSteady, startUpdate } from './lifecycle.js';
import { computePhase } from './phase.js';
import { progressDeadlineAbortReason, trackProgress } from './progress-deadline.js';
import { reconcileRecreate } from './recreate.js';
import { observeReplicaFailures } from './replica-failures.js';
import { reconcileRolling } from './rolling.js';
import { reconcileStatefulRolling } from './stateful-rolling.js';
import type { Observed, ReconcileResult, RolloutState, RolloutStatus } from './types.js';

/**
 * The rollout engine's decision: compares the desired state (spec, revisions), the persisted
 * status and what the data plane and the AnalysisRuns report, and returns the next status, the
 * whole desired data-plane state, the AnalysisRun actions and an event for every change.
 *
 * Pure and level-triggered: the same inputs always give the same result, and applying the result
 * twice is the same as once. A step only advances on an *observed* fact (replicas ready, router
 * weight applied, analysis phase), so persisted status is never ahead of reality.
 *
 * The current revision is `state.revisions`' last entry unless `targetRevision` names another
 * (a return to the stable revision).
 *
 * Replicas that crash-loop or cannot start are an event and a Degraded phase; with
 * `spec.progressDeadlineAbort` they, and an update past `progressDeadlineSeconds`, abort the update
 * (see `replica-failures.ts`, `progress-deadline.ts`).
 * @param now - ms since the epoch.
 */
export function reconcile(
  state: RolloutState & { targetRevision?: number },
  observed: Observed,
  now: number,
): ReconcileResult {
  const d = new Decision(state, observed, now);
  const s = d.status;
  const target =
    state.revisions.find((r) => r.number === state.targetRevision) ??
    state.revisions[state.revisions.length - 1];
  if (!target) return d.result();
  if (s.currentRevision !== target.number) startUpdate(d, target, s.currentRevision);

  if (s.restoreState !== undefined && state.spec.stateful !== undefined) reconcileRestoreState(d);
  else runStrategy(d);
  observeReplicaFailures(d);
  trackProgress(d);
  const abortReason = progressDeadlineAbortReason(d);
  if (abortReason !== undefined) {
    abortUpdate(d, abortReason);
    runStrategy(d); // the strategy's abort path: all traffic back to stable in this same reconcile
  }

  applyScaleDowns(d);
  reconcileActiveReplica(d, servingRevision(d));
  computePhase(d);
  const result = d.result();
  if (result.events.length > 0 || changed(state.status, result.status)) result.status.updatedAt = now;
  return result;
}

function runStrategy(d: Decision): void {
  const s = d.status;
  const strategy = d.state.spec.strategy;
  if (s.currentRevision === s.stableRevision) reconcileSteady(d);
  else if (strategy.canary) reconcileCanary(d, strategy.canary);
  else if (strategy.blueGreen) reconcileBlueGreen(d, strategy.blueGreen);
  else if (strategy.rolling && d.state.spec.stateful !== undefined)
    reconcileStatefulRolling(d, strategy.rolling);
  else if (strategy.rolling) reconcileRolling(d, strategy.rolling);
  else reconcileRecreate(d);
}

/**
 * `undo --restore-state`: every replica of the Rollout stops (requests are held), then the backup
 * is restored, then the strategy brings the target revision up on the restored directories.
 */
function reconcileRestoreState(d: Decision): void {
  const s = d.status;
  const revisions = new Set([s.currentRevision, ...d.observedRevisions()]);
  for (const r of revisions) d.scaleOrdinals(r, []);
  d.route(d.state.spec.port, { [s.currentRevision]: 100 });
  if ([...revisions].some((r) => d.hasProcesses(r))) return;
  d.actions.push({ type: 'restoreState', backup: s.restoreState!.backup });
  d.event('Normal', 'StateRestored', `State directories restored from backup ${s.restoreState!.backup}`);
  delete s.restoreState;
  s.lastProgressAt = d.now;
}

/**
 * The revision that holds the active role when no update moves it: the stable one in a steady
 * state or after an abort, otherwise the active replica's own (a failover stays in its revision).
 */
function servingRevision(d: Decision): number | null {
  const s = d.status;
  if (s.currentRevision === s.stableRevision || s.abort) return s.stableRevision;
  return s.activeReplica?.revision ?? s.stableRevision;
}

function changed(a: RolloutStatus, b: RolloutStatus): boolean {
  return JSON.stringify({ ...a, updatedAt: 0 }) !== JSON.stringify({ ...b, updatedAt: 0 });
}

/** Status of a Rollout that has never been reconciled. */
export function initialStatus(now: number): RolloutStatus {
  return {
    phase: 'Progressing',
    message: 'waiting for the first reconcile',
    currentRevision: 0,
    stableRevision: null,
    currentStepIndex: null,
    weights: { canary: 0, stable: 100 },
    abort: false,
    abortedAt: null,
    pauseConditions: [],
    controllerPause: false,
    promoteFull: false,
    promoted: false,
    attempt: 0,
    stepStartedAt: null,
    lastProgressAt: now,
    activeRevision: null,
    previewRevision: null,
    previewReadyAt: null,
    analysisRuns: [],
    scaleDowns: [],
    replicaFailures: [],
    replicaRestarts: {},
    readyReplicas: 0,
    replicas: 0,
    updatedAt: now,
  };
}
