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
  locateSpecIssues,
  parseKubernetesSpecs,
  type Resource,
  SpecValidationError,
  storedArgoRollout,
} from '../spec/index.js';
import type { ApplyResult, SpecApplierOptions } from './apply.js';

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

/**
 * Validates the whole file (Argo's schema and rules, every unimplemented field in one issue,
 * references, analysis args) before anything is stored, then stores it in one transaction, each
 * Argo Rollout as `storedArgoRollout` makes it (a new revision when its pod-template hash changes).
 * Caller holds the controller's lock.
 * @throws SpecValidationError with every issue; UnsandboxedForbiddenError. Nothing is stored then.
 */
export async function applyKubernetesSpecs(
  options: Pick<SpecApplierOptions, 'store' | 'clock' | 'analysisEnvAllow'>,
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
      const rollout = doc as ArgoRollout;
      if (rollout.spec.workloadRef !== undefined)
        located.push({
          document,
          path: ['spec', 'workloadRef'],
          message:
            "not implemented by the kubernetes platform yet: write the Deployment's pod template and selector in the Rollout (spec.template, spec.selector)",
        });
      argo.push(rollout);
      continue;
    }
    const resource = doc as Resource;
    const refused = REFUSED_KINDS[resource.kind];
    if (refused !== undefined) located.push({ document, path: ['kind'], message: refused });
    for (const issue of envArgIssues(resource, options.analysisEnvAllow ?? []))
      located.push({ document, ...issue });
    resources.push({ resource, document });
  }
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
