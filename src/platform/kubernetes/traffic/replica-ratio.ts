import type { TrafficProvider } from './traffic-provider.js';

/**
 * No traffic routing (Argo's default): the Service selects the pods of both revisions, so the split
 * follows the pods — the platform scales the canary ReplicaSet to `ceil(replicas × weight / 100)`,
 * as Argo Rollouts does without `trafficRouting`. Nothing to write here; {@link weight} is unknown
 * (the observed split is the ready pods').
 */
export function replicaRatioProvider(): TrafficProvider {
  return {
    name: 'replicaRatio',
    async setWeight() {},
    async weight() {
      return undefined;
    },
  };
}
