import type { AnalysisRun } from '../analysis/types.js';
import { API_VERSION } from '../spec/types.js';

/** Argo Rollouts' `rollout-type` label value for each place a run can have in a strategy. */
const ROLLOUT_TYPE: Record<AnalysisRun['kind'], string> = {
  step: 'Step',
  background: 'Background',
  prePromotion: 'PrePromotion',
  postPromotion: 'PostPromotion',
};

/**
 * An AnalysisRun as `get analysisrun -o json` prints it, Kubernetes-style:
 * `{apiVersion, kind, metadata, spec, status}`, with the stored run's fields under `metadata`
 * (`rollout`, `revision`, `revisions`) and its place in the strategy as Argo Rollouts' label
 * `rollout-type` (Background, Step, PrePromotion, PostPromotion). Pure.
 */
export function analysisRunResource(run: AnalysisRun) {
  return {
    apiVersion: API_VERSION,
    kind: 'AnalysisRun' as const,
    metadata: {
      name: run.name,
      creationTimestamp: new Date(run.status.startedAt).toISOString(),
      labels: { 'rollout-type': ROLLOUT_TYPE[run.kind] },
      rollout: run.rollout,
      revision: run.revision,
      revisions: run.revisions,
    },
    spec: run.spec,
    status: run.status,
  };
}

export type AnalysisRunResource = ReturnType<typeof analysisRunResource>;
