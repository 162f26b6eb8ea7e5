/**
 * How a Rollout's traffic is split between its stable and canary revisions on Kubernetes: one small
 * interface, one file per provider (as Argo Rollouts' `trafficRouting`): replica ratio (no mesh:
 * the split follows the pods), Gateway API `HTTPRoute` weights, NGINX Ingress canary annotations,
 * Istio `VirtualService` weights with `DestinationRule` subsets.
 */

import type { ObjectReader, WriteOptions } from '../kube-objects.js';

/** What a provider routes: the Rollout's namespace, Services and the revisions' pod-template hashes. */
export interface TrafficTarget {
  /** The Rollout's name (names the objects a provider creates, e.g. NGINX's canary Ingress). */
  rollout: string;
  namespace: string;
  /** As Argo's `canary.stableService`: selects the stable pods (`rollouts-pod-template-hash`). */
  stableService: string;
  /** As Argo's `canary.canaryService`: selects the canary pods. */
  canaryService: string;
  /** `rollouts-pod-template-hash` of the stable revision. */
  stableHash: string;
  /** `rollouts-pod-template-hash` of the canary revision (the stable one when no update runs). */
  canaryHash: string;
}

export interface TrafficProvider {
  /** The provider's name, as in `trafficRouting` (`replicaRatio` when none is set). */
  readonly name: 'replicaRatio' | 'gatewayAPI' | 'nginx' | 'istio';
  /**
   * Sends `weight` percent (0..100, an integer) of the traffic to the canary and the rest to stable,
   * through the provider's objects; idempotent. An object that already holds it is not written.
   * @param options.observed - the objects as one observation holds them (read first, see `WriteOptions`).
   * @throws KubeObjectNotFoundError when an object the spec names does not exist.
   */
  setWeight(target: TrafficTarget, weight: number, options?: WriteOptions): Promise<void>;
  /**
   * The canary weight the provider's objects hold now (percent), undefined when they hold none.
   * @param reader - what to read them with (one observation's `ListedObjects`).
   * @default reader the provider's own objects (a read from the API server)
   */
  weight(target: TrafficTarget, reader?: ObjectReader): Promise<number | undefined>;
}

/** `100 - weight` for stable, `weight` for canary, checked to be an integer percent. */
export function splitOf(weight: number): { stable: number; canary: number } {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100)
    throw new RangeError(`canary weight must be an integer percent 0..100, got ${weight}`);
  return { stable: 100 - weight, canary: weight };
}
