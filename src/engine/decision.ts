import type { AnalysisPhase } from '../analysis/types.js';
import type { ListenerSpec, ReplicaSetSpec, RouteBackend } from '../dataplane/protocol.js';
import type { RolloutAnalysis } from '../spec/types.js';
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
  readonly #wantedRuns = new Set<string>();

  constructor(
    readonly state: RolloutState,
    readonly observed: Observed,
    readonly now: number,
  ) {
    this.status = structuredClone(state.status);
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

  /** Ready replicas of a revision, as the data plane reports them. */
  ready(revision: number): number {
    return this.observed.dataPlane?.replicaSets.find((r) => r.revision === revision)?.readyReplicas ?? 0;
  }

  /** Desired replicas of a revision as the data plane last received them. */
  observedReplicas(revision: number): number {
    return this.observed.dataPlane?.replicaSets.find((r) => r.revision === revision)?.replicas ?? 0;
  }

  /** Whether any replica process of the revision is still alive (starting, running or stopping). */
  hasProcesses(revision: number): boolean {
    const rs = this.observed.dataPlane?.replicaSets.find((r) => r.revision === revision);
    return (rs?.replicaStatuses ?? []).some((r) => r.state !== 'Stopped');
  }

  /** Weight (percent) the router applies to a revision on a port; 0 when absent. */
  observedWeight(port: number, revision: number): number {
    const listener = this.observed.dataPlane?.listeners.find((l) => l.port === port);
    return listener?.backends.find((b) => b.revision === revision)?.weight ?? 0;
  }

  /** Revisions the data plane still runs (desired > 0 or processes alive). */
  observedRevisions(): number[] {
    return (this.observed.dataPlane?.replicaSets ?? [])
      .filter((r) => r.replicas > 0 || r.replicaStatuses.some((p) => p.state !== 'Stopped'))
      .map((r) => r.revision);
  }

  scale(revision: number, replicas: number): void {
    this.#replicas.set(revision, replicas);
  }

  desiredReplicas(revision: number): number {
    return this.#replicas.get(revision) ?? 0;
  }

  route(port: number, backends: Record<number, number>): void {
    this.#listeners.set(
      port,
      Object.entries(backends)
        .map(([revision, weight]) => ({ revision: Number(revision), weight }))
        .filter((b) => b.weight > 0),
    );
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

  result(): ReconcileResult {
    this.#terminateUnwanted();
    const replicaSets: ReplicaSetSpec[] = [];
    const numbers = new Set([...this.#replicas.keys(), ...this.observedRevisions()]);
    for (const number of [...numbers].sort((a, b) => a - b)) {
      const revision = this.#revision(number);
      if (!revision) continue;
      replicaSets.push({
        revision: number,
        hash: revision.hash,
        template: revision.template,
        replicas: this.desiredReplicas(number),
      });
    }
    const listeners: ListenerSpec[] = [...this.#listeners].map(([port, backends]) => ({ port, backends }));
    return {
      status: this.status,
      desired: { rollout: this.name, replicaSets, listeners },
      actions: this.actions,
      events: this.events,
    };
  }
}
