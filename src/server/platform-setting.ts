import type { V1Deployment } from '@kubernetes/client-node';
import {
  createProviderRegistry,
  DEFAULT_PROVIDER_REGISTRY,
  type MetricProviderRegistry,
} from '../analysis/index.js';
import type { Clock } from '../clock/index.js';
import type { RolloutDataPlane } from '../controller/index.js';
import type { ObjectReader } from '../platform/kubernetes/index.js';
import type { LabelSelector, PodTemplateSpec } from '../spec/index.js';
import type { Store } from '../store/index.js';
import type { WorkloadReader } from './apply-kubernetes.js';
import { ServerConfigError } from './errors.js';

/** Where Rollouts run: local processes behind cutover's router, or a Kubernetes cluster. */
export type PlatformName = 'local' | 'kubernetes';

/**
 * The platform from `cutover server --platform` or `$CUTOVER_PLATFORM`.
 * @returns `local` when neither is given.
 * @throws ServerConfigError `CUTOVER_E_SERVER_CONFIG` for any other value than `local` or `kubernetes`.
 */
export function serverPlatform(value: string | undefined, setting = 'CUTOVER_PLATFORM'): PlatformName {
  if (value === undefined || value.trim() === '') return 'local';
  if (value === 'local' || value === 'kubernetes') return value;
  throw new ServerConfigError(setting, `expected local or kubernetes, got ${JSON.stringify(value)}`);
}

/** Rollouts the controller reconciles at once on the kubernetes platform: Argo Rollouts' default `--rollout-threads`. */
const DEFAULT_KUBERNETES_ROLLOUT_THREADS = 10;

/**
 * Rollouts reconciled at once within a pass, from `cutover server --rollout-threads` or
 * `$CUTOVER_ROLLOUT_THREADS` (as Argo Rollouts' `--rollout-threads`).
 * @returns an integer 1..100; when not given, 10 on the kubernetes platform (Argo's default) and 1
 *   on the local one.
 * @throws ServerConfigError `CUTOVER_E_SERVER_CONFIG` for anything but an integer 1..100, and for
 *   more than 1 on the local platform (its router takes one Rollout's change at a time).
 */
export function rolloutThreads(
  value: string | undefined,
  platform: PlatformName,
  setting = 'CUTOVER_ROLLOUT_THREADS',
): number {
  if (value === undefined || value.trim() === '')
    return platform === 'kubernetes' ? DEFAULT_KUBERNETES_ROLLOUT_THREADS : 1;
  const threads = Number(value);
  if (!/^\d+$/.test(value.trim()) || threads < 1 || threads > 100)
    throw new ServerConfigError(setting, `expected an integer from 1 to 100, got ${JSON.stringify(value)}`);
  if (platform === 'local' && threads !== 1)
    throw new ServerConfigError(
      setting,
      `the local platform reconciles one Rollout at a time (1), got ${threads}; more is for --platform kubernetes`,
    );
  return threads;
}

/** What the controller runs on the kubernetes platform instead of the local platform's. */
export interface ClusterPlatform {
  dataPlane: RolloutDataPlane;
  /** The default providers with `job` running Argo's Job form as Kubernetes Jobs. */
  providers: MetricProviderRegistry;
  /** Reads a `workloadRef`'s Deployment from the API server (apply). */
  workloads: WorkloadReader;
  /**
   * A reader of one new observation of the cluster's Deployments: each namespace's are listed once,
   * on first use (`WorkloadRefSync`'s passes).
   */
  observedWorkloads: () => WorkloadReader;
}

/** A `workloadRef`'s Deployment template and selector, read through `reader`. */
function workloadReader(reader: ObjectReader): WorkloadReader {
  return async (namespace, name) => {
    const deployment = await reader.read<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace,
      name,
    });
    const { template, selector } = deployment?.spec ?? {};
    return template === undefined || selector === undefined
      ? undefined
      : { template: template as PodTemplateSpec, selector: selector as LabelSelector };
  };
}

/**
 * The controller's data plane and metric providers on the kubernetes platform, for the cluster of
 * the default kubeconfig (`$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service
 * account), as kubectl finds it. `@kubernetes/client-node` is loaded only here: a local server
 * starts without it.
 * @throws the kubeconfig's errors (unreadable or invalid file).
 */
export async function clusterPlatform(store: Store, clock: Clock): Promise<ClusterPlatform> {
  const [{ KubeConfig }, { KubeObjects, KubernetesClusterDataPlane, ListedObjects, clusterJobProvider }] =
    await Promise.all([import('@kubernetes/client-node'), import('../platform/kubernetes/index.js')]);
  const config = new KubeConfig();
  config.loadFromDefault();
  const objects = new KubeObjects(config);
  const job = clusterJobProvider({
    objects,
    namespaceOf: async (rollout) =>
      (await store.getRollout(rollout))?.spec.kubernetes?.namespace ?? 'default',
  });
  return {
    dataPlane: new KubernetesClusterDataPlane({
      objects,
      rollout: (name) => store.getRollout(name),
      now: () => clock.now(),
    }),
    workloads: workloadReader(objects),
    observedWorkloads: () => workloadReader(new ListedObjects(objects)),
    providers: createProviderRegistry(
      [...DEFAULT_PROVIDER_REGISTRY.values()].map((p) => (p.type === 'job' ? job : p)),
    ),
  };
}
