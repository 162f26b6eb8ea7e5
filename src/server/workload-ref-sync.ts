import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import type { Controller } from '../controller/index.js';
import { type StoredArgoRollout, storedFromWorkload } from '../spec/index.js';
import type { Store } from '../store/index.js';
import type { WorkloadReader } from './apply-kubernetes.js';

type WorkloadTemplate = NonNullable<Awaited<ReturnType<WorkloadReader>>>;

/** How often the Deployments of `workloadRef` Rollouts are read, ms. */
const DEFAULT_INTERVAL_MS = 2000;

/** Options of {@link WorkloadRefSync}. */
export interface WorkloadRefSyncOptions {
  store: Store;
  /** Its lock: a new revision is stored as an apply stores one. */
  controller: Pick<Controller, 'exclusive'>;
  /** A reader of one observation of the cluster's Deployments (a new one per pass). */
  workloads: () => WorkloadReader;
  clock: Clock;
  logger: Logger;
  /** Period of the passes, ms. @default 2000 */
  intervalMs?: number;
}

/**
 * As Argo Rollouts follows a `workloadRef`: on the kubernetes platform, a Rollout applied with
 * `workloadRef` (kept in `spec.kubernetes.workloadRef`) takes its Deployment's pod template again
 * whenever that template changes (`kubectl set image deployment/...`): a new revision is stored,
 * as `cutover apply` would store it (event `RevisionCreated`, actor `controller`), and the
 * controller rolls it out with the Rollout's strategy. A Deployment that is gone is logged and
 * left (the Rollout keeps running its last template). Runs on the leader.
 */
export class WorkloadRefSync {
  readonly #o: WorkloadRefSyncOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** Rollouts whose Deployment was found missing (logged once until it is back). */
  readonly #missing = new Set<string>();

  constructor(options: WorkloadRefSyncOptions) {
    this.#o = options;
  }

  /** Starts the passes (idempotent). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.pass()
        .then(() => undefined)
        .catch((err: unknown) => this.#o.logger.warn({ err: String(err) }, 'workloadRef sync failed'))
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#o.intervalMs ?? DEFAULT_INTERVAL_MS);
  }

  /** Stops the passes and waits for one under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /**
   * One pass: each `workloadRef` Rollout whose Deployment's template hash differs from the one it
   * last took gets a new revision. @returns the names of the Rollouts given one.
   * @throws the store's and the Kubernetes API's errors.
   */
  async pass(): Promise<string[]> {
    const read = this.#o.workloads();
    const changed: { name: string; deployment: WorkloadTemplate }[] = [];
    for (const rollout of await this.#o.store.listRollouts()) {
      const binding = rollout.spec.kubernetes;
      if (binding?.workloadRef === undefined) continue;
      const namespace = binding.namespace ?? 'default';
      const deployment = await read(namespace, binding.workloadRef.name);
      if (deployment === undefined) {
        if (!this.#missing.has(rollout.name))
          this.#o.logger.warn(
            { rollout: rollout.name, deployment: `${namespace}/${binding.workloadRef.name}` },
            'workloadRef: the Deployment is gone; the Rollout keeps its last template',
          );
        this.#missing.add(rollout.name);
        continue;
      }
      this.#missing.delete(rollout.name);
      const next = storedFromWorkload(rollout.name, rollout.spec, deployment);
      if (next.hash !== binding.podTemplateHash) changed.push({ name: rollout.name, deployment });
    }
    if (changed.length === 0) return [];
    return this.#o.controller.exclusive(async () => {
      // Taken again under the lock: an apply in between may have replaced the Rollout.
      const current: StoredArgoRollout[] = [];
      for (const { name, deployment } of changed) {
        const now = await this.#o.store.getRollout(name);
        if (now?.spec.kubernetes?.workloadRef === undefined) continue;
        const next = storedFromWorkload(name, now.spec, deployment);
        if (next.hash !== now.spec.kubernetes.podTemplateHash) current.push(next);
      }
      if (current.length === 0) return [];
      await this.#o.store.apply({ rollouts: current, templates: [] }, 'controller', this.#o.clock.now());
      return current.map((r) => r.name);
    });
  }
}
