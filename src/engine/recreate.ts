import type { Decision } from './decision.js';
import { completeUpdate } from './lifecycle.js';

/**
 * One reconcile of a recreate update, as Argo Rollouts' / Kubernetes' Recreate: every old replica
 * is stopped (drained first) before the new revision starts. The main port already routes to the
 * new revision; the router holds requests while no replica is ready, so none fail.
 */
export function reconcileRecreate(d: Decision): void {
  const s = d.status;
  const current = s.currentRevision;
  d.route(d.state.spec.port, { [current]: 100 });
  s.weights = { canary: 100, stable: 0 };
  const old = d.observedRevisions().filter((r) => r !== current);
  if (old.length > 0 || d.paused) {
    for (const r of old) d.scale(r, d.paused ? d.observedReplicas(r) : 0);
    d.scale(current, d.observedReplicas(current));
    return;
  }
  d.scale(current, d.replicas);
  if (d.ready(current) >= d.replicas && s.stableRevision !== null) completeUpdate(d, s.stableRevision, 0);
}
