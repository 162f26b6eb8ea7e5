import type { ReleaseRollout, ReleaseSpec, Rollout, RolloutSpec } from '../spec/index.js';
import { API_VERSION } from '../spec/index.js';

/** Name of a release's Rollout in an environment: `<rollout>-<environment>`. */
export function rolloutNameIn(rollout: string, environment: string): string {
  return `${rollout}-${environment}`;
}

/**
 * The Rollout a release runs in `environment`: the Rollout's spec with the environment's overrides
 * layered on it (replicas, port, strategy replace; env is merged into template.env), with
 * `metadata.environment` set (its ConfigMap and Secret references resolve there first). Pure.
 */
export function rolloutIn(rollout: ReleaseRollout, environment: string): Rollout {
  const o = rollout.environments?.[environment] ?? {};
  const spec: RolloutSpec = {
    ...rollout.spec,
    ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
    ...(o.port === undefined ? {} : { port: o.port }),
    ...(o.strategy === undefined ? {} : { strategy: o.strategy }),
    template: {
      ...rollout.spec.template,
      ...(o.env === undefined ? {} : { env: { ...rollout.spec.template.env, ...o.env } }),
    },
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Rollout',
    metadata: {
      name: rolloutNameIn(rollout.name, environment),
      // Its ConfigMaps and Secrets resolve to the environment's own first.
      environment,
      labels: { 'cutover.dev/rollout': rollout.name },
    },
    spec,
  };
}

/** Every Rollout of a release in `environment`. */
export function rolloutsIn(spec: ReleaseSpec, environment: string): Rollout[] {
  return spec.rollouts.map((r) => rolloutIn(r, environment));
}

/** The revision DEPLOY applied to each production Rollout, as the Orchestrator reported it. */
export interface DeployedRevision {
  /** The Rollout's name in the environment, e.g. `shop-production`. */
  name: string;
  revision: number;
}

/**
 * The revisions a release's last successful DEPLOY carried each Rollout to (from the
 * Orchestrator's report, `deploy.rollouts`), or null when DEPLOY never succeeded. Pure.
 */
export function deployedRevisionsOf(release: {
  stageResults: readonly { stage: string; result: string; report?: unknown }[];
}): DeployedRevision[] | null {
  const deploy = release.stageResults.filter((s) => s.stage === 'DEPLOY' && s.result === 'Success').at(-1);
  const rollouts = (deploy?.report as { deploy?: { rollouts?: unknown } } | undefined)?.deploy?.rollouts;
  if (!Array.isArray(rollouts)) return null;
  const out: DeployedRevision[] = [];
  for (const r of rollouts) {
    const { name, revision } = (r ?? {}) as { name?: unknown; revision?: unknown };
    if (typeof name === 'string' && typeof revision === 'number') out.push({ name, revision });
  }
  return out.length === 0 ? null : out;
}
