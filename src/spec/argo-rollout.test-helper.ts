import type { ArgoRollout, ArgoRolloutSpec } from './argo-rollout-types.js';

/** A valid Argo Rollout `web` (one container, selector and labels `app: web`) with `strategy`. */
export function argoRollout(
  strategy: ArgoRolloutSpec['strategy'] = { canary: { steps: [{ setWeight: 50 }] } },
): ArgoRollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web' },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:1' }] },
      },
      strategy,
    },
  };
}
