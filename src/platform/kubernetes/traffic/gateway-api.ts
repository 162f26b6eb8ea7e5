import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObjects } from '../kube-objects.js';
import { splitOf, type TrafficProvider, type TrafficTarget } from './traffic-provider.js';

/** A Gateway API HTTPRoute, as far as the weights go (gateway.networking.k8s.io/v1). */
export interface HttpRoute extends KubernetesObject {
  spec?: { rules?: { backendRefs?: { name: string; port?: number; weight?: number; kind?: string }[] }[] };
}

/**
 * As Argo Rollouts' Gateway API plugin (`argoproj-labs/gatewayAPI`): in every rule of the route
 * whose backendRefs name both the stable and the canary Service, the stable backend gets
 * `100 - weight` and the canary `weight`. Pure: changes `route` in place.
 * @returns whether a weight changed; false also when no rule names both Services.
 */
export function setHttpRouteWeights(route: HttpRoute, target: TrafficTarget, weight: number): boolean {
  const split = splitOf(weight);
  let changed = false;
  for (const rule of route.spec?.rules ?? []) {
    const refs = rule.backendRefs ?? [];
    const stable = refs.find((r) => r.name === target.stableService && (r.kind ?? 'Service') === 'Service');
    const canary = refs.find((r) => r.name === target.canaryService && (r.kind ?? 'Service') === 'Service');
    if (!stable || !canary) continue;
    if (stable.weight !== split.stable || canary.weight !== split.canary) changed = true;
    stable.weight = split.stable;
    canary.weight = split.canary;
  }
  return changed;
}

/** The canary weight the route's first rule with both Services holds. */
export function httpRouteWeight(route: HttpRoute, target: TrafficTarget): number | undefined {
  for (const rule of route.spec?.rules ?? []) {
    const canary = rule.backendRefs?.find((r) => r.name === target.canaryService);
    const stable = rule.backendRefs?.find((r) => r.name === target.stableService);
    if (canary && stable) return canary.weight ?? 1; // Gateway API's default weight is 1
  }
  return undefined;
}

/** Options of {@link gatewayApiProvider}: Argo's plugin config `{httpRoute, namespace}`. */
export interface GatewayApiRouting {
  /** HTTPRoute names (Argo: `httpRoute`, or `httpRoutes[].name`). */
  httpRoutes: string[];
  /** The routes' namespace. @default the Rollout's */
  namespace?: string;
}

/** The Gateway API provider: weights of the stable and canary backendRefs of the named HTTPRoutes. */
export function gatewayApiProvider(objects: KubeObjects, routing: GatewayApiRouting): TrafficProvider {
  const ref = (target: TrafficTarget, name: string) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    namespace: routing.namespace ?? target.namespace,
    name,
  });
  return {
    name: 'gatewayAPI',
    async setWeight(target, weight, options) {
      await Promise.all(
        routing.httpRoutes.map((name) =>
          objects.update<HttpRoute>(
            ref(target, name),
            (route) => setHttpRouteWeights(route, target, weight),
            options,
          ),
        ),
      );
    },
    async weight(target, reader = objects) {
      const first = routing.httpRoutes[0];
      if (first === undefined) return undefined;
      const route = await reader.read<HttpRoute>(ref(target, first));
      return route === undefined ? undefined : httpRouteWeight(route, target);
    },
  };
}
