import type { RollingStrategy } from '../spec/types.js';
import type { Decision } from './decision.js';
import { handoffEnabled, handoffGate, oldMayStop } from './handoff.js';
import { abortUpdate, completeUpdate } from './lifecycle.js';
import { routeByReady } from './rolling.js';

/**
 * One reconcile of a stateful Rollout's rolling update, as a StatefulSet's `RollingUpdate`
 * (podManagementPolicy OrderedReady): ordinals move to the new revision one at a time, from the
 * highest to the lowest, each only once every ordinal already moved is ready; ordinals below
 * `partition` keep their revision. An ordinal moves by stopping its old replica (drain, preStop,
 * SIGTERM) before its successor starts on the same state directory (the platform never runs two
 * processes on one ordinal). Traffic follows ready replicas.
 *
 * With a handoff, the ordinal holding the active replica moves only after the active role has
 * passed: to a ready replica of the new revision when there is one, otherwise in place (the
 * state exported and the replica shut down before it stops, imported by its successor).
 */
export function reconcileStatefulRolling(d: Decision, rolling: RollingStrategy): void {
  const s = d.status;
  if (s.abort) {
    reconcileStatefulAbort(d);
    return;
  }
  const current = s.currentRevision;
  const partition = rolling.partition ?? 0;
  const owner = ordinalOwners(d, partition);
  if (!d.paused) {
    const moved = [...owner].filter(([, r]) => r === current).map(([o]) => o);
    const ready = new Set(d.readyOrdinals(current));
    const next = [...owner]
      .filter(([o, r]) => r !== current && o >= partition)
      .map(([o]) => o)
      .sort((a, b) => b - a)[0];
    if (
      next !== undefined &&
      moved.every((o) => ready.has(o)) &&
      mayMove(d, next, owner.get(next)!, ready.size)
    ) {
      owner.set(next, current);
    }
  }
  if (s.abort) {
    reconcileStatefulAbort(d);
    return;
  }
  const revisions = new Set([current, ...d.observedRevisions(), ...owner.values()]);
  for (const revision of revisions) {
    d.scaleOrdinals(
      revision,
      [...owner].filter(([, r]) => r === revision).map(([o]) => o),
    );
  }
  routeByReady(d, [current, ...[...revisions].filter((r) => r !== current)]);
  const done = [...owner].every(([o, r]) => r === current || o < partition);
  if (done && partition === 0 && d.ready(current) >= d.replicas && s.stableRevision !== null) {
    completeUpdate(d, s.stableRevision, 0);
  }
}

/**
 * Which revision runs each ordinal 0..replicas-1: as observed; an ordinal no revision runs yet
 * goes to the current revision (or, below the partition, the stable one).
 */
function ordinalOwners(d: Decision, partition: number): Map<number, number> {
  const s = d.status;
  const owner = new Map<number, number>();
  for (const revision of d.observedRevisions()) {
    for (const o of d.observedOrdinals(revision)) if (o < d.replicas) owner.set(o, revision);
  }
  for (let o = 0; o < d.replicas; o++) {
    if (!owner.has(o))
      owner.set(o, o >= partition ? s.currentRevision : (s.stableRevision ?? s.currentRevision));
  }
  return owner;
}

/**
 * Whether `ordinal` (of revision `from`) may move now: always, unless it holds the active
 * replica of a handoff Rollout; then once its handoff allows it. A failed handoff aborts.
 */
function mayMove(d: Decision, ordinal: number, from: number, readyCurrent: number): boolean {
  const s = d.status;
  const active = s.activeReplica;
  if (!handoffEnabled(d) || !active || active.revision !== from || active.id !== `${d.name}-${ordinal}`)
    return true;
  const inPlace = readyCurrent === 0;
  const gate = handoffGate(d, s.currentRevision, inPlace);
  if (gate === 'failed') {
    abortUpdate(d, `Handoff ${s.handoff?.name} failed: ${s.handoff?.message ?? 'unknown'}`);
    return false;
  }
  return inPlace ? oldMayStop(d) : gate === 'done';
}

/**
 * An aborted stateful update: every ordinal returns to the stable revision, each starting once
 * the aborted revision's replica on it has stopped.
 */
function reconcileStatefulAbort(d: Decision): void {
  const s = d.status;
  if (s.stableRevision === null) return;
  d.scaleOrdinals(s.currentRevision, []);
  d.scaleOrdinals(
    s.stableRevision,
    Array.from({ length: d.replicas }, (_, i) => i),
  );
  routeByReady(d, [s.stableRevision, s.currentRevision]);
}
