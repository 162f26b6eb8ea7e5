import { AnalysisRun } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisRun';
import { AnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import { HTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { DestinationRule as DestinationRuleV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule';
import { VirtualService as VirtualServiceV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService';
import { DestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';

/** A Kubernetes object as JSON: `apiVersion`, `kind`, `metadata` and the kind's own fields. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
};

/** The `metadata` fields the simulated server reads or sets (others are kept as sent). */
type KubeMetadata = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  [field: string]: unknown;
};

/** One ajv error of a model's `validate()` (`instancePath` is a JSON pointer such as `/spec/ports/0/port`). */
export type ModelError = { instancePath: string; message?: string };

/** A published model class of `kubernetes-models` / `@kubernetes-models/*`: `validate()` throws with `errors`. */
type ModelClass = new (data: KubeObject) => { validate(): void };

/**
 * One served resource: where it lives in the REST tree and which published model validates it.
 * `group` is `''` for the core group (`/api/v1`); `subresources` as in discovery (`status`, `scale`).
 */
export type KindInfo = {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: true;
  subresources: ('status' | 'scale')[];
  model: ModelClass;
};

const kind = (
  group: string,
  version: string,
  kindName: string,
  plural: string,
  model: unknown,
  subresources: KindInfo['subresources'] = [],
  shortNames: string[] = [],
): KindInfo => ({
  group,
  version,
  kind: kindName,
  plural,
  singular: kindName.toLowerCase(),
  shortNames,
  namespaced: true,
  subresources,
  model: model as ModelClass,
});

/** Every kind the simulated server serves (all namespaced), in discovery order. */
export const KINDS: readonly KindInfo[] = [
  kind('', 'v1', 'Service', 'services', Service, ['status'], ['svc']),
  kind('', 'v1', 'Pod', 'pods', Pod, ['status'], ['po']),
  kind('', 'v1', 'ConfigMap', 'configmaps', ConfigMap, [], ['cm']),
  kind('', 'v1', 'Secret', 'secrets', Secret),
  kind('apps', 'v1', 'ReplicaSet', 'replicasets', ReplicaSet, ['status', 'scale'], ['rs']),
  kind('apps', 'v1', 'Deployment', 'deployments', Deployment, ['status', 'scale'], ['deploy']),
  kind('batch', 'v1', 'Job', 'jobs', Job, ['status']),
  kind('networking.k8s.io', 'v1', 'Ingress', 'ingresses', Ingress, ['status'], ['ing']),
  kind('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes', HTTPRoute, ['status']),
  kind('networking.istio.io', 'v1beta1', 'VirtualService', 'virtualservices', VirtualService, [], ['vs']),
  kind('networking.istio.io', 'v1beta1', 'DestinationRule', 'destinationrules', DestinationRule, [], ['dr']),
  kind(
    'networking.istio.io',
    'v1alpha3',
    'VirtualService',
    'virtualservices',
    VirtualServiceV1alpha3,
    [],
    ['vs'],
  ),
  kind(
    'networking.istio.io',
    'v1alpha3',
    'DestinationRule',
    'destinationrules',
    DestinationRuleV1alpha3,
    [],
    ['dr'],
  ),
  kind('argoproj.io', 'v1alpha1', 'Rollout', 'rollouts', Rollout, ['status', 'scale'], ['ro']),
  kind('argoproj.io', 'v1alpha1', 'AnalysisTemplate', 'analysistemplates', AnalysisTemplate),
  kind('argoproj.io', 'v1alpha1', 'AnalysisRun', 'analysisruns', AnalysisRun, ['status']),
  kind('coordination.k8s.io', 'v1', 'Lease', 'leases', Lease),
];

/** `apiVersion` of a kind as objects spell it: `v1`, `apps/v1`. */
export function apiVersionOf(info: Pick<KindInfo, 'group' | 'version'>): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}
