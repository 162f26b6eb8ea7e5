import type { AnalysisPhase, ExperimentSetRef } from '../analysis/types.js';
import type {
  HeaderRouteSpec,
  ListenerSpec,
  MirrorRouteSpec,
  ReplicaSetSpec,
  ReplicaSetStatus,
  ReplicaStatus,
  RolloutDataPlaneSpec,
  RouteBackend,
} from '../dataplane/protocol.js';
import { durationToMs } from '../spec/duration.js';
import type { RolloutAnalysis, TrafficPolicy } from '../spec/types.js';
import type {
  AnalysisRunRef,
  EngineAction,
  EngineEvent,
  Observed,
  PauseReason,
  ReconcileResult,
  Revision,
  RolloutState,
  RolloutStatus,
} from './types.js';

/**
 * Working state of one reconcile: the status being computed, the desired replica counts and
 * routes, and the actions and events decided so far. Strategies write into it; `result()` builds the
 * whole desired data-plane state. Pure: reads only its inputs.
 */
export class Decision {
  readonly status: RolloutStatus;
  readonly events: EngineEvent[] = [];
  readonly actions: EngineAction[] = [];
  readonly #replicas = new Map<number, number>();
  readonly #listeners = new Map<number, RouteBackend[]>();
  readonly #headerRoutes = new Map<number, HeaderRouteSpec[]>();
  readonly #mirrorRoutes = new Map<number, MirrorRouteSpec[]>();
  /** Experiment replica sets wanted in this reconcile, by set name. */
  readonly #sets = new Map<string, { revision: number; replicas: number }>();
  /** Weighted experiment sets per port; their weight is taken from the stable revision's. */
  readonly #setBackends = new Map<number, RouteBackend[]>();
  readonly #wantedRuns = new Set<string>();
  /** The desired `activeReplica` of the data plane (see {@link RolloutDataPlaneSpec.activeReplica}); undefined: not set. */
  activeReplica: string | null | undefined;
  /** A stateful Rollout's ordinals per revision, set by its strategy (others: 0..n-1 by count). */
  readonly #ordinals = new Map<number, number[]>();

  constructor(
    readonly state: RolloutState,
    readonly observed: Observed,
    readonly now: number,
  ) {
    this.status = structuredClone(state.status);
    // A status written before these fields existed; appended, so an unchanged status stays equal.
    this.status.replicaFailures ??= [];
    this.status.replicaRestarts ??= {};
  }

  get name(): string {
    return this.state.name;
  }

  /** spec.replicas with its default (1). */
  get replicas(): number {
    return this.state.spec.replicas ?? 1;
  }

  get paused(): boolean {
    return this.status.controllerPause || this.state.spec.paused === true;
  }

  event(type: EngineEvent['type'], reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  /** The revision's own replica set as observed (not an experiment's set of it). */
  #observedSet(revision: number): ReplicaSetStatus | undefined {
    return this.observed.dataPlane?.replicaSets.find((r) => r.revision === revision && r.set === undefined);
  }

  /** Ready replicas of a revision, as the data plane reports them. */
  ready(revision: number): number {
    return this.#observedSet(revision)?.readyReplicas ?? 0;
  }

  /** Desired replicas of a revision as the data plane last received them. */
  observedReplicas(revision: number): number {
    return this.#observedSet(revision)?.replicas ?? 0;
  }

  /** Replicas of a revision's own set that are meant to run (starting, running or crashed), as observed. */
  runningReplicas(revision: number): ReplicaStatus[] {
    return (this.#observedSet(revision)?.replicaStatuses ?? []).filter(
      (r) => r.state === 'Starting' || r.state === 'Running' || r.state === 'Crashed',
    );
  }

  /** Whether any replica process of the revision is still alive (starting, running or stopping). */
  hasProcesses(revision: number): boolean {
    return (this.#observedSet(revision)?.replicaStatuses ?? []).some((r) => r.state !== 'Stopped');
  }

  /** Weight (percent) the router applies to a revision on a port; 0 when absent. */
  observedWeight(port: number, revision: number): number {
    const listener = this.observed.dataPlane?.listeners.find((l) => l.port === port);
    return listener?.backends.find((b) => b.revision === revision && b.set === undefined)?.weight ?? 0;
  }

  /** Weight (percent) the router applies to an experiment's replica set on a port; 0 when absent. */
  observedSetWeight(port: number, set: string): number {
    const listener = this.observed.dataPlane?.listeners.find((l) => l.port === port);
    return listener?.backends.find((b) => b.set === set)?.weight ?? 0;
  }

  /** Ready replicas of an experiment's replica set. */
  readySet(set: string): number {
    return this.observed.dataPlane?.replicaSets.find((r) => r.set === set)?.readyReplicas ?? 0;
  }

  /** Revisions the data plane still runs (desired > 0 or processes alive). */
  observedRevisions(): number[] {
    return (this.observed.dataPlane?.replicaSets ?? [])
      .filter((r) => r.set === undefined && isLive(r))
      .map((r) => r.revision);
  }

  /** Runs an experiment's replica set in this reconcile (sets not asked for are scaled down). */
  scaleSet(ref: ExperimentSetRef, replicas: number): void {
    this.#sets.set(ref.set, { revision: ref.revision, replicas });
  }

  /**
   * Routes `weight` percent of a port's traffic to an experiment's replica set, taken from the
   * stable revision's share (after {@link route}, which clears it).
   */
  routeSet(port: number, ref: ExperimentSetRef, weight: number): void {
    if (weight <= 0) return;
    const list = (this.#setBackends.get(port) ?? []).filter((b) => b.set !== ref.set);
    list.push({ revision: ref.revision, set: ref.set, weight });
    this.#setBackends.set(port, list);
  }

  scale(revision: number, replicas: number): void {
    this.#replicas.set(revision, replicas);
    this.#ordinals.delete(revision);
  }

  /** A stateful Rollout: the revision runs exactly these ordinals. */
  scaleOrdinals(revision: number, ordinals: readonly number[]): void {
    const sorted = [...ordinals].sort((a, b) => a - b);
    this.#replicas.set(revision, sorted.length);
    this.#ordinals.set(revision, sorted);
  }

  /** A stateful Rollout: the ordinals a revision's set runs, as observed ([] when none). */
  observedOrdinals(revision: number): number[] {
    return this.#observedSet(revision)?.ordinals ?? [];
  }

  /** A stateful Rollout: the revision's replicas, by ordinal, that are ready (and not stopping). */
  readyOrdinals(revision: number): number[] {
    return (this.#observedSet(revision)?.replicaStatuses ?? [])
      .filter((r) => r.ready && r.state === 'Running' && r.ordinal !== undefined)
      .map((r) => r.ordinal!);
  }

  /** A stateful revision scaled by count: its observed ordinals when the count is theirs, else 0..n-1. */
  #defaultOrdinals(revision: number, replicas: number): number[] {
    const seen = this.observedOrdinals(revision);
    return seen.length === replicas ? seen : Array.from({ length: replicas }, (_, i) => i);
  }

  /** Replicas of a revision's own set as observed (every state). */
  observedReplicaStatuses(revision: number): ReplicaStatus[] {
    return this.#observedSet(revision)?.replicaStatuses ?? [];
  }

  desiredReplicas(revision: number): number {
    return this.#replicas.get(revision) ?? 0;
  }

  /**
   * Sets the weights of a port's listener; clears its header routes, mirror routes and experiment
   * sets (set them after with {@link headerRoutes}, {@link mirrorRoutes}, {@link routeSet}).
   */
  route(port: number, backends: Record<number, number>): void {
    this.#headerRoutes.delete(port);
    this.#mirrorRoutes.delete(port);
    this.#setBackends.delete(port);
    this.#listeners.set(
      port,
      Object.entries(backends)
        .map(([revision, weight]) => ({ revision: Number(revision), weight }))
        .filter((b) => b.weight > 0),
    );
  }

  /** Sets the header routes of a port's listener (after its {@link route}). */
  headerRoutes(port: number, routes: HeaderRouteSpec[]): void {
    if (routes.length === 0) this.#headerRoutes.delete(port);
    else this.#headerRoutes.set(port, routes);
  }

  /** Sets the mirror routes of a port's listener (after its {@link route}). */
  mirrorRoutes(port: number, routes: MirrorRouteSpec[]): void {
    if (routes.length === 0) this.#mirrorRoutes.delete(port);
    else this.#mirrorRoutes.set(port, routes);
  }

  /** Mirror routes the router applies on a port, as observed; [] when none. */
  observedMirrorRoutes(port: number): MirrorRouteSpec[] {
    return this.observed.dataPlane?.listeners.find((l) => l.port === port)?.mirrorRoutes ?? [];
  }

  /** Header routes the router applies on a port, as observed; [] when none. */
  observedHeaderRoutes(port: number): HeaderRouteSpec[] {
    return this.observed.dataPlane?.listeners.find((l) => l.port === port)?.headerRoutes ?? [];
  }

  hasPause(reason: PauseReason): boolean {
    return this.status.pauseConditions.some((p) => p.reason === reason);
  }

  addPause(reason: PauseReason, message: string): void {
    if (this.hasPause(reason)) return;
    this.status.pauseConditions.push({ reason, startTime: this.now });
    this.event('Normal', 'RolloutPaused', message);
  }

  removePause(reason: PauseReason): void {
    this.status.pauseConditions = this.status.pauseConditions.filter((p) => p.reason !== reason);
    this.status.lastProgressAt = this.now;
  }

  /** Keeps a revision at its current size until `at` (ms since the epoch), then scales it to 0. */
  scaleDownAt(revision: number, at: number): void {
    if (this.status.scaleDowns.some((s) => s.revision === revision)) return;
    this.status.scaleDowns.push({ revision, at });
  }

  /**
   * Ensures an AnalysisRun exists and returns its last observed phase. Runs not ensured during a
   * reconcile are terminated when it ends.
   */
  ensureRun(
    name: string,
    kind: AnalysisRunRef['kind'],
    analysis: RolloutAnalysis,
    revision: number,
    experiment?: Record<string, ExperimentSetRef>,
  ): AnalysisPhase {
    this.#wantedRuns.add(name);
    let ref = this.status.analysisRuns.find((r) => r.name === name);
    if (!ref) {
      ref = { name, kind, phase: 'Running' };
      this.status.analysisRuns.push(ref);
      const s = this.status;
      this.actions.push({
        type: 'createAnalysisRun',
        name,
        kind,
        revision,
        revisions: {
          ...(s.stableRevision !== null
            ? { stable: s.stableRevision, active: s.activeRevision ?? s.stableRevision }
            : {}),
          canary: s.currentRevision,
          preview: s.currentRevision,
          ...(experiment !== undefined ? { experiment } : {}),
        },
        analysis,
      });
      this.event('Normal', 'AnalysisRunCreated', `AnalysisRun ${name} created for revision ${revision}`);
      return 'Running';
    }
    const seen = this.observed.analysisRuns[name];
    if (seen && seen.phase !== ref.phase) {
      ref.phase = seen.phase;
      if (seen.phase !== 'Running' && seen.phase !== 'Pending') {
        const type = seen.phase === 'Successful' ? 'Normal' : 'Warning';
        const detail = seen.message ? `: ${seen.message}` : '';
        this.event(type, `AnalysisRun${seen.phase}`, `AnalysisRun ${name} is ${seen.phase}${detail}`);
      }
    }
    return ref.phase;
  }

  /** The last observed message of a run, for abort reasons. */
  runMessage(name: string): string | undefined {
    return this.observed.analysisRuns[name]?.message;
  }

  /** Terminates the runs that no step asked for in this reconcile. */
  #terminateUnwanted(): void {
    for (const ref of this.status.analysisRuns) {
      if (this.#wantedRuns.has(ref.name)) continue;
      if (ref.phase === 'Running' || ref.phase === 'Pending') {
        this.actions.push({ type: 'terminateAnalysisRun', name: ref.name });
        ref.phase = this.observed.analysisRuns[ref.name]?.phase ?? ref.phase;
      }
    }
  }

  #revision(number: number): Revision | undefined {
    return this.state.revisions.find((r) => r.number === number);
  }

  /**
   * Experiment replica sets: those wanted now, and those still observed, which are kept at their
   * size while the router sends them traffic and scaled to 0 once it does not.
   */
  #experimentSets(): ReplicaSetSpec[] {
    const out: ReplicaSetSpec[] = [];
    const observed = (this.observed.dataPlane?.replicaSets ?? []).filter((r) => r.set !== undefined);
    const names = new Set([...this.#sets.keys(), ...observed.filter(isLive).map((r) => r.set!)]);
    for (const set of [...names].sort()) {
      const seen = observed.find((r) => r.set === set);
      const wanted = this.#sets.get(set);
      const revision = this.#revision(wanted?.revision ?? seen?.revision ?? 0);
      if (!revision) continue;
      const ports = [...this.#listeners.keys()];
      const routed = ports.some((p) => this.observedSetWeight(p, set) > 0);
      const replicas = wanted?.replicas ?? (routed ? (seen?.replicas ?? 0) : 0);
      out.push({
        revision: revision.number,
        set,
        hash: revision.hash,
        template: revision.template,
        replicas,
      });
    }
    return out;
  }

  /** A port's backends with its experiment sets, their weight taken from the stable revision (then the others). */
  #withSets(port: number, weighted: RouteBackend[]): RouteBackend[] {
    const sets = this.#setBackends.get(port) ?? [];
    if (sets.length === 0) return weighted;
    let excess = sets.reduce((sum, b) => sum + b.weight, 0);
    const stable = this.status.stableRevision;
    const order = [...weighted].sort((a, b) => Number(b.revision === stable) - Number(a.revision === stable));
    const reduced = new Map<RouteBackend, number>();
    for (const b of order) {
      const take = Math.min(b.weight, excess);
      reduced.set(b, b.weight - take);
      excess -= take;
    }
    return [
      ...weighted.map((b) => ({ ...b, weight: reduced.get(b) ?? b.weight })).filter((b) => b.weight > 0),
      ...sets,
    ];
  }

  result(): ReconcileResult {
    this.#terminateUnwanted();
    const replicaSets: ReplicaSetSpec[] = [];
    const numbers = new Set([...this.#replicas.keys(), ...this.observedRevisions()]);
    for (const number of [...numbers].sort((a, b) => a - b)) {
      const revision = this.#revision(number);
      if (!revision) continue;
      const replicas = this.desiredReplicas(number);
      const ordinals =
        this.state.spec.stateful === undefined
          ? undefined
          : (this.#ordinals.get(number) ?? this.#defaultOrdinals(number, replicas));
      replicaSets.push({
        revision: number,
        hash: revision.hash,
        template: revision.template,
        replicas,
        ...(ordinals !== undefined ? { ordinals } : {}),
      });
    }
    replicaSets.push(...this.#experimentSets());
    const affinity = this.state.spec.sessionAffinity;
    const listeners: ListenerSpec[] = [...this.#listeners].map(([port, weighted]) => {
      const backends = this.#withSets(port, weighted);
      const headerRoutes = this.#headerRoutes.get(port);
      const mirrorRoutes = this.#mirrorRoutes.get(port);
      return {
        port,
        backends,
        ...(headerRoutes !== undefined ? { headerRoutes } : {}),
        ...(mirrorRoutes !== undefined ? { mirrorRoutes } : {}),
        ...(affinity !== undefined ? { sessionAffinity: affinity } : {}),
      };
    });
    return {
      status: this.status,
      desired: {
        rollout: this.name,
        replicaSets,
        listeners,
        ...(this.activeReplica !== undefined ? { activeReplica: this.activeReplica } : {}),
        ...(this.state.spec.trafficPolicy?.outlierDetection !== undefined
          ? { outlierDetection: this.state.spec.trafficPolicy.outlierDetection }
          : {}),
        ...(this.state.spec.trafficPolicy?.timeout !== undefined
          ? { timeoutMs: durationToMs(this.state.spec.trafficPolicy.timeout) }
          : {}),
        ...upstreamPolicyOf(this.state.spec.trafficPolicy),
      },
      actions: this.actions,
      events: this.events,
    };
  }
}

/** A replica set the data plane still runs (desired > 0 or processes alive). */
function isLive(r: ReplicaSetStatus): boolean {
  return r.replicas > 0 || r.replicaStatuses.some((p) => p.state !== 'Stopped');
}

/** `spec.trafficPolicy`'s connection pool and retries in the data plane's form (durations in ms). */
function upstreamPolicyOf(
  policy: TrafficPolicy | undefined,
): Pick<RolloutDataPlaneSpec, 'connectionPool' | 'retries'> {
  const out: Pick<RolloutDataPlaneSpec, 'connectionPool' | 'retries'> = {};
  const pool = policy?.connectionPool;
  if (pool !== undefined) {
    const { tcp, http } = pool;
    out.connectionPool = {
      ...(tcp?.maxConnections !== undefined ? { maxConnections: tcp.maxConnections } : {}),
      ...(tcp?.connectTimeout !== undefined ? { connectTimeoutMs: durationToMs(tcp.connectTimeout) } : {}),
      ...(http?.http1MaxPendingRequests !== undefined
        ? { http1MaxPendingRequests: http.http1MaxPendingRequests }
        : {}),
      ...(http?.maxRequestsPerConnection !== undefined
        ? { maxRequestsPerConnection: http.maxRequestsPerConnection }
        : {}),
      ...(http?.maxRetries !== undefined ? { maxRetries: http.maxRetries } : {}),
    };
  }
  const retries = policy?.retries;
  if (retries !== undefined) {
    out.retries = {
      attempts: retries.attempts,
      ...(retries.perTryTimeout !== undefined
        ? { perTryTimeoutMs: durationToMs(retries.perTryTimeout) }
        : {}),
      ...(retries.retryOn !== undefined ? { retryOn: retries.retryOn } : {}),
    };
  }
  return out;
}
