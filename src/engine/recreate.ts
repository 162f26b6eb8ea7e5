import type { Decision } from './decision.js';
import { activeRevision, handoffEnabled, handoffGate, oldMayStop } from './handoff.js';
import { abortUpdate, completeUpdate } from './lifecycle.js';

/**
 * One reconcile of a recreate update, as Argo Rollouts' / Kubernetes' Recreate: every old replica
 * is stopped (drained first) before the new revision starts. The main port already routes to the
 * new revision; the router holds requests while no replica is ready, so none fail.
 *
 * With a handoff (`spec.handoff`), the handoff runs between the stop and the start: the active
 * replica is drained, prepared, exported and shut down before its revision stops; the new
 * revision's first ready replica imports the state and is activated before the held requests go
 * to it. A failed handoff aborts the update: the stable revision comes back (activated from the
 * exported state when it had already stopped).
 */
export function reconcileRecreate(d: Decision): void {
  const s = d.status;
  if (s.abort) {
    reconcileRecreateAbort(d);
    return;
  }
  const current = s.currentRevision;
  d.route(d.state.spec.port, { [current]: 100 });
  s.weights = { canary: 100, stable: 0 };
  const old = d.observedRevisions().filter((r) => r !== current);
  const active = activeRevision(d);
  const handoff = handoffEnabled(d) && active !== null && active !== current;
  if (handoff && !d.paused) {
    const gate = handoffGate(d, current, true);
    if (gate === 'failed') {
      abortUpdate(d, `Handoff ${s.handoff?.name} failed: ${s.handoff?.message ?? 'unknown'}`);
      reconcileRecreateAbort(d);
      return;
    }
    if (old.length > 0 && !oldMayStop(d)) {
      // The active replica is not yet exported and shut down: nothing stops, nothing starts.
      for (const r of old) d.scale(r, d.observedReplicas(r));
      d.scale(current, d.observedReplicas(current));
      return;
    }
  }
  if (old.length > 0 || d.paused) {
    for (const r of old) d.scale(r, d.paused ? d.observedReplicas(r) : 0);
    d.scale(current, d.observedReplicas(current));
    return;
  }
  d.scale(current, d.replicas);
  if (handoff) return; // completes once the new replica is active
  if (d.ready(current) >= d.replicas && s.stableRevision !== null) completeUpdate(d, s.stableRevision, 0);
}

/** An aborted recreate: the aborted revision stops, then the stable one comes back whole. */
function reconcileRecreateAbort(d: Decision): void {
  const s = d.status;
  const stable = s.stableRevision;
  if (stable === null) return;
  const current = s.currentRevision;
  d.route(d.state.spec.port, { [stable]: 100 });
  s.weights = { canary: 0, stable: 100 };
  d.scale(current, 0);
  d.scale(stable, d.hasProcesses(current) ? d.observedReplicas(stable) : d.replicas);
}
