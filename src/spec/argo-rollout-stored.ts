/**
 * An Argo Rollout as the kubernetes platform stores it: cutover's own `RolloutSpec` (the engine's
 * strategy, from `convertArgoRollout`) with the platform's binding in `spec.kubernetes` and the pod
 * template in the revision's template, hashed as Argo hashes it.
 */
import { convertArgoRollout } from './argo-rollout-convert.js';
import type { ArgoRollout, LabelSelector, PodTemplateSpec } from './argo-rollout-types.js';
import { podTemplateHash } from './pod-template-hash.js';
import type { LocalTemplate, RolloutSpec } from './types.js';

/** The port a Rollout's pods serve when their first container declares none (HTTP's). */
const DEFAULT_CONTAINER_PORT = 80;

/** What the store takes for one Rollout (as `SpecApplier` makes for a cutover Rollout). */
export interface StoredArgoRollout {
  name: string;
  spec: RolloutSpec;
  /** Argo's `rollouts-pod-template-hash` of the pod template: the revision's identity. */
  hash: string;
}

/**
 * From a validated Argo Rollout with a pod template to what the store keeps. Pure.
 * - `spec.template.podTemplate` is the pod template; `command` is the first container's `command` +
 *   `args` (its image when it has neither) and `env` its literal values, for display only;
 * - `spec.port` is the first container's first `containerPort` (80 when it declares none), shown
 *   only: the Services carry the traffic on this platform;
 * - `spec.kubernetes` is `convertArgoRollout`'s binding without the template.
 * @throws TypeError for a Rollout with `workloadRef` (no template of its own; refused at apply).
 */
export function storedArgoRollout(rollout: ArgoRollout): StoredArgoRollout {
  const { spec, kubernetes } = convertArgoRollout(rollout);
  const { template: podTemplate, ...binding } = kubernetes;
  if (podTemplate === undefined || kubernetes.podTemplateHash === undefined)
    throw new TypeError(`Rollout ${rollout.metadata.name}: a workloadRef Rollout has no pod template here`);
  return {
    name: rollout.metadata.name,
    spec: {
      ...spec,
      port: containerPort(podTemplate),
      template: revisionTemplate(podTemplate),
      kubernetes: binding,
    },
    hash: kubernetes.podTemplateHash,
  };
}

/**
 * A stored Argo Rollout with a `workloadRef` (its `spec.kubernetes.workloadRef`) taking its
 * Deployment's pod template and selector as they are now, as Argo follows the Deployment: the same
 * Rollout, with the template, port, selector and `rollouts-pod-template-hash` of that template.
 * Pure. Its `hash` differs from `spec.kubernetes.podTemplateHash` exactly when the Deployment's
 * template changed since it was last taken.
 * @throws TypeError for a Rollout stored without a Kubernetes binding.
 */
export function storedFromWorkload(
  name: string,
  spec: RolloutSpec,
  workload: { template: PodTemplateSpec; selector: LabelSelector },
): StoredArgoRollout {
  const binding = spec.kubernetes;
  if (binding === undefined) throw new TypeError(`Rollout ${name} has no Kubernetes binding`);
  const hash = podTemplateHash(workload.template);
  return {
    name,
    spec: {
      ...spec,
      port: containerPort(workload.template),
      template: revisionTemplate(workload.template),
      kubernetes: { ...binding, selector: workload.selector, podTemplateHash: hash },
    },
    hash,
  };
}

/** A revision's template on the kubernetes platform: the pod template, and what it shows of it. */
function revisionTemplate(podTemplate: PodTemplateSpec): LocalTemplate {
  const container = podTemplate.spec.containers[0]!;
  const argv = [...strings(container['command']), ...strings(container['args'])];
  const env: Record<string, string> = {};
  for (const entry of Array.isArray(container['env']) ? container['env'] : []) {
    const { name, value } = entry as { name?: unknown; value?: unknown };
    if (typeof name === 'string' && typeof value === 'string') env[name] = value;
  }
  return {
    command: argv.length > 0 ? argv : [container.image],
    ...(Object.keys(env).length > 0 ? { env } : {}),
    podTemplate,
  };
}

function containerPort(podTemplate: PodTemplateSpec): number {
  const ports = podTemplate.spec.containers[0]?.['ports'];
  const first = Array.isArray(ports) ? (ports[0] as { containerPort?: unknown } | undefined) : undefined;
  return typeof first?.containerPort === 'number' ? first.containerPort : DEFAULT_CONTAINER_PORT;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
