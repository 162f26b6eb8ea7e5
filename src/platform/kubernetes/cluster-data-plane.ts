import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import type { RolloutDataPlane } from '../../controller/rollout-data-plane.js';
import type { DataPlaneState, RolloutDataPlaneSpec } from '../../dataplane/protocol.js';
import type { StoredRollout } from '../../store/index.js';
import { BuiltinMetricsUnavailableError, PlatformError } from '../errors.js';
import { bindingFor } from './binding.js';
import { type KubeObjects, ListedObjects } from './kube-objects.js';
import { type KubernetesBinding, KubernetesDataPlane } from './kubernetes-data-plane.js';

export interface KubernetesClusterDataPlaneOptions {
  objects: KubeObjects;
  /** The stored Rollout (its `spec.kubernetes` binding and stable revision). */
  rollout: (name: string) => Promise<StoredRollout | undefined>;
  /** ms since the epoch. */
  now: () => number;
}

/** What was last applied for one Rollout: what `state()` observes it against. */
interface Applied {
  desired: RolloutDataPlaneSpec;
  binding: KubernetesBinding;
  stableRevision: number | null;
}

/**
 * The controller's data plane on the kubernetes platform (`cutover server --platform kubernetes`):
 * each Rollout's desired state goes to its ReplicaSets, Services and traffic provider through
 * {@link KubernetesDataPlane}, with the binding its Argo Rollout was stored with (`spec.kubernetes`)
 * and each revision's pod template (`template.podTemplate`).
 *
 * Like a freshly started local data plane, it knows only the Rollouts applied since it started:
 * after a control-plane start the controller writes each Rollout's desired state once (idempotent
 * on the cluster), then observes it. Builtin metrics are refused
 * ({@link BuiltinMetricsUnavailableError}): there is no router in the traffic's path.
 */
export class KubernetesClusterDataPlane implements RolloutDataPlane {
  /** Its stable Services are pinned to the stable revision: written again when that moves. */
  readonly pinsStableRevision = true;
  readonly #plane: KubernetesDataPlane;
  readonly #applied = new Map<string, Applied>();
  readonly #startedAt: number;
  /** The last observation ({@link state}): what {@link apply} reads objects from before writing them. */
  #observed: ListedObjects | undefined;

  constructor(private readonly options: KubernetesClusterDataPlaneOptions) {
    this.#plane = new KubernetesDataPlane(options.objects);
    this.#startedAt = options.now();
  }

  /**
   * Every applied Rollout as the cluster holds it. `pid` and `routerPid` are this process's (the
   * identity stays the same for the life of the control plane). One observation: ReplicaSets and
   * the providers' objects are listed once per kind and namespace ({@link ListedObjects}), not read
   * per Rollout, so a pass costs the API server a few requests per namespace whatever N is.
   * @throws the Kubernetes API's errors.
   */
  async state(): Promise<DataPlaneState> {
    const reader = new ListedObjects(this.options.objects);
    this.#observed = reader;
    const rollouts = await Promise.all(
      [...this.#applied.values()].map((a) =>
        this.#plane.status(a.desired, a.binding, a.stableRevision, reader),
      ),
    );
    return {
      pid: process.pid,
      routerPid: process.pid,
      startedAt: this.#startedAt,
      routerRestarts: 0,
      adoptedReplicas: 0,
      routerExits: [],
      rollouts,
    };
  }

  /**
   * Writes the Rollout's desired state to the cluster, reading the objects as the last observation
   * ({@link state}) holds them, as a Kubernetes controller writes from its informers' cache: a
   * Rollout whose ReplicaSets, Services and route already hold it costs no request, a changed one
   * one write per changed object (an object changed since the observation is read again on the
   * API's 409 Conflict). What the cluster then holds is seen by the next {@link state}.
   * @throws PlatformError `CUTOVER_E_NOT_KUBERNETES_ROLLOUT` for a Rollout stored without a binding
   *   (a cutover Rollout of the local platform); the Kubernetes API's errors.
   */
  async apply(spec: RolloutDataPlaneSpec, context?: { stableRevision: number | null }): Promise<void> {
    const rollout = await this.options.rollout(spec.rollout);
    const target = rollout?.spec.kubernetes;
    if (rollout === undefined || target === undefined)
      throw new PlatformError(
        'CUTOVER_E_NOT_KUBERNETES_ROLLOUT',
        `Rollout ${spec.rollout} has no Kubernetes binding: only Argo Rollouts (argoproj.io/v1alpha1) applied on the kubernetes platform run there`,
      );
    // Only the desired replica sets' templates are asked for; each carries its revision's.
    const binding = bindingFor(target, this.options.objects, (revision) => {
      const pod = spec.replicaSets.find((rs) => rs.revision === revision)?.template.podTemplate;
      if (pod === undefined)
        throw new Error(`Rollout ${spec.rollout}: revision ${revision} has no pod template`);
      return pod as V1PodTemplateSpec;
    });
    const stableRevision = context?.stableRevision ?? rollout.status.stableRevision;
    const observed = this.#observed;
    await this.#plane.apply(spec, binding, stableRevision, observed === undefined ? {} : { observed });
    this.#applied.set(spec.rollout, { desired: spec, binding, stableRevision });
  }

  /** As Argo deleting a Rollout (its ReplicaSets are garbage-collected): deletes them. @returns whether it knew the Rollout. */
  async remove(rollout: string): Promise<boolean> {
    const applied = this.#applied.get(rollout);
    if (applied === undefined) return false;
    await this.#plane.remove(applied.binding);
    this.#applied.delete(rollout);
    return true;
  }

  /** @throws BuiltinMetricsUnavailableError always. */
  stats(rollout: string): Promise<never> {
    return Promise.reject(new BuiltinMetricsUnavailableError(rollout));
  }

  /** @throws BuiltinMetricsUnavailableError always. */
  traffic(rollout: string): Promise<never> {
    return Promise.reject(new BuiltinMetricsUnavailableError(rollout));
  }
}
