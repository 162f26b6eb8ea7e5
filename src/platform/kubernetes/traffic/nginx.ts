import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObjects } from '../kube-objects.js';
import { MANAGED_BY_ANNOTATION } from '../labels.js';
import { splitOf, type TrafficProvider, type TrafficTarget } from './traffic-provider.js';

interface Backend {
  service?: { name: string; port?: { number?: number; name?: string } };
}

/** A networking.k8s.io/v1 Ingress, as far as its backends and annotations go. */
export interface Ingress extends KubernetesObject {
  spec?: {
    ingressClassName?: string;
    defaultBackend?: Backend;
    rules?: { host?: string; http?: { paths: { path?: string; pathType?: string; backend: Backend }[] } }[];
    tls?: unknown[];
  };
}

/** Argo's `trafficRouting.nginx`. */
export interface NginxRouting {
  /** The Ingress that routes to the stable Service. */
  stableIngress: string;
  /** @default nginx.ingress.kubernetes.io */
  annotationPrefix?: string;
  /** Added to the canary Ingress under `annotationPrefix` (e.g. `canary-by-header: X-Canary`), as Argo does. */
  additionalIngressAnnotations?: Record<string, string>;
}

/** As Argo Rollouts: the canary Ingress's name, `<rollout>-<stableIngress>-canary`. */
function canaryIngressName(rollout: string, stableIngress: string): string {
  return `${rollout}-${stableIngress}-canary`;
}

/**
 * As Argo Rollouts' NGINX traffic routing: the canary Ingress is the stable Ingress's spec with every
 * backend of the stable Service pointed at the canary Service, annotated `<prefix>/canary: "true"`
 * and `<prefix>/canary-weight: "<weight>"` (plus the additional annotations, under the prefix). Pure.
 * @throws Error when the stable Ingress has no backend of the stable Service.
 */
export function canaryIngress(
  stable: Ingress,
  target: TrafficTarget,
  routing: NginxRouting,
  weight: number,
): Ingress {
  const { canary } = splitOf(weight);
  const prefix = routing.annotationPrefix ?? 'nginx.ingress.kubernetes.io';
  const spec = structuredClone(stable.spec ?? {});
  let found = false;
  const retarget = (backend: Backend | undefined) => {
    if (backend?.service?.name === target.stableService) {
      backend.service.name = target.canaryService;
      found = true;
    }
  };
  retarget(spec.defaultBackend);
  for (const rule of spec.rules ?? []) for (const path of rule.http?.paths ?? []) retarget(path.backend);
  if (!found)
    throw new Error(
      `Ingress ${stable.metadata?.name}: no backend of the stable Service ${target.stableService}`,
    );
  // The stable Ingress's own canary annotations never carry over.
  const inherited = Object.fromEntries(
    Object.entries(stable.metadata?.annotations ?? {}).filter(([k]) => !k.startsWith(`${prefix}/canary`)),
  );
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(target.rollout, routing.stableIngress),
      namespace: target.namespace,
      annotations: {
        ...inherited,
        ...Object.fromEntries(
          Object.entries(routing.additionalIngressAnnotations ?? {}).map(([k, v]) => [`${prefix}/${k}`, v]),
        ),
        [`${prefix}/canary`]: 'true',
        [`${prefix}/canary-weight`]: String(canary),
        [MANAGED_BY_ANNOTATION]: target.rollout,
      },
    },
    spec,
  };
}

/** Whether `current` already holds `next`'s annotations and spec (so writing it changes nothing). */
function sameIngress(current: Ingress, next: Ingress): boolean {
  const held = current.metadata?.annotations ?? {};
  return (
    Object.entries(next.metadata?.annotations ?? {}).every(([k, v]) => held[k] === v) &&
    isDeepStrictEqual(current.spec, next.spec)
  );
}

/** The NGINX provider: a canary Ingress beside the stable one, its weight in an annotation. */
export function nginxProvider(objects: KubeObjects, routing: NginxRouting): TrafficProvider {
  const prefix = routing.annotationPrefix ?? 'nginx.ingress.kubernetes.io';
  const ref = (target: TrafficTarget, name: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    namespace: target.namespace,
    name,
  });
  return {
    name: 'nginx',
    async setWeight(target, weight, options) {
      const stable = await objects.current<Ingress>(ref(target, routing.stableIngress), options?.observed);
      if (stable === undefined)
        throw new Error(`Ingress ${target.namespace}/${routing.stableIngress} (the stableIngress) not found`);
      const canary = canaryIngress(stable, target, routing, weight);
      await objects.upsert(canary, {
        ...options,
        unchanged: (current) => sameIngress(current, canary),
      });
    },
    async weight(target, reader = objects) {
      const canary = await reader.read<Ingress>(
        ref(target, canaryIngressName(target.rollout, routing.stableIngress)),
      );
      const value = canary?.metadata?.annotations?.[`${prefix}/canary-weight`];
      return value === undefined ? undefined : Number(value);
    },
  };
}
