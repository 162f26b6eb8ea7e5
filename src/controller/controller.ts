import type { Logger } from 'pino';
import {
  type AnalysisRun,
  AnalysisRunner,
  buildAnalysisRun,
  jobImagesNotPulled,
  type MetricProviderRegistry,
  terminateRun,
} from '../analysis/index.js';
import type { Clock } from '../clock/index.js';
import {
  type DataPlaneState,
  DataPlaneUnavailableError,
  type RolloutDataPlaneSpec,
  type RolloutDataPlaneStatus,
} from '../dataplane/index.js';
import { type DriftFinding, dataPlaneDrift } from '../drift/index.js';
import {
  applyCommand,
  type CommandOptions,
  type EngineAction,
  type ObservedAnalysisRun,
  type ObservedHandoffRun,
  type RolloutCommand,
  reconcile,
} from '../engine/index.js';
import type { StateBackups } from '../platform/index.js';
import type { LocalTemplate, SetFlag } from '../spec/index.js';
import type { NewEvent, Store, StoredRollout } from '../store/index.js';
import { analysisFailureReason } from './analysis-failure-reason.js';
import { dataPlaneMatches } from './desired-diff.js';
import { RolloutNotFoundError } from './errors.js';
import { HandoffDriver } from './handoff-driver.js';
import { Mutex } from './mutex.js';
import type { RolloutDataPlane } from './rollout-data-plane.js';

/**
 * How the controller serves the feature flag ramps of canary updates (`setFlag` steps, held in
 * `status.flagRamps`): the server's FeatureFlagSync, which sends the data plane the stored
 * FeatureFlags with every Rollout's ramps applied.
 */
export interface FlagRampServing {
  /**
   * Whether the data plane serves the stored FeatureFlags with the ramps of these Rollouts'
   * statuses (and nothing else).
   * @throws when the data plane or the store does not answer.
   */
  serves(rollouts: readonly StoredRollout[]): Promise<boolean>;
  /**
   * Sends the data plane the stored FeatureFlags with the stored Rollouts' ramps, unless it serves
   * them already. @throws the data plane client's errors.
   */
  push(): Promise<void>;
  /**
   * A Rollout's update completed: each ramp becomes its flag's definition in every FeatureFlags
   * resource that defines the flag (actor `controller`). Idempotent.
   * @returns the names of the resources changed.
   */
  promote(rollout: string, ramps: readonly SetFlag[], now: number): Promise<string[]>;
}

export interface ControllerOptions {
  store: Store;
  /** The platform's data plane: the local router's client, or the kubernetes platform's. */
  dataPlane: RolloutDataPlane;
  clock: Clock;
  logger: Logger;
  /** Period of the level-triggered reconcile loop, ms. @default 200 */
  intervalMs?: number;
  /** Environment for AnalysisTemplate args `valueFrom`. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Variables AnalysisTemplate args may read with `valueFrom.env` (the operator's
   * `CUTOVER_ANALYSIS_ENV_ALLOW`). @default [] (none)
   */
  analysisEnvAllow?: readonly string[];
  /**
   * Called when the data plane does not answer: starts a new one (which stops the replicas its
   * predecessor left running) and returns its client; the next reconcile re-sends every rollout's
   * desired state.
   */
  restartDataPlane?: () => Promise<RolloutDataPlane>;
  /** Called after every reconcile pass with its duration, seconds (for the /metrics histogram). */
  onReconcile?: (durationSeconds: number) => void;
  /**
   * Called after each write of a Rollout's changed desired state to the data plane with its
   * duration, seconds (the reconcile of one Rollout change; for the /metrics histogram).
   */
  onRolloutWrite?: (durationSeconds: number) => void;
  /**
   * Rollouts reconciled at once within a pass, as Argo Rollouts' `--rollout-threads`: on a platform
   * whose writes are API round trips (kubernetes), changed Rollouts do not wait for each other.
   * An integer >= 1. @default 1 (one after another, as the local router takes them)
   */
  rolloutThreads?: number;
  /** Backups of stateful Rollouts' state directories (taken before each update). */
  stateBackups?: StateBackups;
  /**
   * A revision's template as its replicas run it (ConfigMaps and Secrets of `envFrom` turned into
   * environment variables), applied to every template sent to the data plane and nowhere else.
   * @default the template unchanged
   */
  materialize?: (template: LocalTemplate) => Promise<LocalTemplate>;
  /** Serves the flag ramps of `setFlag` steps; without it a `setFlag` step never completes. */
  flags?: FlagRampServing;
  /**
   * Called before the controller writes a Rollout's new desired state (its own change: a step, a
   * promotion) over a data plane that had drifted from the state it last wrote: the write replaces
   * the drift, which is reported then (drift detection's `DriftDetected`).
   */
  onDriftOverwritten?: (rollout: string, findings: DriftFinding[]) => Promise<void>;
  /** The metric providers of AnalysisRuns (the kubernetes platform's runs Argo's Job form as Jobs). @default DEFAULT_PROVIDER_REGISTRY */
  providers?: MetricProviderRegistry;
  /**
   * Whether Argo's Job-form metrics run locally (the image is not pulled): a `JobImageNotPulled`
   * event per such metric of each new AnalysisRun. @default true (the local platform)
   */
  localJobs?: boolean;
}

/** What the controller last wrote for a Rollout, and to which data plane. */
interface Written {
  spec: RolloutDataPlaneSpec;
  /** The stable revision the spec was written with. */
  stableRevision: number | null;
  /** The data plane's identity (supervisor pid and start time). */
  dataPlane: string;
  /** The router process that took the write. */
  routerPid: number;
}

/** A data plane's identity: a new data plane (new supervisor) starts empty and is seeded again. */
function identityOf(state: DataPlaneState): string {
  return `${state.pid}@${state.startedAt}`;
}

/** A desired state read as an observed one, to compare two desired states with `dataPlaneMatches`. */
function asObserved(spec: RolloutDataPlaneSpec): RolloutDataPlaneStatus {
  return {
    ...spec,
    replicaSets: spec.replicaSets.map(({ template: _t, ...rs }) => ({
      ...rs,
      readyReplicas: 0,
      replicaStatuses: [],
    })),
  };
}

/** Counters exposed on the control plane's /metrics. */
export interface ControllerStats {
  reconciles: number;
  lastReconcileMs: number;
  analysisAborts: number;
  /** Aborts decided by the controller, per rollout, per reason (`AnalysisRunFailed`, `AnalysisRunError`, ...). */
  analysisAbortsBy: Record<string, Record<string, number>>;
}

/**
 * The control loop: every `intervalMs` (and at once after a command) it reads the store and the
 * data plane, calls the pure `reconcile` for each Rollout, writes status and events, then performs
 * the decided actions (AnalysisRuns, the desired data-plane state). AnalysisRuns are measured
 * concurrently, outside the status lock.
 *
 * After a crash or `kill -9`, a new Controller resumes from the store: status is only advanced on
 * observed facts, and the data plane kept running meanwhile.
 */
/** Event reason of a router process the data plane's supervisor replaced. */
const ROUTER_RESTARTED = 'RouterRestarted';
/** Event reason of a replica ejected by outlier detection. */
const OUTLIER_EJECTED = 'OutlierEjected';
/** Event reason of requests cut by a stopping replica's grace period. */
const STREAMS_CUT = 'StreamsCut';

/** Options the controller keeps unset when not given. */
type OptionalOption =
  | 'restartDataPlane'
  | 'onReconcile'
  | 'onRolloutWrite'
  | 'stateBackups'
  | 'materialize'
  | 'flags'
  | 'onDriftOverwritten'
  | 'localJobs';

export class Controller {
  readonly #o: Required<Omit<ControllerOptions, 'env' | 'providers' | OptionalOption>> &
    Pick<ControllerOptions, OptionalOption> & {
      env: Record<string, string | undefined>;
    };
  readonly #lock = new Mutex();
  readonly #runner: AnalysisRunner;
  readonly #measuring = new Set<string>();
  readonly #handoffs: HandoffDriver;
  /** Last reconcile error per rollout, so a persisting error is recorded once. */
  readonly #errors = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly stats: ControllerStats = {
    reconciles: 0,
    lastReconcileMs: 0,
    analysisAborts: 0,
    analysisAbortsBy: {},
  };
  /** The data plane's state as last observed (replica readiness for the API). */
  lastDataPlane: DataPlaneState | undefined;
  /** Times of the router exits already in the event log (loaded once). */
  #recordedRouterExits: Set<number> | undefined;
  /** Data-plane events already in the log, as `rollout/reason/at/replica` (loaded once). */
  #recordedDataPlaneEvents: Set<string> | undefined;
  /**
   * Per Rollout, the desired state last written to the data plane (or found there already): what
   * drift is measured against. Unknown after a start, after a failed write, and for a new data plane.
   */
  readonly #written = new Map<string, Written>();

  constructor(options: ControllerOptions) {
    const threads = options.rolloutThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`rolloutThreads must be an integer >= 1, got ${threads}`);
    this.#o = {
      intervalMs: 200,
      env: process.env,
      analysisEnvAllow: [],
      ...options,
      rolloutThreads: threads,
    };
    this.#runner = new AnalysisRunner({
      clock: options.clock,
      ...(options.providers !== undefined ? { providers: options.providers } : {}),
      argSources: { env: this.#o.env, envAllow: this.#o.analysisEnvAllow },
      stats: (run, revision, windowSeconds, quantile, set) =>
        this.#o.dataPlane.stats(run.rollout, revision, windowSeconds, quantile, set),
      traffic: (run, range) => this.#o.dataPlane.traffic(run.rollout, range),
    });
    this.#handoffs = new HandoffDriver({
      store: options.store,
      clock: options.clock,
      logger: options.logger,
      dataPlaneState: () => this.#o.dataPlane.state(),
      wake: () => this.wake(),
      running: () => this.#running,
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
  }

  /** Runs the next reconcile now instead of at the next period. */
  wake(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.tick();
      } catch (error) {
        this.#o.logger.error({ err: error }, 'reconcile failed');
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#o.intervalMs);
      });
      clearTimeout(this.#timer);
    }
  }

  /** One pass over every Rollout. Exposed for tests. */
  async tick(): Promise<void> {
    const started = performance.now();
    const dataPlane = await this.#observeDataPlane();
    this.lastDataPlane = dataPlane;
    let listed: StoredRollout[] = [];
    await this.#lock.run(async () => {
      const rollouts = await this.#o.store.listRollouts();
      listed = rollouts;
      const flags = await this.#observeFlagRamps(rollouts);
      let rampsChanged = false;
      // `rolloutThreads` workers take the Rollouts in order; each Rollout's reconcile is sequential.
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < rollouts.length; i = next++) {
          const rollout = rollouts[i]!;
          try {
            const ramps = await this.#reconcileOne(rollout, dataPlane, flags?.served === true);
            if (JSON.stringify(ramps) !== JSON.stringify(rollout.status.flagRamps)) rampsChanged = true;
            this.#errors.delete(rollout.name);
          } catch (error) {
            // One rollout's failure (e.g. its port taken by another process) must not stall the others.
            await this.#recordError(rollout.name, error as Error);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#o.rolloutThreads, rollouts.length) }, worker));
      // The ramps as now stored go to the data plane; the next pass sees them served.
      if (flags !== undefined && (rampsChanged || !flags.served)) {
        await flags.serving
          .push()
          .catch((err: unknown) =>
            this.#o.logger.warn({ err: String(err) }, 'feature flag ramps: cannot push to the data plane'),
          );
      }
      for (const dp of dataPlane.rollouts) {
        if (rollouts.some((r) => r.name === dp.rollout)) continue;
        await this.#o.dataPlane.remove(dp.rollout);
        this.#written.delete(dp.rollout);
      }
      for (const name of this.#written.keys()) {
        if (!rollouts.some((r) => r.name === name)) this.#written.delete(name);
      }
    });
    this.#measure();
    this.#handoffs.drive();
    this.#handoffs.snapshot(listed);
    this.stats.reconciles++;
    this.stats.lastReconcileMs = performance.now() - started;
    this.#o.onReconcile?.(this.stats.lastReconcileMs / 1000);
  }

  /** Logs every reconcile error, and records an event when a rollout's error changes. */
  async #recordError(name: string, error: Error): Promise<void> {
    this.#o.logger.error({ err: error, rollout: name }, 'reconcile failed');
    const message = error.message;
    if (this.#errors.get(name) === message) return;
    this.#errors.set(name, message);
    await this.#o.store.appendEvents([
      {
        time: this.#o.clock.now(),
        rollout: name,
        type: 'Warning',
        reason: 'ReconcileError',
        message: `${(error as { code?: string }).code ?? error.name}: ${message}`,
        actor: 'controller',
      },
    ]);
  }

  async #observeDataPlane(): Promise<DataPlaneState> {
    const state = await this.#readDataPlane();
    await this.#recordRouterExits(state);
    await this.#recordDataPlaneEvents(state);
    return state;
  }

  /**
   * What the data plane did on its own, as Warning events, one each, dated when it happened and
   * recorded once (events already in the log are recognised by rollout, reason, time and replica):
   * `OutlierEjected` (outlier detection ejected a replica) and `StreamsCut` (requests still open
   * when a stopping replica's grace period ended).
   */
  async #recordDataPlaneEvents(state: DataPlaneState): Promise<void> {
    const happened = state.rollouts.flatMap((r) => [
      ...(r.ejections ?? []).map((e) => ({
        rollout: r.rollout,
        reason: OUTLIER_EJECTED,
        at: e.at,
        replica: e.replica,
        message: `Replica ${e.replica} of revision ${e.revision} ejected by outlier detection for ${Math.round((e.until - e.at) / 1000)} s: ${e.reason}`,
      })),
      ...(r.streamsCut ?? []).map((c) => ({
        rollout: r.rollout,
        reason: STREAMS_CUT,
        at: c.at,
        replica: c.replica,
        message: `Replica ${c.replica} of revision ${c.revision} stopped with ${c.connections} request(s) still open (streams, WebSockets, long responses): cut at the end of its grace period`,
      })),
    ]);
    if (happened.length === 0) return;
    const key = (rollout: string | null, reason: string, at: number, replica: string) =>
      `${rollout}/${reason}/${at}/${replica}`;
    if (this.#recordedDataPlaneEvents === undefined) {
      const since = Math.min(...happened.map((e) => e.at));
      const events = await this.#o.store.listEvents({ limit: 1000 });
      this.#recordedDataPlaneEvents = new Set(
        events
          .filter((e) => (e.reason === OUTLIER_EJECTED || e.reason === STREAMS_CUT) && e.time >= since)
          .map((e) => key(e.rollout, e.reason, e.time, e.message.split(' ')[1] ?? '')),
      );
    }
    const fresh = happened.filter(
      (e) => !this.#recordedDataPlaneEvents!.has(key(e.rollout, e.reason, e.at, e.replica)),
    );
    if (fresh.length === 0) return;
    await this.#o.store.appendEvents(
      fresh.map((e) => ({
        time: e.at,
        rollout: e.rollout,
        type: 'Warning' as const,
        reason: e.reason,
        message: e.message,
        actor: 'controller',
      })),
    );
    for (const e of fresh) this.#recordedDataPlaneEvents.add(key(e.rollout, e.reason, e.at, e.replica));
  }

  /**
   * The supervisor replaced router processes that died (perhaps while no control plane ran): one
   * event each, dated when it died, recorded once (events already in the log are recognised by
   * their time).
   */
  async #recordRouterExits(state: DataPlaneState): Promise<void> {
    if (state.routerExits.length === 0) return;
    if (this.#recordedRouterExits === undefined) {
      const since = state.routerExits[0]!.at;
      const events = await this.#o.store.listEvents({ limit: 1000 });
      this.#recordedRouterExits = new Set(
        events.filter((e) => e.reason === ROUTER_RESTARTED && e.time >= since).map((e) => e.time),
      );
    }
    const fresh = state.routerExits.filter(
      (e) => e.replacedBy !== 0 && !this.#recordedRouterExits!.has(e.at),
    );
    if (fresh.length === 0) return;
    await this.#o.store.appendEvents(
      fresh.map((e) => ({
        time: e.at,
        rollout: null,
        type: 'Warning' as const,
        reason: ROUTER_RESTARTED,
        message:
          e.replacedBy === state.routerPid
            ? `Router process ${e.pid} ended (${e.cause}); the data plane's supervisor started ${e.replacedBy}, which took over ${state.adoptedReplicas} running replica(s)`
            : `Router process ${e.pid} ended (${e.cause}); the data plane's supervisor started ${e.replacedBy}`,
        actor: 'controller',
      })),
    );
    for (const e of fresh) this.#recordedRouterExits.add(e.at);
  }

  async #readDataPlane(): Promise<DataPlaneState> {
    try {
      return await this.#o.dataPlane.state();
    } catch (error) {
      if (!(error instanceof DataPlaneUnavailableError) || !this.#o.restartDataPlane) throw error;
      this.#o.logger.warn({ err: error }, 'data plane unavailable; starting a new one');
      this.#o.dataPlane = await this.#o.restartDataPlane();
      await this.#o.store.appendEvents([
        {
          time: this.#o.clock.now(),
          rollout: null,
          type: 'Warning',
          reason: 'DataPlaneRestarted',
          message: `Data plane did not answer (${error.message}); started a new one`,
          actor: 'controller',
        },
      ]);
      return this.#o.dataPlane.state();
    }
  }

  /**
   * Whether the data plane serves the flag ramps of the Rollouts' statuses; undefined when no
   * Rollout is concerned (none holds a ramp or is updating with a `setFlag` step), so a pass
   * without ramps costs nothing.
   */
  async #observeFlagRamps(
    rollouts: readonly StoredRollout[],
  ): Promise<{ served: boolean; serving: FlagRampServing } | undefined> {
    const serving = this.#o.flags;
    if (serving === undefined) return undefined;
    const concerned = rollouts.some(
      (r) =>
        (r.status.flagRamps?.length ?? 0) > 0 ||
        (r.status.currentRevision !== r.status.stableRevision &&
          (r.spec.strategy.canary?.steps ?? []).some((step) => 'setFlag' in step)),
    );
    if (!concerned) return undefined;
    const served = await serving.serves(rollouts).catch((err: unknown) => {
      this.#o.logger.warn({ err: String(err) }, 'feature flag ramps: cannot read what the data plane serves');
      return false;
    });
    return { served, serving };
  }

  /**
   * One Rollout's reconcile, carried out and recorded.
   * @param flagsServed - the data plane serves the flag ramps of the stored statuses.
   * @returns the flag ramps its status now holds.
   */
  async #reconcileOne(
    rollout: StoredRollout,
    dataPlane: DataPlaneState,
    flagsServed: boolean,
  ): Promise<SetFlag[] | undefined> {
    const now = this.#o.clock.now();
    const analysisRuns: Record<string, ObservedAnalysisRun> = {};
    for (const ref of rollout.status.analysisRuns) {
      const run = await this.#o.store.getAnalysisRun(ref.name);
      // The engine puts this message into abort events: it names the metric, value and condition.
      const message = run ? analysisFailureReason(run) : undefined;
      if (run) analysisRuns[ref.name] = { phase: run.status.phase, ...(message ? { message } : {}) };
    }
    const handoffRuns: Record<string, ObservedHandoffRun> = {};
    const ref = rollout.status.handoff;
    const handoffRun = ref !== undefined ? await this.#o.store.getHandoffRun(ref.name) : undefined;
    if (handoffRun !== undefined) {
      handoffRuns[handoffRun.name] = {
        phase: handoffRun.phase,
        step: handoffRun.pending[0] ?? null,
        toReplica: handoffRun.toReplica,
        ...(handoffRun.message !== undefined ? { message: handoffRun.message } : {}),
      };
    }
    const observedDp = dataPlane.rollouts.find((r) => r.rollout === rollout.name);
    const result = reconcile(
      { ...rollout, targetRevision: rollout.targetRevision },
      {
        dataPlane: observedDp,
        analysisRuns,
        handoffRuns,
        ...(flagsServed ? { flagRamps: rollout.status.flagRamps ?? [] } : {}),
      },
      now,
    );
    const events = result.events.map(
      (e): NewEvent => ({ ...e, time: now, rollout: rollout.name, actor: 'controller' }),
    );
    // Actions first, then status: a decision (a weight set, an abort) is only recorded once it was
    // carried out, so status on disk is never ahead of reality. A crash in between leaves it behind
    // by these idempotent actions, which the next reconcile decides again from the same facts.
    for (const action of result.actions) await this.#perform(rollout, action, now);
    const written = this.#written.get(rollout.name);
    // The kubernetes platform pins its stable Service to the stable revision, which the desired
    // state does not carry: a promotion that changes nothing else is still written.
    const stableMoved =
      this.#o.dataPlane.pinsStableRevision === true &&
      written !== undefined &&
      written.stableRevision !== result.status.stableRevision;
    if (dataPlaneMatches(result.desired, observedDp) && !stableMoved) {
      this.#remember(rollout.name, result.desired, result.status.stableRevision, dataPlane);
    } else {
      const drift = this.#drift(written, observedDp, dataPlane);
      // Drift while the desired state is what was written: left to the drift pass, which reports it
      // and, under `driftPolicy: remediate`, restores it. A new desired state (the controller's own
      // change) is written whole, replacing the drift, which is reported first.
      if (drift.length === 0 || !dataPlaneMatches(result.desired, asObserved(written!.spec))) {
        if (drift.length > 0) await this.#o.onDriftOverwritten?.(rollout.name, drift);
        await this.#write(result.desired, result.status.stableRevision, dataPlane);
      }
    }
    if (result.status.updatedAt !== rollout.status.updatedAt || events.length > 0) {
      await this.#o.store.saveStatus(rollout.name, result.status, events);
    }
    // Counted once recorded: an abort whose reconcile failed half-way is decided again next pass.
    if (events.some((e) => e.reason === 'RolloutAborted')) this.#countAbort(rollout.name, result.status);
    return result.status.flagRamps;
  }

  /**
   * Sends a desired state (templates materialized) and remembers it. When the write fails, the
   * state written before is forgotten (`forget`: a reconcile's write, whose next try writes as after
   * a start) or kept (a restore's: the drift stays drift).
   */
  async #write(
    spec: RolloutDataPlaneSpec,
    stableRevision: number | null,
    dataPlane: DataPlaneState,
    forget = true,
  ): Promise<void> {
    const materialize = this.#o.materialize;
    const desired =
      materialize === undefined
        ? spec
        : {
            ...spec,
            replicaSets: await Promise.all(
              spec.replicaSets.map(async (rs) => ({ ...rs, template: await materialize(rs.template) })),
            ),
          };
    const started = performance.now();
    try {
      await this.#o.dataPlane.apply(desired, { stableRevision });
      this.#o.onRolloutWrite?.((performance.now() - started) / 1000);
    } catch (error) {
      // The data plane's state is unknown now: the next reconcile writes again, as after a start.
      if (forget) this.#written.delete(spec.rollout);
      throw error;
    }
    this.#remember(spec.rollout, spec, stableRevision, dataPlane);
  }

  #remember(
    name: string,
    spec: RolloutDataPlaneSpec,
    stableRevision: number | null,
    dataPlane: DataPlaneState,
  ): void {
    this.#written.set(name, {
      spec,
      stableRevision,
      dataPlane: identityOf(dataPlane),
      routerPid: dataPlane.routerPid,
    });
  }

  /**
   * How the data plane's state of a Rollout differs from what the controller last wrote to it: its
   * drift. None when nothing is known (the controller just started, or its last write failed), for
   * a new data plane (it starts empty and is seeded again, whatever the policy), and for a Rollout a
   * replaced router process lost; there the controller writes, as it always did.
   */
  #drift(
    written: Written | undefined,
    observed: RolloutDataPlaneStatus | undefined,
    dataPlane: DataPlaneState,
  ): DriftFinding[] {
    if (written === undefined || written.dataPlane !== identityOf(dataPlane)) return [];
    if (observed === undefined && written.routerPid !== dataPlane.routerPid) return [];
    return dataPlaneDrift(written.spec, observed);
  }

  /**
   * For the drift pass: per Rollout whose state the controller knows, the desired state it last
   * wrote and how `state` (just read from the data plane) differs from it.
   */
  driftOf(
    state: DataPlaneState,
  ): { rollout: string; spec: RolloutDataPlaneSpec; findings: DriftFinding[] }[] {
    return [...this.#written].map(([rollout, written]) => ({
      rollout,
      spec: written.spec,
      findings: this.#drift(
        written,
        state.rollouts.find((r) => r.rollout === rollout),
        state,
      ),
    }));
  }

  /**
   * `driftPolicy: remediate`: writes the desired state of `rollout` last written again, under the
   * status lock, when the data plane still differs from it.
   * @returns the findings restored; none when there was nothing to restore.
   * @throws the data plane client's errors (the write failed; the drift stays).
   */
  async restore(rollout: string): Promise<DriftFinding[]> {
    return this.#lock.run(async () => {
      const written = this.#written.get(rollout);
      if (written === undefined) return [];
      const state = await this.#o.dataPlane.state();
      const findings = this.#drift(
        written,
        state.rollouts.find((r) => r.rollout === rollout),
        state,
      );
      if (findings.length > 0) await this.#write(written.spec, written.stableRevision, state, false);
      return findings;
    });
  }

  #countAbort(rollout: string, status: StoredRollout['status']): void {
    // Only a Failed or Error run aborts; an abort for a crash loop or the progress deadline is not
    // an analysis abort.
    const run = status.analysisRuns.find((r) => r.phase === 'Failed' || r.phase === 'Error');
    if (!run) return;
    this.stats.analysisAborts++;
    const reason = `AnalysisRun${run.phase}`;
    const byReason = this.stats.analysisAbortsBy[rollout] ?? {};
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    this.stats.analysisAbortsBy[rollout] = byReason;
  }

  async #perform(rollout: StoredRollout, action: EngineAction, now: number): Promise<void> {
    if (action.type === 'createHandoffRun') {
      await this.#handoffs.createRun(rollout, action, now);
      return;
    }
    if (action.type === 'backupState') {
      const backup = await this.#o.stateBackups?.take(rollout.name, action.revision, now);
      if (backup !== undefined) {
        await this.#o.store.appendEvents([
          {
            time: now,
            rollout: rollout.name,
            type: 'Normal',
            reason: 'StateBackedUp',
            message: `State directories of revision ${action.revision} backed up as ${backup.id} (${backup.bytes} bytes, sha256 ${backup.sha256})`,
            actor: 'controller',
          },
        ]);
      }
      return;
    }
    if (action.type === 'restoreState') {
      if (this.#o.stateBackups === undefined) throw new Error('no state backups here');
      await this.#o.stateBackups.restore(rollout.name, action.backup);
      return;
    }
    if (action.type === 'promoteFlagRamps') {
      if (this.#o.flags === undefined) throw new Error('no feature flag serving here');
      await this.#o.flags.promote(rollout.name, action.ramps, now);
      return;
    }
    if (action.type === 'terminateAnalysisRun') {
      const run = await this.#o.store.getAnalysisRun(action.name);
      if (run && !run.status.terminated) await this.#o.store.saveAnalysisRun(terminateRun(run, now), now);
      return;
    }
    const templates = await Promise.all(
      action.analysis.templates.map(async (ref) => ({
        ref,
        template: await this.#o.store.getAnalysisTemplate(ref.templateName, ref.clusterScope === true),
      })),
    );
    const run = buildAnalysisRun({
      name: action.name,
      rollout: rollout.name,
      revision: action.revision,
      revisions: action.revisions,
      kind: action.kind,
      templates,
      analysis: action.analysis,
      env: this.#o.env,
      envAllow: this.#o.analysisEnvAllow,
      now,
    });
    // A repeated action (after a crash) finds its run stored and records nothing twice.
    const fresh = (await this.#o.store.getAnalysisRun(run.name)) === undefined;
    await this.#o.store.createAnalysisRun(run, now);
    if (fresh && this.#o.localJobs !== false) await this.#o.store.appendEvents(jobImageEvents(run, now));
  }

  /** Takes due measurements of every active run, each run at most once at a time. */
  #measure(): void {
    void this.#o.store
      .listAnalysisRuns({ active: true })
      .then((runs) => {
        for (const run of runs) {
          if (this.#measuring.has(run.name) || run.status.terminated) continue;
          this.#measuring.add(run.name);
          void this.#stepRun(run).finally(() => this.#measuring.delete(run.name));
        }
      })
      // Unhandled, a store error here ended the server process; the next pass lists them again.
      .catch((error: unknown) => this.#o.logger.error({ err: error }, 'cannot list the active AnalysisRuns'));
  }

  async #stepRun(run: AnalysisRun): Promise<void> {
    try {
      const next = await this.#runner.step(run);
      await this.#lock.run(async () => {
        const now = this.#o.clock.now();
        const latest = await this.#o.store.getAnalysisRun(run.name);
        // A run terminated while it was being measured stays terminated.
        const result = latest?.status.terminated ? terminateRun(next, now) : next;
        if (JSON.stringify(result) !== JSON.stringify(latest))
          await this.#o.store.saveAnalysisRun(result, now);
        if (result.status.phase !== run.status.phase) this.wake();
      });
    } catch (error) {
      this.#o.logger.error({ err: error, run: run.name }, 'analysis step failed');
    }
  }

  /**
   * Applies promote / abort / retry / pause / resume under the status lock, records the events with
   * the actor, and wakes the loop.
   * @throws CommandNotAllowedError when the command does not apply; nothing is written.
   */
  async command(
    name: string,
    command: RolloutCommand,
    options: CommandOptions,
    actor: string,
  ): Promise<StoredRollout> {
    return this.#lock.run(async () => {
      const rollout = await this.#o.store.getRollout(name);
      if (!rollout) throw new RolloutNotFoundError(name);
      const now = this.#o.clock.now();
      const result = applyCommand(rollout, command, options, now);
      await this.#o.store.saveStatus(
        name,
        result.status,
        result.events.map((e) => ({ ...e, time: now, rollout: name, actor })),
      );
      this.wake();
      return { ...rollout, status: result.status };
    });
  }

  /** Runs `fn` under the status lock (for apply, undo and delete from the API). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#lock.run(fn);
  }
}

/**
 * `JobImageNotPulled` events of a new run: one per metric in Argo's Kubernetes Job form, whose
 * image the local platform does not pull (its command runs with the host's binaries). Pure.
 */
function jobImageEvents(run: AnalysisRun, now: number): NewEvent[] {
  return jobImagesNotPulled(run.spec.metrics).map(({ metric, image, command }) => ({
    time: now,
    rollout: run.rollout,
    type: 'Normal',
    reason: 'JobImageNotPulled',
    message: `AnalysisRun ${run.name} metric ${metric}: image ${image} is not pulled on the local platform; ${JSON.stringify(command)} runs with the host's binaries`,
    actor: 'controller',
  }));
}
