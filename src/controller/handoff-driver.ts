import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import type { DataPlaneState } from '../dataplane/index.js';
import type { EngineAction } from '../engine/index.js';
import {
  type HandoffRun,
  HandoffRunner,
  plannedSteps,
  type SnapshotSubject,
  SnapshotTaker,
} from '../handoff/index.js';
import type { Store, StoredRollout } from '../store/index.js';

/** Options of {@link HandoffDriver}. */
export interface HandoffDriverOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  dataPlaneState(): Promise<DataPlaneState>;
  /** Runs the next reconcile now (a step changed what the engine decides). */
  wake(): void;
  /** Whether the controller still runs (a run's loop stops with it). */
  running(): boolean;
}

/**
 * The controller's side of the coordination handoff: stores the runs the engine starts, carries
 * out their steps (each run in one loop at a time, outside the status lock), and takes the
 * periodic state snapshots. The engine only reads the runs.
 */
export class HandoffDriver {
  readonly #o: HandoffDriverOptions;
  readonly #runner: HandoffRunner;
  readonly #snapshots: SnapshotTaker;
  readonly #handingOff = new Set<string>();
  /** Last snapshot error per rollout (recorded once). */
  readonly #snapshotErrors = new Map<string, string>();

  constructor(options: HandoffDriverOptions) {
    this.#o = options;
    this.#runner = new HandoffRunner(options);
    this.#snapshots = new SnapshotTaker(options);
  }

  /**
   * Stores a new handoff run: an activation or a failover imports the Rollout's latest stored
   * state (a handoff's export or a snapshot), when there is one.
   */
  async createRun(
    rollout: StoredRollout,
    action: Extract<EngineAction, { type: 'createHandoffRun' }>,
    now: number,
  ): Promise<void> {
    const handoff = rollout.spec.handoff;
    if (handoff === undefined || (await this.#o.store.getHandoffRun(action.name)) !== undefined) return;
    const latest =
      action.kind === 'Update' ? undefined : await this.#o.store.latestHandoffState(rollout.name);
    const run: HandoffRun = {
      name: action.name,
      rollout: rollout.name,
      kind: action.kind,
      fromReplica: action.fromReplica,
      fromRevision: action.fromRevision,
      toRevision: action.toRevision,
      toReplica: action.toReplica,
      stopFirst: action.stopFirst,
      handoff,
      phase: 'Running',
      pending: plannedSteps(action.kind, action.stopFirst, handoff, latest !== undefined),
      steps: [],
      ...(latest !== undefined
        ? {
            state: { id: latest.id, sha256: latest.sha256, size: latest.size, exportedAt: latest.exportedAt },
          }
        : {}),
      createdAt: now,
    };
    await this.#o.store.createHandoffRun(run, now);
  }

  /** Carries out the steps of every running handoff, each run by one loop at a time. */
  drive(): void {
    void this.#o.store
      .listHandoffRuns({ active: true })
      .then((runs) => {
        for (const run of runs) {
          if (this.#handingOff.has(run.name)) continue;
          this.#handingOff.add(run.name);
          void this.#driveHandoff(run).finally(() => this.#handingOff.delete(run.name));
        }
      })
      // A store error here was an unhandled rejection, which ends the server process; the next
      // pass lists the runs again.
      .catch((error: unknown) => this.#o.logger.error({ err: error }, 'cannot list the running handoffs'));
  }

  async #driveHandoff(first: HandoffRun): Promise<void> {
    let run = first;
    try {
      while (this.#o.running() && run.phase === 'Running') {
        const result = await this.#runner.step(run);
        const now = this.#o.clock.now();
        await this.#o.store.saveHandoffRun(result.run, now);
        await this.#o.store.appendEvents(
          result.events.map((e) => ({ ...e, time: now, rollout: run.rollout, actor: 'controller' })),
        );
        run = result.run;
        this.#o.wake();
      }
    } catch (error) {
      this.#o.logger.error({ err: error, handoff: run.name }, 'handoff step failed');
    }
  }

  /** Takes the state snapshots that are due (`spec.handoff.snapshotIntervalSeconds`). */
  snapshot(rollouts: readonly StoredRollout[]): void {
    const subjects: SnapshotSubject[] = [];
    for (const r of rollouts) {
      const handoff = r.spec.handoff;
      if (handoff?.snapshotIntervalSeconds === undefined) continue;
      const active = r.status.activeReplica;
      subjects.push({
        rollout: r.name,
        handoff,
        active: active ? { id: active.id, revision: active.revision } : undefined,
        handingOff: r.status.handoff?.phase === 'Running',
      });
    }
    if (subjects.length === 0) return;
    this.#snapshots.tick(subjects, (rollout, error) => {
      // A failing snapshot is recorded once, and again when it recovers.
      if (this.#snapshotErrors.get(rollout) === error) return;
      if (error === undefined) this.#snapshotErrors.delete(rollout);
      else this.#snapshotErrors.set(rollout, error);
      void this.#o.store.appendEvents([
        {
          time: this.#o.clock.now(),
          rollout,
          type: error === undefined ? 'Normal' : 'Warning',
          reason: error === undefined ? 'SnapshotRecovered' : 'SnapshotFailed',
          message: error ?? 'State snapshots are taken again',
          actor: 'controller',
        },
      ]);
    });
  }
}
