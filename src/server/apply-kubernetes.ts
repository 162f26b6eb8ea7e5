/**
 * `cutover apply` on the kubernetes platform (`cutover server --platform kubernetes`): Argo's
 * Rollouts (`argoproj.io/v1alpha1`) unchanged, AnalysisTemplates, Environments and FeatureFlags.
 */
import { envArgIssues } from '../analysis/index.js';
import type { Role } from '../auth/index.js';
import { refuseUnsandboxed } from '../auth/unsandboxed-options.js';
import {
  type AnalysisTemplate,
  ARGO_API_VERSION,
  type ArgoRollout,
  type Environment,
  type FeatureFlags,
  type LabelSelector,
  locateSpecIssues,
  type PodTemplateSpec,
  parseKubernetesSpecs,
  type Resource,
  SpecValidationError,
  storedArgoRollout,
} from '../spec/index.js';
import type { ApplyResult, SpecApplierOptions } from './apply.js';
import { featureFlagConflicts } from './feature-flag-sync.js';

type Located = { document: number; path: (string | number)[]; message: string };

/** What the kubernetes platform cannot take, per kind (the cluster's own objects, the local platform's). */
const REFUSED_KINDS: Partial<Record<Resource['kind'], string>> = {
  Rollout:
    'a cutover.dev Rollout runs local processes (the local platform); on the kubernetes platform apply an Argo Rollout (apiVersion: argoproj.io/v1alpha1) with a pod template',
  ConfigMap:
    "on the kubernetes platform pods take the cluster's own ConfigMaps (kubectl apply); cutover's ConfigMaps are the local platform's",
  Secret:
    "on the kubernetes platform pods take the cluster's own Secrets (kubectl apply); cutover's Secrets are the local platform's",
  Release: 'a Release is not applied; create it with cutover release create -f FILE',
};

/** A Deployment's pod template and selector, as `workloadRef` takes them. */
interface WorkloadTemplate {
  template: PodTemplateSpec;
  selector: LabelSelector;
}

/** Reads the Deployment `name` of `namespace`; undefined when the cluster has none. */
export type WorkloadReader = (namespace: string, name: string) => Promise<WorkloadTemplate | undefined>;

/**
 * As Argo's `workloadRef` (`scaleDown: never`, its default): the Rollout takes the Deployment's pod
 * template and selector, read from the cluster when the Rollout is applied, and keeps the reference
 * (`spec.kubernetes.workloadRef`): later changes of the Deployment's template are followed by
 * `WorkloadRefSync`. Pure but for the read.
 */
async function resolveWorkloadRef(
  rollout: ArgoRollout,
  workloads: WorkloadReader | undefined,
): Promise<{ rollout: ArgoRollout } | { issue: Omit<Located, 'document'> }> {
  const ref = rollout.spec.workloadRef;
  if (ref === undefined) return { rollout };
  const path = ['spec', 'workloadRef'];
  if ((ref.scaleDown ?? 'never') !== 'never')
    return {
      issue: {
        path: [...path, 'scaleDown'],
        message: `not implemented by cutover: scaleDown ${ref.scaleDown} (never, the default, is: the Deployment is left as it is)`,
      },
    };
  const namespace = rollout.metadata.namespace ?? 'default';
  const deployment = await workloads?.(namespace, ref.name);
  if (deployment === undefined)
    return {
      issue: {
        path: [...path, 'name'],
        message: `Deployment ${namespace}/${ref.name} not found in the cluster`,
      },
    };
  return {
    rollout: {
      ...rollout,
      spec: { ...rollout.spec, template: deployment.template, selector: deployment.selector },
    },
  };
}

/**
 * Validates the whole file (Argo's schema and rules, every unimplemented field in one issue,
 * references, analysis args) before anything is stored, then stores it in one transaction, each
 * Argo Rollout as `storedArgoRollout` makes it (a new revision when its pod-template hash changes).
 * Caller holds the controller's lock.
 * @throws SpecValidationError with every issue; UnsandboxedForbiddenError. Nothing is stored then.
 */
export async function applyKubernetesSpecs(
  options: Pick<SpecApplierOptions, 'store' | 'clock' | 'analysisEnvAllow' | 'workloads'>,
  input: {
    text: string;
    file: string;
    actor: string;
    role: Role;
    knownTemplates: { name: string; clusterScope: boolean }[];
  },
): Promise<ApplyResult> {
  const { store, clock } = options;
  const { text, file, actor, role } = input;
  const documents = parseKubernetesSpecs([{ text, file }], { knownTemplates: input.knownTemplates })[0] ?? [];
  const located: Located[] = [];
  const argo: ArgoRollout[] = [];
  const resources: { resource: Resource; document: number }[] = [];
  for (const [document, doc] of documents.entries()) {
    if (doc.apiVersion === ARGO_API_VERSION && doc.kind === 'Rollout') {
      const resolved = await resolveWorkloadRef(doc as ArgoRollout, options.workloads);
      if ('issue' in resolved) located.push({ document, ...resolved.issue });
      else argo.push(resolved.rollout);
      continue;
    }
    const resource = doc as Resource;
    const refused = REFUSED_KINDS[resource.kind];
    if (refused !== undefined) located.push({ document, path: ['kind'], message: refused });
    for (const issue of envArgIssues(resource, options.analysisEnvAllow ?? []))
      located.push({ document, ...issue });
    resources.push({ resource, document });
  }
  // Document indexes as in the file: Argo Rollouts are not FeatureFlags, and are passed over.
  if (resources.some((r) => r.resource.kind === 'FeatureFlags'))
    located.push(...featureFlagConflicts(documents as Resource[], await store.listFeatureFlags()));
  if (located.length > 0) throw new SpecValidationError(locateSpecIssues(text, file, located));
  const templates = resources.flatMap(({ resource, document }) =>
    resource.kind === 'AnalysisTemplate' || resource.kind === 'ClusterAnalysisTemplate'
      ? [{ resource, document }]
      : [],
  );
  refuseUnsandboxed(templates, file, role);
  const environments = resources.flatMap(({ resource: r }) =>
    r.kind === 'Environment' ? [r as Environment] : [],
  );
  const featureFlags = resources.flatMap(({ resource: r }) =>
    r.kind === 'FeatureFlags' ? [r as FeatureFlags] : [],
  );
  const results = await store.apply(
    {
      rollouts: argo.map(storedArgoRollout),
      templates: templates.map((t) => t.resource as AnalysisTemplate),
      environments,
      featureFlags,
    },
    actor,
    clock.now(),
  );
  return {
    results,
    configs: [],
    templates: templates.map(({ resource: t }) => ({
      kind: t.kind as AnalysisTemplate['kind'],
      name: t.metadata.name,
    })),
    environments: environments.map((e) => e.metadata.name),
    featureFlags: featureFlags.map((f) => f.metadata.name),
  };
}
