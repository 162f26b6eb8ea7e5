import type { AnalysisPhase } from '../../src/analysis/types.js';
import {
  type HeaderRouteSpec,
  type ListenerSpec,
  type MirrorRouteSpec,
  type ReplicaStatus,
  type RolloutDataPlaneStatus,
  replicaSetKey,
} from '../../src/dataplane/protocol.js';
import { applyCommand, type RolloutCommand } from '../../src/engine/commands.js';
import { initialStatus, reconcile } from '../../src/engine/reconcile.js';
import type {
  EngineAction,
  EngineEvent,
  ObservedHandoffRun,
  Revision,
  RolloutStatus,
} from '../../src/engine/types.js';
import type { RolloutSpec, SetFlag } from '../../src/spec/types.js';

/** Restarts a replica that fails at once has had after `elapsedMs`: backoff 1 s doubling to 30 s. */
function backoffRestarts(elapsedMs: number): number {
  let restarts = 0;
  let at = 0;
  for (let delay = 1000; ; delay = Math.min(delay * 2, 30_000)) {
    at += delay;
    if (at > elapsedMs) return restarts;
    restarts++;
  }
}

/**
 * A simulated data plane for unit tests of the pure engine (the real one is exercised by the
 * integration tests): replica sets become ready `readyAfterMs` after being scaled up, listeners
 * apply immediately; a revision can be made to crash-loop (`crash`, `heal`). Time moves only
 * through `tick()`.
 */
export class EngineHarness {
  now = 1_000_000;
  status: RolloutStatus = initialStatus(this.now);
  revisions: Revision[] = [];
  targetRevision: number | undefined;
  events: EngineEvent[] = [];
  actions: EngineAction[] = [];
  runs: Record<string, { phase: AnalysisPhase; message?: string }> = {};
  /** Handoff runs the engine started, as the store would report them; tests move their phase and step. */
  handoffs: Record<string, ObservedHandoffRun> = {};
  /**
   * The flag ramps the simulated data plane serves (what the controller pushed after the last
   * tick: the status' ramps); a test sets `flagsServed = false` to make the push fail.
   */
  servedFlagRamps: SetFlag[] | undefined = [];
  flagsServed = true;
  /** The desired `activeReplica` of the last tick (undefined: not set). */
  activeReplica: string | null | undefined;
  /**
   * How the simulated router applies a desired listener (default: as it is); a test makes the
   * router lag or ignore a field by returning something else.
   */
  applyListener: (desired: ListenerSpec) => ListenerSpec = (l) => l;
  /** By `replicaSetKey`: the revision, the experiment set name, and the start time of each replica. */
  readonly #sets = new Map<string, { revision: number; set: string | undefined; starts: number[] }>();
  #listeners: ListenerSpec[] = [];
  /** Revisions whose replicas keep failing, since when, how (see {@link crash}). */
  readonly #crashes = new Map<number, { exitCode: number; message?: string; since: number }>();
  /** Restarts each revision's replicas have had in earlier crash loops (see {@link heal}). */
  readonly #restarts = new Map<number, number>();

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
      replicaSets: [...this.#sets.values()].map(({ revision, set, starts }) => {
        const replicaStatuses = starts.map((startedAt, i) =>
          this.#replicaStatus(revision, set, startedAt, i),
        );
        return {
          revision,
          ...(set !== undefined ? { set } : {}),
          hash: `h${revision}`,
          replicas: starts.length,
          readyReplicas: replicaStatuses.filter((r) => r.ready).length,
          replicaStatuses,
        };
      }),
    };
  }

  #replicaStatus(revision: number, set: string | undefined, startedAt: number, i: number): ReplicaStatus {
    const crash = set === undefined ? this.#crashes.get(revision) : undefined;
    const restarts = this.#restarts.get(revision) ?? 0;
    const base = { id: `${revision}-${i}`, port: 1, startedAt };
    if (!crash) {
      const ready = this.now - startedAt >= this.readyAfterMs;
      return { ...base, pid: 1, state: ready ? 'Running' : 'Starting', ready, restarts, lastExitCode: null };
    }
    return {
      ...base,
      pid: null,
      state: 'Crashed',
      ready: false,
      restarts: restarts + backoffRestarts(this.now - Math.max(crash.since, startedAt)),
      lastExitCode: crash.exitCode,
      ...(crash.message !== undefined ? { message: crash.message } : {}),
    };
  }

  /**
   * From now on every replica of `revision` exits with `exitCode` as soon as it starts (with
   * `message`, e.g. `spawn failed: ENOENT`, it cannot start at all) and is restarted after a backoff
   * of 1 s doubling to 30 s, as the local platform does.
   */
  crash(revision: number, exitCode: number, message?: string): void {
    this.#crashes.set(revision, { exitCode, ...(message !== undefined ? { message } : {}), since: this.now });
  }

  /** The replicas of `revision` stop crashing: they start again now (ready after `readyAfterMs`), keeping their restart count. */
  heal(revision: number): void {
    const crash = this.#crashes.get(revision);
    if (!crash) return;
    this.#restarts.set(
      revision,
      (this.#restarts.get(revision) ?? 0) + backoffRestarts(this.now - crash.since) + 1,
    );
    this.#crashes.delete(revision);
    const set = this.#sets.get(replicaSetKey({ revision }));
    if (set) set.starts = set.starts.map(() => this.now);
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
      {
        dataPlane: this.observed(),
        analysisRuns: this.runs,
        handoffRuns: this.handoffs,
        flagRamps: this.servedFlagRamps,
      },
      this.now,
    );
    this.status = result.status;
    this.servedFlagRamps = this.flagsServed ? structuredClone(this.status.flagRamps ?? []) : undefined;
    this.events.push(...result.events);
    this.actions.push(...result.actions);
    for (const action of result.actions) {
      if (action.type === 'createAnalysisRun') this.runs[action.name] = { phase: 'Running' };
      if (action.type === 'createHandoffRun') {
        this.handoffs[action.name] = { phase: 'Running', step: 'drain', toReplica: action.toReplica };
      }
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
    this.#listeners = structuredClone(result.desired.listeners).map((l) => this.applyListener(l));
    this.activeReplica = result.desired.activeReplica;
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

  /** Mirror routes the simulated router applies on a port. */
  mirrorRoutes(port: number): MirrorRouteSpec[] {
    return this.#listeners.find((l) => l.port === port)?.mirrorRoutes ?? [];
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
