import type { KubeObject } from './kinds.js';
import type { ObjectStore } from './object-store.js';

/** How a simulated Job ends: `Complete` (succeeded: 1), `Failed` (failed: 1), or `Running` (never ends). */
type JobOutcome = 'Complete' | 'Failed' | 'Running';

/** How the simulated Job controller behaves. */
export type JobControllerOptions = {
  /** Time from a Job's creation to its end, in ms. @default 100 */
  jobDurationMs?: number;
  /** How each Job ends. @default the Job's `simulated-kube-api/job-outcome` annotation, else `Complete` */
  jobOutcome?: (job: KubeObject) => JobOutcome;
};

/** Annotation read by the default `jobOutcome`: `Complete`, `Failed` or `Running`. */
export const JOB_OUTCOME_ANNOTATION = 'simulated-kube-api/job-outcome';

const DEFAULT_JOB_DURATION_MS = 100;
const JOBS = 'batch/jobs';

/**
 * The Job controller reduced to its status: a new Job gets `status.active: 1` and `startTime`, then
 * after `jobDurationMs` ends as its outcome says, with the conditions Argo Rollouts' job metric reads
 * (`Complete` or `Failed` with `status: "True"`), `succeeded` / `failed` and `completionTime`. Nothing
 * runs (no Pods are created): the outcome is what the test chose.
 */
export class JobController {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: () => void;

  constructor(store: ObjectStore, options: JobControllerOptions = {}) {
    const duration = options.jobDurationMs ?? DEFAULT_JOB_DURATION_MS;
    const outcomeOf =
      options.jobOutcome ??
      ((job) => (job.metadata.annotations?.[JOB_OUTCOME_ANNOTATION] as JobOutcome | undefined) ?? 'Complete');
    this.#unsubscribe = store.subscribe(JOBS, undefined, (event) => {
      if (event.type !== 'ADDED') return;
      const { namespace = '', name = '', uid } = event.object.metadata;
      const startTime = now();
      // the same Job still (not one deleted and created again under its name), read after the write returned
      const current = () => {
        const job = store.get(JOBS, namespace, name);
        return job?.metadata.uid === uid ? job : undefined;
      };
      this.#after(0, () => {
        const job = current();
        if (job !== undefined) store.put(JOBS, { ...job, status: { startTime, active: 1 } });
      });
      const outcome = outcomeOf(event.object);
      if (outcome === 'Running') return;
      this.#after(duration, () => {
        const job = current();
        if (job === undefined) return;
        const condition = { type: outcome, status: 'True', lastProbeTime: now(), lastTransitionTime: now() };
        const ended =
          outcome === 'Complete'
            ? { startTime, completionTime: now(), succeeded: 1, conditions: [condition] }
            : {
                startTime,
                failed: 1,
                conditions: [
                  {
                    ...condition,
                    reason: 'BackoffLimitExceeded',
                    message: 'Job has reached the specified backoff limit',
                  },
                ],
              };
        store.put(JOBS, { ...job, status: ended });
      });
    });
  }

  /** Stops reacting and cancels the pending ends. */
  stop(): void {
    this.#unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #after(delayMs: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, delayMs);
    this.#timers.add(timer);
  }
}

/** RFC 3339 at whole seconds, as Kubernetes writes times. */
function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
