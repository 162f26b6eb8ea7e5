import type { RolloutDataPlaneSpec, RolloutDataPlaneStatus } from '../dataplane/protocol.js';

/**
 * Whether the data plane already runs the desired state of a rollout: same replica counts and
 * hashes per revision, same listeners and weights. Pure; used to skip idempotent writes.
 */
export function dataPlaneMatches(
  desired: RolloutDataPlaneSpec,
  observed: RolloutDataPlaneStatus | undefined,
): boolean {
  if (!observed) return false;
  for (const rs of desired.replicaSets) {
    const seen = observed.replicaSets.find((o) => o.revision === rs.revision);
    if (rs.replicas === 0 && (!seen || seen.replicas === 0)) continue;
    if (!seen || seen.replicas !== rs.replicas || seen.hash !== rs.hash) return false;
  }
  if (
    observed.replicaSets.some(
      (o) => o.replicas > 0 && !desired.replicaSets.some((rs) => rs.revision === o.revision),
    )
  ) {
    return false;
  }
  const key = (l: { port: number; backends: { revision: number; weight: number }[] }[]) =>
    JSON.stringify(
      [...l]
        .sort((a, b) => a.port - b.port)
        .map((x) => [
          x.port,
          [...x.backends].filter((b) => b.weight > 0).sort((a, b) => a.revision - b.revision),
        ]),
    );
  return key(desired.listeners) === key(observed.listeners);
}
