/**
 * What the kubernetes platform needs to run an Argo Rollout besides the strategy: where its pods
 * run, how they are selected, which Services and which traffic provider carry its traffic. Made by
 * `convertArgoRollout`, with Argo Rollouts' defaults applied.
 */
import type {
  GatewayApiHttpRoute,
  IstioVirtualService,
  LabelSelector,
  PodTemplateSpec,
  WorkloadRef,
} from './argo-rollout-types.js';

/** NGINX Ingress' annotation prefix when `annotationPrefix` is not given, as Argo's. */
export const DEFAULT_NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io';

/**
 * How traffic is split between the stable and the canary pods (Argo's `canary.trafficRouting`):
 * - `replicaRatio`: no provider, the Services select both, traffic follows the replica counts;
 * - `istio`: the weights of the VirtualServices' HTTP routes, by Service or, with a
 *   DestinationRule, by its subsets (labelled with each ReplicaSet's pod-template hash);
 * - `nginx`: a canary Ingress cloned from `stableIngress` with `<prefix>/canary-weight`;
 * - `gatewayAPI`: the backendRef weights of HTTPRoutes (the argoproj-labs/gatewayAPI plugin).
 * A blue-green always switches Service selectors (`replicaRatio`, unused).
 */
export type KubernetesTrafficRouting =
  | { provider: 'replicaRatio' }
  | {
      provider: 'istio';
      /** One or more (Argo's `virtualService` or `virtualServices`). */
      virtualServices: IstioVirtualService[];
      destinationRule?: { name: string; canarySubsetName: string; stableSubsetName: string };
    }
  | {
      provider: 'nginx';
      stableIngress: string;
      /** @default {@link DEFAULT_NGINX_ANNOTATION_PREFIX} (applied) */
      annotationPrefix: string;
      /** Added to the canary Ingress, under `annotationPrefix`. */
      additionalIngressAnnotations: Record<string, string>;
    }
  | {
      provider: 'gatewayAPI';
      /** One or more (the plugin's `httpRoute` or `httpRoutes`). */
      httpRoutes: GatewayApiHttpRoute[];
      /** @default the Rollout's namespace */
      namespace?: string;
    };

/** The Services a Rollout's strategy points at the right ReplicaSet (Argo adds the pod-template hash to their selector). */
export type KubernetesServices =
  | { strategy: 'canary'; canaryService?: string; stableService?: string }
  | { strategy: 'blueGreen'; activeService: string; previewService?: string };

/** The kubernetes platform's binding of one Argo Rollout. */
export interface KubernetesRolloutTarget {
  name: string;
  /** @default the platform's namespace */
  namespace?: string;
  /** The Rollout's own labels and annotations. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Pods wanted. @default 1 (applied) */
  replicas: number;
  /** Absent only with a workloadRef (the Deployment's selector is used, as Argo). */
  selector?: LabelSelector;
  /** Absent only with a workloadRef (the Deployment's template is used, as Argo). */
  template?: PodTemplateSpec;
  /**
   * `rollouts-pod-template-hash` of `template` (see `podTemplateHash`) at the given collision
   * count; absent with a workloadRef (the platform hashes the resolved template).
   */
  podTemplateHash?: string;
  workloadRef?: WorkloadRef;
  /** s. @default 0 (applied) */
  minReadySeconds: number;
  /** Old ReplicaSets kept. @default 10 (applied) */
  revisionHistoryLimit: number;
  /** RFC 3339 time: pods created before it are restarted. */
  restartAt?: string;
  services: KubernetesServices;
  trafficRouting: KubernetesTrafficRouting;
  /** Header and mirror routes Argo manages in the provider, in precedence order. @default [] */
  managedRoutes: string[];
}
