import type { DataPlaneClient, RolloutDataPlaneSpec } from '../dataplane/index.js';

/**
 * What the controller needs from a platform's data plane: read every Rollout's observed state,
 * carry out one Rollout's desired state, forget a Rollout, and the builtin metrics' traffic
 * statistics. The local platform's `DataPlaneClient` (router and local processes) is one; the
 * kubernetes platform's `KubernetesClusterDataPlane` (ReplicaSets, Services, a traffic provider) is
 * the other.
 */
export type RolloutDataPlane = Pick<DataPlaneClient, 'state' | 'remove' | 'stats' | 'traffic'> & {
  /**
   * Whether what the platform runs depends on the stable revision beyond the desired state (the
   * kubernetes platform pins its stable Service to it): the controller then writes a Rollout again
   * when its stable revision moves, even if the desired state is unchanged. @default false
   */
  readonly pinsStableRevision?: boolean;
  /**
   * Carries out `spec` (a `reconcile` result's desired state); the next {@link state} observes what
   * the platform then holds (the local router answers with it at once; the controller reads state).
   * @param context.stableRevision - the Rollout's stable revision as the same reconcile decided it
   *   (the kubernetes platform pins its stable / active Services to it; the local router ignores it).
   * @throws the platform's errors (data plane unavailable, API errors); the next reconcile writes again.
   */
  apply(spec: RolloutDataPlaneSpec, context?: { stableRevision: number | null }): Promise<unknown>;
};
