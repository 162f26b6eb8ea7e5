import type { AnalysisPhase } from '../../src/analysis/types.js';
import type { ListenerSpec, RolloutDataPlaneStatus } from '../../src/dataplane/protocol.js';
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
  readonly #sets = new Map<number, number[]>(); // start time of each replica
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
      replicaSets: [...this.#sets].map(([revision, starts]) => ({
        revision,
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
      const starts = this.#sets.get(rs.revision) ?? [];
      // Scale down removes the newest replicas first; scale up adds new, not-yet-ready ones.
      while (starts.length > rs.replicas) starts.pop();
      while (starts.length < rs.replicas) starts.push(this.now);
      if (starts.length === 0) this.#sets.delete(rs.revision);
      else this.#sets.set(rs.revision, starts);
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
      this.#listeners.find((l) => l.port === port)?.backends.find((b) => b.revision === revision)?.weight ?? 0
    );
  }

  replicas(revision: number): number {
    return this.#sets.get(revision)?.length ?? 0;
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
