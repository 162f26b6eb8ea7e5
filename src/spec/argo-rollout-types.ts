/**
 * Shapes of Argo Rollouts' own Rollout (`apiVersion: argoproj.io/v1alpha1`), as cutover accepts it
 * for the kubernetes platform: the fields of Argo's `pkg/apis/rollouts/v1alpha1/types.go` that
 * cutover implements (the others are refused, see `ARGO_UNIMPLEMENTED_FIELDS`). Names, defaults
 * and meanings are Argo's; shapes after validation, defaults NOT applied (as `types.ts`).
 */
import type {
  BlueGreenStrategy,
  DurationValue,
  IntOrPercent,
  RolloutAnalysis,
  RolloutAnalysisBackground,
  RolloutExperimentStep,
  SetHeaderRoute,
  SetMirrorRoute,
} from './types.js';

/** `metadata` of an Argo Rollout, as Kubernetes' ObjectMeta (the fields cutover keeps). */
export interface ArgoObjectMeta {
  /** A DNS-1123 label. */
  name: string;
  /** The Kubernetes namespace. @default the namespace the platform is given */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One requirement of a label selector, as Kubernetes' LabelSelectorRequirement. */
export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Non-empty for In and NotIn, empty (absent) for Exists and DoesNotExist. */
  values?: string[];
}

/** As Kubernetes' LabelSelector: every `matchLabels` entry and every expression must hold. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * A Kubernetes PodTemplateSpec, kept as written (cutover does not run pods itself: the kubernetes
 * platform hands it to a ReplicaSet). Its keys are checked against Kubernetes' core/v1 field names
 * (`pod-spec-fields.ts`); `metadata.labels` must satisfy the Rollout's `selector`.
 */
export interface PodTemplateSpec {
  metadata?: {
    /** `null` only, as `kubectl get -o yaml` writes it; not part of the template. */
    creationTimestamp?: null;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    /** At least one, each with a `name` and an `image` (other Container fields as Kubernetes'). */
    containers: PodTemplateContainer[];
    [field: string]: unknown;
  };
}

/** One container of a {@link PodTemplateSpec}: `name` and `image` required, the rest as Kubernetes'. */
export interface PodTemplateContainer {
  name: string;
  image: string;
  [field: string]: unknown;
}

/**
 * As Argo's `spec.workloadRef`: the pod template is taken from a Deployment (the Rollout then has
 * no `template`). `scaleDown` as Argo: `never` (default), `onsuccess` (scale the Deployment to 0
 * once the Rollout is healthy) or `progressively` (scale it down as the Rollout scales up).
 */
export interface WorkloadRef {
  /** @default "apps/v1" */
  apiVersion?: 'apps/v1';
  kind: 'Deployment';
  name: string;
  /** @default "never" */
  scaleDown?: 'never' | 'onsuccess' | 'progressively';
}

/** One step of Argo's canary: exactly one field. */
export type ArgoCanaryStep =
  | { setWeight: number }
  | { pause: { duration?: DurationValue } }
  | { analysis: RolloutAnalysis }
  | { setHeaderRoute: SetHeaderRoute }
  | { setMirrorRoute: SetMirrorRoute }
  | { experiment: RolloutExperimentStep };

/** One Istio VirtualService Argo edits: the weights of its named HTTP routes. */
export interface IstioVirtualService {
  name: string;
  /** HTTP route names; absent = the VirtualService's only HTTP route. */
  routes?: string[];
}

/** As Argo's `trafficRouting.istio`: a VirtualService (one or several) and, optionally, subsets. */
export interface IstioTrafficRouting {
  virtualService?: IstioVirtualService;
  virtualServices?: IstioVirtualService[];
  /**
   * With it, Argo routes by DestinationRule subsets (labelled with each ReplicaSet's
   * `rollouts-pod-template-hash`) instead of by the canary and stable Services.
   */
  destinationRule?: { name: string; canarySubsetName: string; stableSubsetName: string };
}

/** As Argo's `trafficRouting.nginx`: a canary Ingress cloned from `stableIngress` with canary annotations. */
export interface NginxTrafficRouting {
  stableIngress: string;
  /** @default "nginx.ingress.kubernetes.io" */
  annotationPrefix?: string;
  additionalIngressAnnotations?: Record<string, string>;
}

/** One HTTPRoute of the argoproj-labs/gatewayAPI plugin. */
export interface GatewayApiHttpRoute {
  name: string;
  /** The plugin's: header routes (`setHeaderRoute`) go to this route. @default false */
  useHeaderRoutes?: boolean;
}

/** The argoproj-labs/gatewayAPI traffic router plugin's configuration (Gateway API HTTPRoute weights). */
export interface GatewayApiPluginConfig {
  httpRoute?: string;
  httpRoutes?: GatewayApiHttpRoute[];
  /** The HTTPRoutes' namespace. @default the Rollout's */
  namespace?: string;
}

/** The plugin name under `trafficRouting.plugins` that cutover implements. */
export const GATEWAY_API_PLUGIN = 'argoproj-labs/gatewayAPI';

/** As Argo's `canary.trafficRouting`: at most one provider; absent = traffic by replica ratio. */
export interface ArgoTrafficRouting {
  istio?: IstioTrafficRouting;
  nginx?: NginxTrafficRouting;
  plugins?: { [GATEWAY_API_PLUGIN]: GatewayApiPluginConfig };
  /** Routes Argo manages in the provider (`setHeaderRoute` / `setMirrorRoute` names), in precedence order. */
  managedRoutes?: { name: string }[];
}

/** As Argo's CanaryStrategy (the fields cutover implements). */
export interface ArgoCanaryStrategy {
  /** Service selecting the canary pods only; required with trafficRouting, as Argo. */
  canaryService?: string;
  /** Service selecting the stable pods only; required with trafficRouting, as Argo. */
  stableService?: string;
  steps?: ArgoCanaryStep[];
  trafficRouting?: ArgoTrafficRouting;
  analysis?: RolloutAnalysisBackground;
  /** @default "25%" */
  maxSurge?: IntOrPercent;
  /** @default "25%" (Argo's; cutover's own canary defaults to 0) */
  maxUnavailable?: IntOrPercent;
  /** Seconds before the old stable is scaled down (with trafficRouting). @default 30 */
  scaleDownDelaySeconds?: number;
  /** Seconds before an aborted canary is scaled down (with trafficRouting). @default 30 */
  abortScaleDownDelaySeconds?: number;
  /** Only `false` (Argo's default) is implemented. @default false */
  dynamicStableScale?: boolean;
}

/**
 * As Argo's BlueGreenStrategy (the fields cutover implements): cutover's blue-green fields (with
 * Argo's defaults) less `previewPort`, plus the two Services Argo switches.
 */
export interface ArgoBlueGreenStrategy extends Omit<BlueGreenStrategy, 'previewPort'> {
  /** Service switched to the new ReplicaSet at promotion. */
  activeService: string;
  /** Service selecting the new ReplicaSet before promotion. */
  previewService?: string;
}

/** As Argo's RolloutSpec (the fields cutover implements). */
export interface ArgoRolloutSpec {
  /** @default 1 */
  replicas?: number;
  /** Required unless `workloadRef`; must select `template.metadata.labels`. */
  selector?: LabelSelector;
  /** Required unless `workloadRef`. */
  template?: PodTemplateSpec;
  workloadRef?: WorkloadRef;
  /** s a new pod must be ready before it counts as available. @default 0 */
  minReadySeconds?: number;
  /** Old ReplicaSets kept. @default 10 */
  revisionHistoryLimit?: number;
  /** s. @default 600 */
  progressDeadlineSeconds?: number;
  /** @default false */
  progressDeadlineAbort?: boolean;
  /** @default false */
  paused?: boolean;
  /** RFC 3339 time: pods created before it are restarted. */
  restartAt?: string;
  /** Exactly one of canary and blueGreen. */
  strategy: { canary?: ArgoCanaryStrategy; blueGreen?: ArgoBlueGreenStrategy };
}

/** Argo Rollouts' Rollout, as accepted by cutover (kubernetes platform). */
export interface ArgoRollout {
  apiVersion: 'argoproj.io/v1alpha1';
  kind: 'Rollout';
  metadata: ArgoObjectMeta;
  spec: ArgoRolloutSpec;
}
