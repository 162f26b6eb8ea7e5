import type { V1PodTemplateSpec, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import type {
  ListenerSpec,
  ReplicaSetStatus,
  RolloutDataPlaneSpec,
  RolloutDataPlaneStatus,
} from '../../dataplane/protocol.js';
import {
  KubeObjectNotFoundError,
  type KubeObjects,
  type ObjectReader,
  type WriteOptions,
} from './kube-objects.js';
import { POD_TEMPLATE_HASH_LABEL } from './labels.js';
import type { TrafficProvider, TrafficTarget } from './traffic/traffic-provider.js';
import {
  pinServiceSelector,
  type RolloutWorkload,
  replicaSetFor,
  revisionOf,
  sameReplicaSet,
} from './workload.js';

/**
 * How one Rollout runs on Kubernetes: where its ReplicaSets go and what they are made of, the
 * Services that select a revision's pods, and the traffic provider that splits between them (as
 * Argo Rollouts' `canary.stableService` / `canaryService`, `blueGreen.activeService` /
 * `previewService`, `trafficRouting`).
 */
export interface KubernetesBinding {
  workload: Omit<RolloutWorkload, 'template'>;
  /** The pod template of a revision (its ReplicaSet's); the hash is its `rollouts-pod-template-hash`. */
  podTemplate(revision: number, hash: string): V1PodTemplateSpec;
  strategy:
    | { canary: { stableService?: string; canaryService?: string } }
    | { blueGreen: { activeService: string; previewService?: string } };
  /** The canary's traffic provider; `replicaRatio` without `trafficRouting`. */
  provider: TrafficProvider;
  /**
   * Old ReplicaSets kept, scaled to 0 (for a rollback), as Argo Rollouts' `revisionHistoryLimit`:
   * the newest by revision are kept, older ones deleted. An integer >= 0. @default 10
   */
  revisionHistoryLimit?: number;
}

/** Argo Rollouts' default `revisionHistoryLimit`. */
const DEFAULT_REVISION_HISTORY_LIMIT = 10;

/**
 * The engine's desired data-plane state of a Rollout carried out on Kubernetes, the counterpart of
 * the local router and platform: each replica set is a ReplicaSet `<rollout>-<hash>` (labels and
 * selector with `rollouts-pod-template-hash`), the stable / canary (or active / preview) Services'
 * selectors are pinned to their revision's hash, and the canary weight goes to the traffic provider
 * (with replica ratio, into the replica counts, as Argo Rollouts' basic canary). What it observes
 * (ReplicaSets' `availableReplicas`, the provider's weight) is what the engine gets back, so a step
 * completes only once the cluster holds it.
 */
export class KubernetesDataPlane {
  constructor(private readonly objects: KubeObjects) {}

  /**
   * Applies `desired` (a `reconcile` result's) for a Rollout whose stable revision is
   * `stableRevision`, in Argo Rollouts' order: the desired ReplicaSets are created or scaled, the
   * Services pinned to their revisions, the traffic provider's weight set, and only then the
   * ReplicaSets of the Rollout no longer desired deleted, with their pods (so traffic never reaches
   * a revision being removed). Writes of one stage go out together; an object that already holds
   * what would be written is not written. What the cluster then holds is read by {@link status}.
   * @param options.observed - the cluster as one observation holds it (the reconcile pass's
   *   `ListedObjects`): objects are read from it before they are written (see `WriteOptions`).
   * @throws KubeObjectNotFoundError for a Service or route the binding names that does not exist.
   */
  async apply(
    desired: RolloutDataPlaneSpec,
    binding: KubernetesBinding,
    stableRevision: number | null,
    options: WriteOptions = {},
  ): Promise<void> {
    const { workload } = binding;
    const hashes = new Map(desired.replicaSets.map((rs) => [rs.revision, rs.hash]));
    const main = desired.listeners[0];
    const weights = new Map((main?.backends ?? []).map((b) => [b.revision, b.weight]));
    const stableHash = stableRevision === null ? undefined : hashes.get(stableRevision);
    const counts = this.#replicaCounts(desired, binding, stableRevision, weights);
    await Promise.all(
      desired.replicaSets.map((rs) => {
        const template = binding.podTemplate(rs.revision, rs.hash);
        const next = replicaSetFor(
          { ...workload, template },
          rs.hash,
          rs.revision,
          counts.get(rs.revision) ?? rs.replicas,
        );
        return this.objects.upsert(next, {
          ...options,
          unchanged: (current) => sameReplicaSet(current, next),
        });
      }),
    );
    if ('canary' in binding.strategy) {
      const canaryRevision = [...weights.keys()].find((r) => r !== stableRevision) ?? stableRevision;
      const canaryHash = (canaryRevision === null ? undefined : hashes.get(canaryRevision)) ?? stableHash;
      const { stableService, canaryService } = binding.strategy.canary;
      await Promise.all([
        stableService && stableHash ? this.#pin(workload, stableService, stableHash, options) : undefined,
        canaryService && canaryHash ? this.#pin(workload, canaryService, canaryHash, options) : undefined,
      ]);
      if (stableService && canaryService && stableHash && canaryHash) {
        const target = this.#target(workload, stableService, canaryService, stableHash, canaryHash);
        const canaryWeight = canaryRevision === stableRevision ? 0 : (weights.get(canaryRevision ?? -1) ?? 0);
        await binding.provider.setWeight(target, canaryWeight, options);
      }
    } else {
      const { activeService, previewService } = binding.strategy.blueGreen;
      const active = main?.backends.find((b) => b.weight > 0)?.revision;
      const activeHash = active === undefined ? stableHash : hashes.get(active);
      // As Argo: the preview Service selects the newest revision while it is not active (the
      // engine's preview listener exists only with a local previewPort), else the active one.
      const preview =
        desired.listeners[1]?.backends.find((b) => b.weight > 0)?.revision ??
        Math.max(...desired.replicaSets.map((rs) => rs.revision));
      const previewHash = hashes.get(preview) ?? activeHash;
      await Promise.all([
        activeHash ? this.#pin(workload, activeService, activeHash, options) : undefined,
        previewService && previewHash ? this.#pin(workload, previewService, previewHash, options) : undefined,
      ]);
    }
    await this.#retire(binding, new Set(hashes.values()), options);
  }

  /**
   * The Rollout as the cluster holds it: its ReplicaSets (ready = `availableReplicas`), and the
   * listeners of `desired` with the canary weight the provider's objects hold (as desired when the
   * provider keeps none, e.g. replica ratio).
   * @param reader - what to read the cluster with: one observation's `ListedObjects` when many
   *   Rollouts are observed at once. @default reader the API server, object by object
   */
  async status(
    desired: RolloutDataPlaneSpec,
    binding: KubernetesBinding,
    stableRevision: number | null,
    reader: ObjectReader = this.objects,
  ): Promise<RolloutDataPlaneStatus> {
    const { workload } = binding;
    const sets = await this.#replicaSets(workload, reader);
    const replicaSets: ReplicaSetStatus[] = sets.flatMap((rs) => {
      const revision = revisionOf(rs);
      const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
      if (revision === undefined || hash === undefined) return [];
      return [
        {
          revision,
          hash,
          replicas: rs.spec?.replicas ?? 0,
          readyReplicas: rs.status?.availableReplicas ?? 0,
          replicaStatuses: [],
        },
      ];
    });
    return {
      rollout: desired.rollout,
      replicaSets,
      listeners: await this.#observedListeners(desired, binding, stableRevision, reader),
    };
  }

  async #observedListeners(
    desired: RolloutDataPlaneSpec,
    binding: KubernetesBinding,
    stableRevision: number | null,
    reader: ObjectReader,
  ): Promise<ListenerSpec[]> {
    const main = desired.listeners[0];
    if (main === undefined || !('canary' in binding.strategy)) return desired.listeners;
    const { stableService, canaryService } = binding.strategy.canary;
    const hashes = new Map(desired.replicaSets.map((rs) => [rs.revision, rs.hash]));
    const canary = main.backends.find((b) => b.revision !== stableRevision);
    const stableHash = stableRevision === null ? undefined : hashes.get(stableRevision);
    const canaryHash = canary === undefined ? undefined : hashes.get(canary.revision);
    if (!stableService || !canaryService || !stableHash || !canaryHash || canary === undefined)
      return desired.listeners;
    const held = await binding.provider.weight(
      this.#target(binding.workload, stableService, canaryService, stableHash, canaryHash),
      reader,
    );
    if (held === undefined || held === canary.weight) return desired.listeners;
    const backends = main.backends.map((b) => ({
      ...b,
      weight: b.revision === canary.revision ? held : 100 - held,
    }));
    return [{ ...main, backends }, ...desired.listeners.slice(1)];
  }

  /**
   * Replica counts per revision. With replica ratio the pods carry the split, as Argo Rollouts'
   * basic canary: the canary keeps the engine's count (which leads the weight: scaled up, then
   * weighted) and the stable gets the rest of `replicas`.
   */
  #replicaCounts(
    desired: RolloutDataPlaneSpec,
    binding: KubernetesBinding,
    stableRevision: number | null,
    weights: Map<number, number>,
  ): Map<number, number> {
    const counts = new Map(desired.replicaSets.map((rs) => [rs.revision, rs.replicas]));
    if (
      !('canary' in binding.strategy) ||
      binding.provider.name !== 'replicaRatio' ||
      stableRevision === null
    )
      return counts;
    const canaryRevision = [...weights.keys()].find((r) => r !== stableRevision);
    if (canaryRevision === undefined) return counts;
    const total = counts.get(stableRevision) ?? 0;
    counts.set(stableRevision, Math.max(0, total - (counts.get(canaryRevision) ?? 0)));
    return counts;
  }

  /** Deletes every ReplicaSet of the Rollout (as Kubernetes' garbage collector after Argo's Rollout is deleted). */
  async remove(binding: KubernetesBinding): Promise<void> {
    // Every ReplicaSet is old, and none is kept.
    await this.#retire({ ...binding, revisionHistoryLimit: 0 }, new Set(), {});
  }

  async #replicaSets(
    workload: KubernetesBinding['workload'],
    reader: ObjectReader = this.objects,
  ): Promise<V1ReplicaSet[]> {
    return reader.list<V1ReplicaSet>('apps/v1', 'ReplicaSet', workload.namespace, workload.selector);
  }

  /**
   * The Rollout's ReplicaSets whose hash is not in `keep` (no longer desired), as `options.observed`
   * lists them (a ReplicaSet created since is one of `keep`): as Argo Rollouts, the newest
   * `revisionHistoryLimit` by revision are scaled to 0 and kept, the others deleted with their pods.
   */
  async #retire(binding: KubernetesBinding, keep: Set<string>, options: WriteOptions): Promise<void> {
    const { workload } = binding;
    const old = (await this.#replicaSets(workload, options.observed))
      .filter((rs) => {
        const hash = rs.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
        return hash !== undefined && !keep.has(hash);
      })
      .sort((a, b) => (revisionOf(b) ?? 0) - (revisionOf(a) ?? 0));
    const limit = binding.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
    const ref = (rs: V1ReplicaSet) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      namespace: workload.namespace,
      name: rs.metadata?.name ?? '',
    });
    await Promise.all([
      ...old.slice(0, limit).map((rs) =>
        this.objects
          .update<V1ReplicaSet>(
            ref(rs),
            (current) => {
              if (current.spec?.replicas === 0) return false;
              current.spec = { ...current.spec, selector: current.spec?.selector ?? {}, replicas: 0 };
              return true;
            },
            options,
          )
          // Deleted meanwhile (by a person, or the garbage collector): nothing to keep.
          .catch((error: unknown) => {
            if (!(error instanceof KubeObjectNotFoundError)) throw error;
          }),
      ),
      ...old.slice(limit).map((rs) => this.objects.delete(ref(rs))),
    ]);
  }

  async #pin(
    workload: KubernetesBinding['workload'],
    service: string,
    hash: string,
    options: WriteOptions,
  ): Promise<void> {
    await this.objects.update<V1Service>(
      { apiVersion: 'v1', kind: 'Service', namespace: workload.namespace, name: service },
      (s) => pinServiceSelector(s, workload.name, hash),
      options,
    );
  }

  #target(
    workload: KubernetesBinding['workload'],
    stableService: string,
    canaryService: string,
    stableHash: string,
    canaryHash: string,
  ): TrafficTarget {
    return {
      rollout: workload.name,
      namespace: workload.namespace,
      stableService,
      canaryService,
      stableHash,
      canaryHash,
    };
  }
}
