import type { RollingStrategy } from '../spec/types.js';
import type { Decision } from './decision.js';
import { activeRevision, handoffEnabled, handoffGate } from './handoff.js';
import { abortUpdate, completeUpdate } from './lifecycle.js';
import { proportionalWeights, scaledValue } from './replica-math.js';

/** @default "25%", as Kubernetes' RollingUpdate. */
export const DEFAULT_MAX_SURGE = '25%';
/** @default "25%", as Kubernetes' RollingUpdate. */
export const DEFAULT_MAX_UNAVAILABLE = '25%';

/**
 * One reconcile of a rolling update, as a Kubernetes Deployment's RollingUpdate: the new revision
 * grows while total replicas stay ≤ replicas + maxSurge (rounded up) and the old ones shrink while
 * ready replicas stay ≥ replicas − maxUnavailable (rounded down). Traffic follows ready replicas.
 * Under `promoteFull` (a fast-track rollback) maxSurge is 100%: the new revision comes up whole.
 *
 * With a handoff (`spec.handoff`), the old revision holding the active replica keeps that replica
 * (the platform stops standbys first) until the active role has passed to a ready replica of the
 * new revision; a failed handoff aborts the update, which then returns to the stable revision.
 */
export function reconcileRolling(d: Decision, rolling: RollingStrategy): void {
  const s = d.status;
  if (s.abort) {
    reconcileRollingAbort(d);
    return;
  }
  const current = s.currentRevision;
  const replicas = d.replicas;
  // A full promotion (a fast-track rollback) starts every new replica at once.
  const maxSurge = s.promoteFull
    ? replicas
    : scaledValue(rolling.maxSurge ?? DEFAULT_MAX_SURGE, replicas, true);
  let maxUnavailable = scaledValue(rolling.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1; // as Kubernetes: never stuck
  const old = oldRevisions(d);

  const counts = new Map<number, number>(old.map((r) => [r, d.observedReplicas(r)]));
  let next = d.observedReplicas(current);
  if (!d.paused) {
    const total = next + [...counts.values()].reduce((a, b) => a + b, 0);
    if (total < replicas + maxSurge) next = Math.min(replicas, next + replicas + maxSurge - total);
    const totalReady = d.ready(current) + old.reduce((a, r) => a + d.ready(r), 0);
    let removable = Math.max(0, totalReady - (replicas - maxUnavailable));
    for (const r of old) {
      const count = counts.get(r) ?? 0;
      // Replicas that are not ready can go without lowering availability.
      const unready = Math.max(0, count - d.ready(r));
      const take = Math.min(count, unready + removable);
      removable -= Math.max(0, take - unready);
      counts.set(r, count - take);
    }
  }
  if (!keepActiveReplica(d, counts)) return;
  d.scale(current, next);
  for (const [r, count] of counts) d.scale(r, count);
  routeByReady(d, [current, ...old]);

  const oldGone = [...counts.values()].every((c) => c === 0);
  if (d.ready(current) >= replicas && oldGone && s.stableRevision !== null) {
    completeUpdate(d, s.stableRevision, 0);
  }
}

/** Old revisions still running, oldest first, with the stable one. */
function oldRevisions(d: Decision): number[] {
  const s = d.status;
  const current = s.currentRevision;
  const old = d
    .observedRevisions()
    .filter((r) => r !== current)
    .sort((a, b) => a - b);
  if (s.stableRevision !== null && !old.includes(s.stableRevision) && s.stableRevision !== current) {
    old.unshift(s.stableRevision);
  }
  return old;
}

/**
 * A handoff Rollout: the old revision holding the active replica keeps one replica (the active
 * one) until the handoff to the new revision is done. A failed handoff aborts the update (and
 * this reconcile takes the abort path).
 * @returns false when the update was aborted here.
 */
function keepActiveReplica(d: Decision, counts: Map<number, number>): boolean {
  const s = d.status;
  const active = activeRevision(d);
  if (!handoffEnabled(d) || active === null || active === s.currentRevision) return true;
  if ((counts.get(active) ?? 0) > 0) return true;
  const gate = d.ready(s.currentRevision) > 0 ? handoffGate(d, s.currentRevision, false) : 'running';
  if (gate === 'failed') {
    abortUpdate(d, `Handoff ${s.handoff?.name} failed: ${s.handoff?.message ?? 'unknown'}`);
    reconcileRollingAbort(d);
    return false;
  }
  if (gate !== 'done') counts.set(active, 1);
  return true;
}

/** Routes the main port to the revisions in proportion to their ready replicas; canary weight = current's. */
export function routeByReady(d: Decision, revisions: readonly number[]): void {
  const s = d.status;
  const routed = revisions.filter((r) => d.ready(r) > 0 && d.desiredReplicas(r) > 0);
  const weights = proportionalWeights(routed.map((r) => d.ready(r)));
  d.route(d.state.spec.port, Object.fromEntries(routed.map((r, i) => [r, weights[i] ?? 0])));
  const canaryWeight = weights[routed.indexOf(s.currentRevision)] ?? 0;
  if (canaryWeight !== s.weights.canary) s.lastProgressAt = d.now;
  s.weights = { canary: canaryWeight, stable: 100 - canaryWeight };
}

/**
 * An aborted rolling (or recreate) update: the stable revision comes back whole, then the aborted
 * revision goes; traffic follows ready replicas (as `kubectl rollout undo` of a Deployment).
 */
function reconcileRollingAbort(d: Decision): void {
  const s = d.status;
  const stable = s.stableRevision;
  const current = s.currentRevision;
  if (stable === null) return;
  d.scale(stable, d.replicas);
  const stableBack = d.ready(stable) >= d.replicas;
  d.scale(current, stableBack ? 0 : d.observedReplicas(current));
  routeByReady(d, [current, stable]);
}
