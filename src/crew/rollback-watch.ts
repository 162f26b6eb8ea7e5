import type { RolloutResource } from '../api/views.js';
import type { TrafficSeconds } from '../dataplane/protocol.js';
import { durationToMs } from '../spec/index.js';
import type { DeployCheckpoint, DeployedRevisions } from './checkpoint.js';
import type { CrewApi, ReleaseView } from './crew-api.js';
import { requestRollback, rollbackPolicy } from './rollback-coordinator.js';
import { sampleRevision } from './rollout-sample.js';
import {
  evaluateRollbackTriggers,
  INITIAL_ROLLBACK_TRIGGER_STATE,
  type RollbackTriggerState,
} from './triggers/index.js';
import {
  DEFAULT_TRIGGER_ALPHA,
  DEFAULT_TRIGGER_MARGIN,
  initialSequentialState,
  observeSequentialTriggers,
  type SequentialTrigger,
  type SequentialTriggerState,
  slowRequestThresholdMs,
} from './triggers/sequential-triggers.js';

/** Restarts of the new revision's replicas tolerated during DEPLOY and MONITOR. @default 2 */
const DEFAULT_MAX_RESTARTS = 2;

interface ReplicaSetsAnswer {
  items: { revision: number; replicaStatuses: { restarts: number }[] }[];
}

/** What the crew read from the release's work directory for the watch. */
export interface WatchContext {
  checkpoint: DeployCheckpoint | null;
  /** The revisions DEPLOY applied; null before it applied any (nothing of this release to judge yet). */
  deployed: DeployedRevisions | null;
}

/**
 * The RollbackCoordinator's watch of one live release (DEPLOY or MONITOR). Once a second, for each
 * production Rollout whose current revision is the one DEPLOY applied (never the revision before
 * it, never one that superseded it), it judges that revision:
 * - sequential triggers (`errorRate`, `latency`): its own traffic at its current weight against the
 *   stable revision's in the same seconds, every request counted from the moment it gets traffic;
 *   and (`errorRate`, `p95`) on its own against the release's thresholds, at any rate (see
 *   `triggers/sequential-triggers.ts`);
 * - sampled triggers (`errorRate`, `p95`): the last second's figures held for the release's
 *   `rollback.errorRateFor` (see `triggers/rollback-triggers.ts`);
 * - `restarts`: its replicas restarted more than `rollback.maxRestarts` times (default 2);
 * - `healthCheck` in MONITOR: that revision aborted or Degraded.
 * Requests a rollback through the API, once, with the trigger, its values and `onsetAt` (ms since
 * the epoch: the first failing sample, for DORA's time to restore).
 */
export class RollbackWatch {
  #sampled = new Map<string, RollbackTriggerState>();
  #sequential = new Map<string, SequentialTriggerState>();
  #fired = false;

  constructor(
    private readonly api: CrewApi,
    private readonly now: () => number,
  ) {}

  /** Judges every Rollout once; requests a rollback when a trigger fires. @returns whether it did. */
  async observe(release: ReleaseView, context: WatchContext): Promise<boolean> {
    if (this.#fired || context.deployed === null) return false;
    const deployedContext = { ...context, deployed: context.deployed };
    const policy = rollbackPolicy(release);
    const spec = release.spec.rollback ?? {};
    for (const { name, revision } of context.deployed.rollouts) {
      const stable = context.checkpoint?.rollouts.find((c) => c.name === name)?.stableRevision ?? null;
      if (revision === stable) continue; // this release did not change the Rollout
      const view = await this.api.get<RolloutResource>(`/api/v1/rollouts/${name}`);
      if (view.status.currentRevision !== revision) continue; // not reconciled yet, or superseded
      if (release.stage === 'MONITOR' && (view.status.abort || view.status.phase === 'Degraded')) {
        return this.#request(
          release,
          'healthCheck',
          `${name} is ${view.status.phase}: ${view.status.message}`,
          {
            revision,
          },
        );
      }

      const sets = await this.api.get<ReplicaSetsAnswer>(`/api/v1/rollouts/${name}/replicasets`);
      const restarts = sets.items
        .filter((s) => s.revision === revision)
        .flatMap((s) => s.replicaStatuses)
        .reduce((sum, r) => sum + (r.restarts ?? 0), 0);
      const maxRestarts = spec.maxRestarts ?? DEFAULT_MAX_RESTARTS;
      if (restarts > maxRestarts) {
        return this.#request(
          release,
          'restarts',
          `${name}: revision ${revision}'s replicas restarted ${restarts} times (> ${maxRestarts})`,
          { revision, restarts, maxRestarts, onsetAt: this.now() },
        );
      }

      const sequential = await this.#sequentialTrigger(release, name, revision, view, deployedContext);
      if (sequential !== null) {
        return this.#request(release, sequential.kind, `${name}: ${sequential.reason}`, {
          revision,
          ...sequential.values,
        });
      }

      const sample = await sampleRevision(this.api, name, revision, 1, 0.95);
      if (sample === null) continue;
      const result = evaluateRollbackTriggers(
        this.#sampled.get(name) ?? INITIAL_ROLLBACK_TRIGGER_STATE,
        { at: this.now(), requests: sample.requests, errors: sample.errors, p95Ms: sample.latencyMs },
        policy,
      );
      this.#sampled.set(name, result.state);
      if (result.trigger !== null) {
        const since =
          result.trigger.kind === 'errorRate' ? result.state.errorRate.since : result.state.p95.since;
        return this.#request(release, result.trigger.kind, `${name}: ${result.trigger.reason}`, {
          revision,
          ...result.trigger.values,
          onsetAt: since ?? this.now(),
        });
      }
    }
    return false;
  }

  /** Folds the seconds since the last look into the sequential triggers of one Rollout. */
  async #sequentialTrigger(
    release: ReleaseView,
    name: string,
    revision: number,
    view: RolloutResource,
    context: WatchContext & { deployed: DeployedRevisions },
  ): Promise<SequentialTrigger | null> {
    const policy = rollbackPolicy(release);
    const spec = release.spec.rollback ?? {};
    const state =
      this.#sequential.get(name) ??
      initialSequentialState(
        Math.floor(context.deployed.at / 1000),
        policy.errorRate.threshold,
        DEFAULT_TRIGGER_MARGIN,
      );
    const traffic = await this.api.get<TrafficSeconds>(`/api/v1/rollouts/${name}/traffic?from=${state.next}`);
    const result = observeSequentialTriggers(
      state,
      traffic,
      // The stable revision serving now (its traffic is the baseline); without one only the
      // absolute tests have data.
      { canary: revision, stable: view.status.stableRevision ?? -1 },
      {
        alpha: spec.alpha ?? DEFAULT_TRIGGER_ALPHA,
        margin: DEFAULT_TRIGGER_MARGIN,
        errorRate: policy.errorRate.threshold,
        p95Ms: policy.p95Ms.threshold,
        slowRequestMs: slowRequestThresholdMs(
          spec.latencyThreshold === undefined ? undefined : durationToMs(spec.latencyThreshold),
          context.checkpoint?.baselineP99Ms ?? null,
          policy.p95Ms.threshold,
        ),
      },
    );
    this.#sequential.set(name, result.state);
    return result.trigger;
  }

  /** Requests the rollback once (later samples of the same release are ignored). */
  async #request(
    release: ReleaseView,
    trigger: string,
    reason: string,
    values: Record<string, number | string | null>,
  ): Promise<boolean> {
    this.#fired = true;
    await requestRollback(this.api, release, trigger, reason, values);
    return true;
  }
}
