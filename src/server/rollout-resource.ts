import type { RolloutResource } from '../api/views.js';
import { API_VERSION } from '../spec/types.js';
import type { StoredRollout } from '../store/index.js';

/**
 * A Rollout as the API and `-o json` print it, Kubernetes-style:
 * `{apiVersion, kind, metadata, spec, status}`.
 */
export function rolloutResource(r: StoredRollout): RolloutResource {
  return {
    apiVersion: API_VERSION,
    kind: 'Rollout' as const,
    metadata: { name: r.name, creationTimestamp: new Date(r.createdAt).toISOString() },
    spec: r.spec,
    status: r.status,
  };
}
