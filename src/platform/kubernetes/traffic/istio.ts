import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObjects } from '../kube-objects.js';
import { POD_TEMPLATE_HASH_LABEL } from '../labels.js';
import { splitOf, type TrafficProvider, type TrafficTarget } from './traffic-provider.js';

interface Destination {
  destination: { host: string; subset?: string; port?: { number?: number } };
  weight?: number;
}

/** An Istio VirtualService, as far as the HTTP routes go (networking.istio.io/v1beta1). */
export interface VirtualService extends KubernetesObject {
  spec?: { hosts?: string[]; http?: { name?: string; route?: Destination[] }[] };
}

/** An Istio DestinationRule, as far as the subsets go. */
export interface DestinationRule extends KubernetesObject {
  spec?: { host?: string; subsets?: { name: string; labels?: Record<string, string> }[] };
}

/** Argo's `trafficRouting.istio`. */
export interface IstioRouting {
  /** VirtualServices and, per one, the HTTP route names to change (all when omitted: Argo requires a single route then). */
  virtualServices: { name: string; routes?: string[] }[];
  /** Subset-level splitting: the DestinationRule and its subset names; absent: host-level (the Services). */
  destinationRule?: { name: string; canarySubsetName: string; stableSubsetName: string };
}

/** Whether a destination host names `service` (short name, or `service.namespace...`). */
function hostIs(host: string, service: string): boolean {
  return host === service || host.startsWith(`${service}.`);
}

/**
 * As Argo Rollouts' Istio traffic routing: in the named HTTP routes (every route when none are
 * named), the stable destination gets `100 - weight` and the canary `weight`; destinations are told
 * apart by subset (`destinationRule` set: subset-level splitting) or by host (the stable and canary
 * Services: host-level). Pure: changes `vs` in place. @returns whether a weight changed.
 * @throws Error when a named route does not exist, or a route lacks the stable or canary destination.
 */
export function setVirtualServiceWeights(
  vs: VirtualService,
  routes: readonly string[] | undefined,
  target: TrafficTarget,
  rule: IstioRouting['destinationRule'],
  weight: number,
): boolean {
  const split = splitOf(weight);
  const http = vs.spec?.http ?? [];
  const chosen =
    routes === undefined || routes.length === 0
      ? http
      : routes.map((name) => {
          const found = http.find((h) => h.name === name);
          if (!found) throw new Error(`VirtualService ${vs.metadata?.name}: no HTTP route named ${name}`);
          return found;
        });
  let changed = false;
  for (const route of chosen) {
    const destinations = route.route ?? [];
    const pick = (service: string, subset: string | undefined) =>
      destinations.find((d) =>
        subset === undefined ? hostIs(d.destination.host, service) : d.destination.subset === subset,
      );
    const stable = pick(target.stableService, rule?.stableSubsetName);
    const canary = pick(target.canaryService, rule?.canarySubsetName);
    if (!stable || !canary)
      throw new Error(
        `VirtualService ${vs.metadata?.name}: route ${route.name ?? '(unnamed)'} needs a stable and a canary destination (${rule ? `subsets ${rule.stableSubsetName} and ${rule.canarySubsetName}` : `hosts ${target.stableService} and ${target.canaryService}`})`,
      );
    if (stable.weight !== split.stable || canary.weight !== split.canary) changed = true;
    stable.weight = split.stable;
    canary.weight = split.canary;
  }
  return changed;
}

/**
 * As Argo Rollouts: the DestinationRule's canary and stable subsets select their revision's pods by
 * `rollouts-pod-template-hash`. Pure: changes `dr` in place. @returns whether a label changed.
 * @throws Error when a subset is missing.
 */
export function setDestinationRuleSubsets(
  dr: DestinationRule,
  rule: NonNullable<IstioRouting['destinationRule']>,
  target: TrafficTarget,
): boolean {
  let changed = false;
  for (const [name, hash] of [
    [rule.stableSubsetName, target.stableHash],
    [rule.canarySubsetName, target.canaryHash],
  ] as const) {
    const subset = dr.spec?.subsets?.find((s) => s.name === name);
    if (!subset) throw new Error(`DestinationRule ${dr.metadata?.name}: no subset named ${name}`);
    if (subset.labels?.[POD_TEMPLATE_HASH_LABEL] !== hash) changed = true;
    subset.labels = { ...subset.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  }
  return changed;
}

/** The Istio provider: VirtualService weights, and with a DestinationRule its subsets' hashes (set first). */
export function istioProvider(objects: KubeObjects, routing: IstioRouting): TrafficProvider {
  const ref = (target: TrafficTarget, kind: string, name: string) => ({
    apiVersion: 'networking.istio.io/v1beta1',
    kind,
    namespace: target.namespace,
    name,
  });
  return {
    name: 'istio',
    async setWeight(target, weight, options) {
      const rule = routing.destinationRule;
      // Subsets first: a weight must never reach a subset that selects the wrong revision.
      if (rule !== undefined)
        await objects.update<DestinationRule>(
          ref(target, 'DestinationRule', rule.name),
          (dr) => setDestinationRuleSubsets(dr, rule, target),
          options,
        );
      await Promise.all(
        routing.virtualServices.map((vs) =>
          objects.update<VirtualService>(
            ref(target, 'VirtualService', vs.name),
            (object) => setVirtualServiceWeights(object, vs.routes, target, rule, weight),
            options,
          ),
        ),
      );
    },
    async weight(target, reader = objects) {
      const first = routing.virtualServices[0];
      if (first === undefined) return undefined;
      const vs = await reader.read<VirtualService>(ref(target, 'VirtualService', first.name));
      const route =
        first.routes?.[0] === undefined
          ? vs?.spec?.http?.[0]
          : vs?.spec?.http?.find((h) => h.name === first.routes?.[0]);
      const subset = routing.destinationRule?.canarySubsetName;
      const canary = route?.route?.find((d) =>
        subset === undefined
          ? hostIs(d.destination.host, target.canaryService)
          : d.destination.subset === subset,
      );
      return canary === undefined ? undefined : (canary.weight ?? 0);
    },
  };
}
