import type { KubernetesObject, V1PodTemplateSpec, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { MANAGED_BY_ANNOTATION, POD_TEMPLATE_HASH_LABEL } from './labels.js';

/** Argo Rollouts' annotation of a ReplicaSet: the Rollout revision it runs. */
const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

/** What a Rollout's ReplicaSets are made of: its name, namespace, selector and pod template. */
export interface RolloutWorkload {
  name: string;
  namespace: string;
  /** `spec.selector.matchLabels` (the pod template's labels must carry them, as Kubernetes requires). */
  selector: Record<string, string>;
  template: V1PodTemplateSpec;
}

/**
 * A revision's ReplicaSet, as Argo Rollouts makes it: named `<rollout>-<hash>`, its selector, its
 * labels and its pods' labels carrying `rollouts-pod-template-hash: <hash>` on top of the Rollout's,
 * annotated with the revision number. Pure.
 * @param replicas - desired pods, >= 0.
 */
export function replicaSetFor(
  workload: RolloutWorkload,
  hash: string,
  revision: number,
  replicas: number,
): V1ReplicaSet {
  const labels = { ...workload.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: replicaSetName(workload.name, hash),
      namespace: workload.namespace,
      labels,
      annotations: { [REVISION_ANNOTATION]: String(revision), [MANAGED_BY_ANNOTATION]: workload.name },
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...workload.selector, [POD_TEMPLATE_HASH_LABEL]: hash } },
      template: { ...workload.template, metadata: { ...workload.template.metadata, labels } },
    },
  };
}

/**
 * Whether the ReplicaSet `current` already is `next` (both made by {@link replicaSetFor}): the same
 * replica count, revision and labels. The pod template needs no comparing: the name carries its
 * hash. Pure.
 */
export function sameReplicaSet(current: V1ReplicaSet, next: V1ReplicaSet): boolean {
  const held = { ...current.metadata?.labels, ...current.metadata?.annotations };
  const wanted = { ...next.metadata?.labels, ...next.metadata?.annotations };
  return (
    current.spec?.replicas === next.spec?.replicas && Object.entries(wanted).every(([k, v]) => held[k] === v)
  );
}

/** `<rollout>-<hash>`, Argo Rollouts' ReplicaSet name. */
function replicaSetName(rollout: string, hash: string): string {
  return `${rollout}-${hash}`;
}

/**
 * As Argo Rollouts: the stable or canary Service selects one revision's pods, by
 * `rollouts-pod-template-hash` added to its selector (and names the managing Rollout). Pure:
 * changes `service` in place. @returns whether it changed.
 */
export function pinServiceSelector(service: V1Service, rollout: string, hash: string): boolean {
  const selector = service.spec?.selector ?? {};
  const annotations = service.metadata?.annotations ?? {};
  if (selector[POD_TEMPLATE_HASH_LABEL] === hash && annotations[MANAGED_BY_ANNOTATION] === rollout)
    return false;
  service.spec = { ...service.spec, selector: { ...selector, [POD_TEMPLATE_HASH_LABEL]: hash } };
  service.metadata = {
    ...service.metadata,
    annotations: { ...annotations, [MANAGED_BY_ANNOTATION]: rollout },
  };
  return true;
}

/** The revision an object of the Rollout carries in its annotation; undefined when absent. */
export function revisionOf(object: KubernetesObject): number | undefined {
  const value = object.metadata?.annotations?.[REVISION_ANNOTATION];
  return value === undefined ? undefined : Number(value);
}
