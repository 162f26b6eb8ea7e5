import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { KubernetesRolloutTarget } from '../../spec/kubernetes-rollout-target.js';
import type { KubeObjects } from './kube-objects.js';
import type { KubernetesBinding } from './kubernetes-data-plane.js';
import { gatewayApiProvider } from './traffic/gateway-api.js';
import { istioProvider } from './traffic/istio.js';
import { nginxProvider } from './traffic/nginx.js';
import { replicaRatioProvider } from './traffic/replica-ratio.js';
import type { TrafficProvider } from './traffic/traffic-provider.js';

/** The traffic provider of a converted Argo Rollout's `trafficRouting`. */
function providerFor(
  routing: KubernetesRolloutTarget['trafficRouting'],
  objects: KubeObjects,
): TrafficProvider {
  switch (routing.provider) {
    case 'replicaRatio':
      return replicaRatioProvider();
    case 'istio':
      return istioProvider(objects, {
        virtualServices: routing.virtualServices.map((vs) => ({
          name: vs.name,
          ...(vs.routes ? { routes: vs.routes } : {}),
        })),
        ...(routing.destinationRule ? { destinationRule: routing.destinationRule } : {}),
      });
    case 'nginx':
      return nginxProvider(objects, {
        stableIngress: routing.stableIngress,
        annotationPrefix: routing.annotationPrefix,
        additionalIngressAnnotations: routing.additionalIngressAnnotations,
      });
    case 'gatewayAPI':
      return gatewayApiProvider(objects, {
        httpRoutes: routing.httpRoutes.map((r) => r.name),
        ...(routing.namespace !== undefined ? { namespace: routing.namespace } : {}),
      });
  }
}

/**
 * How a converted Argo Rollout (`convertArgoRollout`'s `kubernetes`) runs on the cluster: its
 * namespace (`default` when unset, as kubectl), selector, Services, traffic provider and
 * `revisionHistoryLimit`.
 * @param templates - the pod template of each revision (the store's revisions; the target holds only
 *   the current one).
 * @throws Error for a Rollout without a selector (a `workloadRef` not resolved at apply) or with a
 *   `matchExpressions` selector (ReplicaSets here take `matchLabels`).
 */
export function bindingFor(
  target: KubernetesRolloutTarget,
  objects: KubeObjects,
  templates: (revision: number) => V1PodTemplateSpec,
): KubernetesBinding {
  if (target.selector === undefined)
    throw new Error(`Rollout ${target.name}: its workloadRef's selector was not resolved (apply it again)`);
  if ((target.selector.matchExpressions ?? []).length > 0)
    throw new Error(
      `Rollout ${target.name}: a selector with matchExpressions is not supported yet (use matchLabels)`,
    );
  const services = target.services;
  return {
    workload: {
      name: target.name,
      namespace: target.namespace ?? 'default',
      selector: target.selector.matchLabels ?? {},
    },
    podTemplate: (revision) => templates(revision),
    strategy:
      services.strategy === 'canary'
        ? {
            canary: {
              ...(services.stableService !== undefined ? { stableService: services.stableService } : {}),
              ...(services.canaryService !== undefined ? { canaryService: services.canaryService } : {}),
            },
          }
        : {
            blueGreen: {
              activeService: services.activeService,
              ...(services.previewService !== undefined ? { previewService: services.previewService } : {}),
            },
          },
    provider: providerFor(target.trafficRouting, objects),
    revisionHistoryLimit: target.revisionHistoryLimit,
  };
}
