import type { RollingStrategy } from '../spec/types.js';
import type { Decision } from './decision.js';
import { completeUpdate } from './lifecycle.js';
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
 */
export function reconcileRolling(d: Decision, rolling: RollingStrategy): void {
  const s = d.status;
  const current = s.currentRevision;
  const replicas = d.replicas;
  // A full promotion (a fast-track rollback) starts every new replica at once.
  const maxSurge = s.promoteFull
    ? replicas
    : scaledValue(rolling.maxSurge ?? DEFAULT_MAX_SURGE, replicas, true);
  let maxUnavailable = scaledValue(rolling.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1; // as Kubernetes: never stuck
  const old = d
    .observedRevisions()
    .filter((r) => r !== current)
    .sort((a, b) => a - b);
  if (s.stableRevision !== null && !old.includes(s.stableRevision) && s.stableRevision !== current) {
    old.unshift(s.stableRevision);
  }

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
  d.scale(current, next);
  for (const [r, count] of counts) d.scale(r, count);

  const routed = [current, ...old].filter((r) => d.ready(r) > 0 && d.desiredReplicas(r) > 0);
  const weights = proportionalWeights(routed.map((r) => d.ready(r)));
  d.route(d.state.spec.port, Object.fromEntries(routed.map((r, i) => [r, weights[i] ?? 0])));
  const canaryWeight = weights[routed.indexOf(current)] ?? 0;
  if (canaryWeight !== s.weights.canary) s.lastProgressAt = d.now;
  s.weights = { canary: canaryWeight, stable: 100 - canaryWeight };

  const oldGone = [...counts.values()].every((c) => c === 0);
  if (d.ready(current) >= replicas && oldGone && s.stableRevision !== null) {
    completeUpdate(d, s.stableRevision, 0);
  }
}
