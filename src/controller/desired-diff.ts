import {
  type ListenerSpec,
  type RolloutDataPlaneSpec,
  type RolloutDataPlaneStatus,
  replicaSetKey,
} from '../dataplane/protocol.js';

/**
 * Whether the data plane already runs the desired state of a rollout: same replica counts, hashes
 * and ordinals per revision, same active replica, same listeners, weights and header routes. Pure; used to skip idempotent writes.
 */
export function dataPlaneMatches(
  desired: RolloutDataPlaneSpec,
  observed: RolloutDataPlaneStatus | undefined,
): boolean {
  if (!observed) return false;
  for (const rs of desired.replicaSets) {
    const seen = observed.replicaSets.find((o) => replicaSetKey(o) === replicaSetKey(rs));
    if (rs.replicas === 0 && (!seen || seen.replicas === 0)) continue;
    if (!seen || seen.replicas !== rs.replicas || seen.hash !== rs.hash) return false;
    if (JSON.stringify(seen.ordinals) !== JSON.stringify(rs.ordinals)) return false;
  }
  if (desired.activeReplica !== observed.activeReplica) return false;
  if (JSON.stringify(desired.outlierDetection) !== JSON.stringify(observed.outlierDetection)) return false;
  if (desired.timeoutMs !== observed.timeoutMs) return false;
  if (JSON.stringify(desired.connectionPool) !== JSON.stringify(observed.connectionPool)) return false;
  if (JSON.stringify(desired.retries) !== JSON.stringify(observed.retries)) return false;
  if (
    observed.replicaSets.some(
      (o) => o.replicas > 0 && !desired.replicaSets.some((rs) => replicaSetKey(rs) === replicaSetKey(o)),
    )
  ) {
    return false;
  }
  const key = (l: ListenerSpec[]) =>
    JSON.stringify(
      [...l]
        .sort((a, b) => a.port - b.port)
        .map((x) => [
          x.port,
          [...x.backends]
            .filter((b) => b.weight > 0)
            .map((b) => [replicaSetKey(b), b.weight])
            .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          x.headerRoutes ?? [],
          x.mirrorRoutes ?? [],
          x.sessionAffinity ?? null,
        ]),
    );
  return key(desired.listeners) === key(observed.listeners);
}
