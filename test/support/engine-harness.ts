import type { AnalysisPhase } from '../../src/analysis/types.js';
import {
  type HeaderRouteSpec,
  type ListenerSpec,
  type RolloutDataPlaneStatus,
  replicaSetKey,
} from '../../src/dataplane/protocol.js';
import { applyCommand, type RolloutCommand } from '../../src/engine/commands.js';
import { initialStatus, reconcile } from '../../src/engine/reconcile.js';
import type { EngineAction, EngineEvent, Revision, RolloutStatus } from '../../src/engine/types.js';
import type { RolloutSpec } from '../../src/spec/types.js';

/**
 * A simulated data plane for unit tests of the pure engine (the real one is exercised by the
 * integration tests): replica sets become ready `readyAfterMs` after being scaled up, listeners
 * apply immediately. Time moves only through `tick()`.
 */
export class EngineHarness {
  now = 1_000_000;
  status: RolloutStatus = initialStatus(this.now);
  revisions: Revision[] = [];
  targetRevision: number | undefined;
  events: EngineEvent[] = [];
  actions: EngineAction[] = [];
  runs: Record<string, { phase: AnalysisPhase; message?: string }> = {};
  /** By `replicaSetKey`: the revision, the experiment set name, and the start time of each replica. */
  readonly #sets = new Map<string, { revision: number; set: string | undefined; starts: number[] }>();
  #listeners: ListenerSpec[] = [];

  constructor(
    public spec: RolloutSpec,
    readonly readyAfterMs = 1000,
  ) {
    this.addRevision();
  }

  addRevision(env: Record<string, string> = {}): number {
    const number = this.revisions.length + 1;
    this.revisions.push({
      number,
      hash: `h${number}`,
      template: { ...this.spec.template, env },
      createdAt: this.now,
    });
    return number;
  }

  observed(): RolloutDataPlaneStatus {
    return {
      rollout: 'web',
      listeners: this.#listeners,
      replicaSets: [...this.#sets.values()].map(({ revision, set, starts }) => ({
        revision,
        ...(set !== undefined ? { set } : {}),
        hash: `h${revision}`,
        replicas: starts.length,
        readyReplicas: starts.filter((t) => this.now - t >= this.readyAfterMs).length,
        replicaStatuses: starts.map((startedAt, i) => ({
          id: `${revision}-${i}`,
          pid: 1,
          port: 1,
          state: 'Running' as const,
          ready: this.now - startedAt >= this.readyAfterMs,
          restarts: 0,
          startedAt,
          lastExitCode: null,
        })),
      })),
    };
  }

  /** One reconcile, its desired state applied, then time moves by `stepMs`. */
  tick(stepMs = 500): void {
    const result = reconcile(
      {
        name: 'web',
        spec: this.spec,
        revisions: this.revisions,
        status: this.status,
        targetRevision: this.targetRevision,
      },
      { dataPlane: this.observed(), analysisRuns: this.runs },
      this.now,
    );
    this.status = result.status;
    this.events.push(...result.events);
    this.actions.push(...result.actions);
    for (const action of result.actions) {
      if (action.type === 'createAnalysisRun') this.runs[action.name] = { phase: 'Running' };
    }
    for (const rs of result.desired.replicaSets) {
      const key = replicaSetKey(rs);
      const starts = this.#sets.get(key)?.starts ?? [];
      // Scale down removes the newest replicas first; scale up adds new, not-yet-ready ones.
      while (starts.length > rs.replicas) starts.pop();
      while (starts.length < rs.replicas) starts.push(this.now);
      if (starts.length === 0) this.#sets.delete(key);
      else this.#sets.set(key, { revision: rs.revision, set: rs.set, starts });
    }
    this.#listeners = structuredClone(result.desired.listeners);
    this.now += stepMs;
  }

  ticks(n: number, stepMs = 500): void {
    for (let i = 0; i < n; i++) this.tick(stepMs);
  }

  /** Ticks until `predicate` holds; fails after `max` ticks. */
  until(predicate: () => boolean, max = 200, stepMs = 500): void {
    for (let i = 0; i < max; i++) {
      if (predicate()) return;
      this.tick(stepMs);
    }
    throw new Error(`condition not reached after ${max} ticks; status: ${JSON.stringify(this.status)}`);
  }

  command(command: RolloutCommand, full = false): void {
    const result = applyCommand(
      { name: 'web', spec: this.spec, revisions: this.revisions, status: this.status },
      command,
      { full },
      this.now,
    );
    this.status = result.status;
    this.events.push(...result.events);
  }

  weight(port: number, revision: number): number {
    return (
      this.#listeners
        .find((l) => l.port === port)
        ?.backends.find((b) => b.revision === revision && b.set === undefined)?.weight ?? 0
    );
  }

  /** Header routes the simulated router applies on a port. */
  headerRoutes(port: number): HeaderRouteSpec[] {
    return this.#listeners.find((l) => l.port === port)?.headerRoutes ?? [];
  }

  replicas(revision: number): number {
    return this.#sets.get(replicaSetKey({ revision }))?.starts.length ?? 0;
  }

  /** Replicas of an experiment's replica set. */
  setReplicas(set: string): number {
    return this.#sets.get(replicaSetKey({ revision: 0, set }))?.starts.length ?? 0;
  }

  /** Weight of an experiment's replica set on a port. */
  setWeight(port: number, set: string): number {
    return this.#listeners.find((l) => l.port === port)?.backends.find((b) => b.set === set)?.weight ?? 0;
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
