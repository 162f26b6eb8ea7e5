/**
 * From a validated Argo Rollout to what cutover runs: the strategy in cutover's own step types
 * (Argo's semantics are the engine's, so the steps carry over as they are) and the kubernetes
 * platform's binding ({@link KubernetesRolloutTarget}).
 */
import type { ArgoCanaryStrategy, ArgoRollout, ArgoTrafficRouting } from './argo-rollout-types.js';
import { GATEWAY_API_PLUGIN } from './argo-rollout-types.js';
import {
  DEFAULT_NGINX_ANNOTATION_PREFIX,
  type KubernetesRolloutTarget,
  type KubernetesTrafficRouting,
} from './kubernetes-rollout-target.js';
import { podTemplateHash } from './pod-template-hash.js';
import type { CanaryStrategy, RolloutSpec, RolloutStrategy } from './types.js';

/** Argo's `maxSurge` and `maxUnavailable` when not given (cutover's own canary: `25%` and 0). */
const ARGO_DEFAULT_SURGE = '25%';

/** What {@link convertArgoRollout} makes. */
export interface ArgoRolloutConversion {
  /** The engine's part of the Rollout, with cutover's field names (those of `RolloutSpec`). */
  spec: Pick<RolloutSpec, 'replicas' | 'paused' | 'progressDeadlineSeconds' | 'progressDeadlineAbort'> & {
    strategy: RolloutStrategy;
  };
  kubernetes: KubernetesRolloutTarget;
}

/**
 * Converts a validated Argo Rollout (see `validateArgoRollout`).
 *
 * Pure. Argo's defaults are applied where the two systems differ (a canary's `maxUnavailable` is
 * `25%` in Argo, 0 in cutover's own canary) or where the platform needs a value (replicas,
 * revisionHistoryLimit, minReadySeconds, the NGINX annotation prefix); everything else is left as
 * written, as cutover's specs are.
 *
 * @param options.collisionCount - the Rollout's `status.collisionCount`, for the pod-template hash
 * @example convertArgoRollout(rollout).kubernetes.trafficRouting // { provider: 'istio', virtualServices: [...] }
 */
export function convertArgoRollout(
  rollout: ArgoRollout,
  options: { collisionCount?: number } = {},
): ArgoRolloutConversion {
  const { spec, metadata } = rollout;
  const { canary, blueGreen } = spec.strategy;
  let strategy: RolloutStrategy;
  let services: KubernetesRolloutTarget['services'];
  let routing: KubernetesTrafficRouting = { provider: 'replicaRatio' };
  if (blueGreen !== undefined) {
    const { activeService, previewService, ...rest } = blueGreen;
    strategy = { blueGreen: rest };
    services = {
      strategy: 'blueGreen',
      activeService,
      ...(previewService === undefined ? {} : { previewService }),
    };
  } else {
    const {
      canaryService,
      stableService,
      trafficRouting,
      dynamicStableScale: _false,
      ...rest
    } = canary ?? {};
    strategy = { canary: canaryStrategy(rest) };
    services = {
      strategy: 'canary',
      ...(canaryService === undefined ? {} : { canaryService }),
      ...(stableService === undefined ? {} : { stableService }),
    };
    if (trafficRouting !== undefined) routing = trafficRoutingOf(trafficRouting);
  }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    spec: {
      ...optional('replicas', spec.replicas),
      ...optional('paused', spec.paused),
      ...optional('progressDeadlineSeconds', spec.progressDeadlineSeconds),
      ...optional('progressDeadlineAbort', spec.progressDeadlineAbort),
      strategy,
    },
    kubernetes: {
      name: metadata.name,
      ...optional('namespace', metadata.namespace),
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
      replicas: spec.replicas ?? 1,
      ...optional('selector', spec.selector),
      ...optional('template', spec.template),
      ...optional(
        'podTemplateHash',
        spec.template === undefined ? undefined : podTemplateHash(spec.template, options.collisionCount),
      ),
      ...optional('workloadRef', spec.workloadRef),
      minReadySeconds: spec.minReadySeconds ?? 0,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
      ...optional('restartAt', spec.restartAt),
      services,
      trafficRouting: routing,
      managedRoutes: (canary?.trafficRouting?.managedRoutes ?? []).map((route) => route.name),
    },
  };
}

function canaryStrategy(
  canary: Omit<
    ArgoCanaryStrategy,
    'canaryService' | 'stableService' | 'trafficRouting' | 'dynamicStableScale'
  >,
): CanaryStrategy {
  return {
    ...canary,
    maxSurge: canary.maxSurge ?? ARGO_DEFAULT_SURGE,
    maxUnavailable: canary.maxUnavailable ?? ARGO_DEFAULT_SURGE,
  };
}

function trafficRoutingOf(routing: ArgoTrafficRouting): KubernetesTrafficRouting {
  if (routing.istio !== undefined) {
    const { virtualService, virtualServices, destinationRule } = routing.istio;
    return {
      provider: 'istio',
      virtualServices: virtualServices ?? (virtualService === undefined ? [] : [virtualService]),
      ...(destinationRule === undefined ? {} : { destinationRule }),
    };
  }
  if (routing.nginx !== undefined) {
    return {
      provider: 'nginx',
      stableIngress: routing.nginx.stableIngress,
      annotationPrefix: routing.nginx.annotationPrefix ?? DEFAULT_NGINX_ANNOTATION_PREFIX,
      additionalIngressAnnotations: routing.nginx.additionalIngressAnnotations ?? {},
    };
  }
  const gateway = routing.plugins?.[GATEWAY_API_PLUGIN];
  if (gateway !== undefined) {
    return {
      provider: 'gatewayAPI',
      httpRoutes:
        gateway.httpRoutes ?? (gateway.httpRoute === undefined ? [] : [{ name: gateway.httpRoute }]),
      ...(gateway.namespace === undefined ? {} : { namespace: gateway.namespace }),
    };
  }
  return { provider: 'replicaRatio' };
}
