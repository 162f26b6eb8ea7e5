import { randomBytes } from 'node:crypto';
import type { KubeObject } from './kinds.js';
import type { ObjectStore } from './object-store.js';

/** How the simulated ReplicaSet controller and kubelet behave. */
export type ReplicaSetControllerOptions = {
  /** Time from a Pod's creation to Running and Ready, in ms. @default 100 */
  podReadyDelayMs?: number;
  /**
   * ReplicaSets whose Pods never become ready (an image pull failure: Pending, `ImagePullBackOff`).
   * @default a ReplicaSet annotated `simulated-kube-api/pods-never-ready: "true"`
   */
  podsNeverReady?: (replicaSet: KubeObject) => boolean;
};

/** Annotation that makes the default `podsNeverReady` hold for a ReplicaSet. */
export const PODS_NEVER_READY_ANNOTATION = 'simulated-kube-api/pods-never-ready';

/** @default podReadyDelayMs */
const DEFAULT_POD_READY_DELAY_MS = 100;

const RS = 'apps/replicasets';
const PODS = '/pods';

type ReplicaSetSpec = {
  replicas?: number;
  template?: { metadata?: { labels?: Record<string, string> }; spec?: unknown };
};
type PodStatus = { phase?: string; conditions?: { type: string; status: string }[] };

/**
 * The ReplicaSet controller and, for its Pods, the scheduler and kubelet, reduced to what a rollout
 * observes: Pods `<rs>-<5 random chars>` owned by the ReplicaSet with the template's labels and spec,
 * Pending at first and Running + Ready (with a podIP) after `podReadyDelayMs`; scale-down deletes
 * not-ready Pods first, then the newest; `status.replicas`, `fullyLabeledReplicas`, `readyReplicas`,
 * `availableReplicas` (minReadySeconds is ignored) and `observedGeneration` follow. A deleted Pod is
 * replaced. Reacts to the store's events, so writes through the REST API and direct ones both count.
 */
export class ReplicaSetController {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: (() => void)[];
  readonly #readyDelayMs: number;
  readonly #neverReady: (replicaSet: KubeObject) => boolean;

  constructor(
    readonly store: ObjectStore,
    options: ReplicaSetControllerOptions = {},
  ) {
    this.#readyDelayMs = options.podReadyDelayMs ?? DEFAULT_POD_READY_DELAY_MS;
    this.#neverReady =
      options.podsNeverReady ?? ((rs) => rs.metadata.annotations?.[PODS_NEVER_READY_ANNOTATION] === 'true');
    this.#unsubscribe = [
      store.subscribe(RS, undefined, (event) => {
        if (event.type !== 'DELETED')
          this.#defer(() =>
            this.#reconcile(event.object.metadata.namespace ?? '', event.object.metadata.name ?? ''),
          );
      }),
      store.subscribe(PODS, undefined, (event) => {
        const owner = event.object.metadata.ownerReferences?.find(
          (o) => o.kind === 'ReplicaSet' && o.controller,
        );
        if (owner !== undefined)
          this.#defer(() => this.#reconcile(event.object.metadata.namespace ?? '', owner.name));
      }),
    ];
  }

  /** Stops reacting and cancels pending Pod readiness. */
  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Runs `work` after the current write returned (a controller acts on an event, never inside the write). */
  #defer(work: () => void, delayMs = 0): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, delayMs);
    this.#timers.add(timer);
  }

  #reconcile(namespace: string, name: string): void {
    const rs = this.store.get(RS, namespace, name);
    if (rs === undefined) return;
    const spec = (rs.spec ?? {}) as ReplicaSetSpec;
    const desired = spec.replicas ?? 1;
    const pods = this.store.list(
      PODS,
      namespace,
      (p) => p.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid) ?? false,
    );
    for (let i = pods.length; i < desired; i += 1) pods.push(this.#createPod(rs, spec));
    const excess = pods
      .sort(
        (a, b) =>
          Number(isReady(a)) - Number(isReady(b)) ||
          (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
      )
      .splice(0, Math.max(0, pods.length - desired));
    for (const pod of excess) this.store.delete(PODS, namespace, pod.metadata.name ?? '');
    const ready = pods.filter(isReady).length;
    const next = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    if (JSON.stringify(rs.status) !== JSON.stringify(next)) this.store.put(RS, { ...rs, status: next });
  }

  #createPod(rs: KubeObject, spec: ReplicaSetSpec): KubeObject {
    const { namespace = '', name = '', uid = '' } = rs.metadata;
    const neverReady = this.#neverReady(rs);
    const pod = this.store.put(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-${randomBytes(4).toString('hex').slice(0, 5)}`,
        namespace,
        labels: { ...spec.template?.metadata?.labels },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid, controller: true }],
      },
      spec: structuredClone(spec.template?.spec ?? {}),
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False' }],
        ...(neverReady
          ? {
              containerStatuses: [
                { name: 'main', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } },
              ],
            }
          : {}),
      },
    });
    if (!neverReady)
      this.#defer(() => this.#becomeReady(namespace, pod.metadata.name ?? ''), this.#readyDelayMs);
    return pod;
  }

  #becomeReady(namespace: string, name: string): void {
    const pod = this.store.get(PODS, namespace, name);
    if (pod === undefined) return;
    const octets = randomBytes(2);
    this.store.put(PODS, {
      ...pod,
      status: {
        phase: 'Running',
        podIP: `10.244.${octets[0]}.${octets[1]}`,
        startTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Initialized', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      },
    });
  }
}

function isReady(pod: KubeObject): boolean {
  return (
    (pod.status as PodStatus | undefined)?.conditions?.some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ) ?? false
  );
}
