import { createHash } from 'node:crypto';
import { compileExpression, compileJsonPath, judgeJson, parseMemory } from '../analysis/index.js';
import type { Clock } from '../clock/index.js';
import type { DataPlaneState, ReplicaStatus } from '../dataplane/protocol.js';
import type { Handoff, HandoffAction } from '../spec/types.js';
import { type ActionResult, runHandoffAction } from './handoff-action.js';
import type { HandoffKind, HandoffRun, HandoffStepName, StoredHandoffState } from './types.js';

/** Default bound on each step, s (`spec.handoff.timeoutSeconds`). */
export const DEFAULT_HANDOFF_TIMEOUT_SECONDS = 30;
/** Default largest state (`spec.handoff.maxStateBytes`): 64 MiB. */
export const DEFAULT_MAX_STATE_BYTES = 64 * 1024 * 1024;
/** How long the `stop` step of a recreate waits for the new revision to be ready, s. */
const HANDOFF_STOP_TIMEOUT_SECONDS = 600;
/** Largest answer read from a step other than export, bytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Period of the waits (drain, stop, release) and of the verify retries, ms. */
const POLL_MS = 10;
const VERIFY_RETRY_MS = 100;

/** An event the controller records for a run. */
export interface HandoffEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What the runner needs of the store. */
interface HandoffStateStore {
  putHandoffState(
    state: Omit<StoredHandoffState, 'id'>,
  ): Promise<{ id: number; sha256: string; size: number; exportedAt: number }>;
  getHandoffState(id: number): Promise<StoredHandoffState | undefined>;
  handoffStateOfRun(run: string): Promise<StoredHandoffState | undefined>;
}

/** Options of {@link HandoffRunner}. */
export interface HandoffRunnerOptions {
  store: HandoffStateStore;
  /** The data plane's observed state (replica ports, in-flight requests, the active replica applied). */
  dataPlaneState(): Promise<DataPlaneState>;
  clock: Clock;
  /** Address replicas are reached on. @default '127.0.0.1' */
  host?: string;
}

/**
 * The steps of a new run, in order (see {@link HandoffStepName}); steps the spec leaves out are
 * skipped. An update: drain, prepare, export, import, activate, verify, release, shutdown; with
 * `stopFirst` (recreate) shutdown and stop come before import. An activation or failover: import
 * (when a state is stored), activate, verify, release. Pure.
 */
export function plannedSteps(
  kind: HandoffKind,
  stopFirst: boolean,
  handoff: Handoff,
  hasState: boolean,
): HandoffStepName[] {
  const all: HandoffStepName[] =
    kind !== 'Update'
      ? [...(hasState ? (['import'] as const) : []), 'activate', 'verify', 'release']
      : stopFirst
        ? ['drain', 'prepare', 'export', 'shutdown', 'stop', 'import', 'activate', 'verify', 'release']
        : ['drain', 'prepare', 'export', 'import', 'activate', 'verify', 'release', 'shutdown'];
  return all.filter(
    (step) => PROTOCOL_STEPS[step] === undefined || handoff[PROTOCOL_STEPS[step]] !== undefined,
  );
}

/** Steps that are a request of the protocol, by the field of `spec.handoff` that defines them. */
const PROTOCOL_STEPS: Partial<
  Record<HandoffStepName, 'prepare' | 'export' | 'import' | 'activate' | 'verify' | 'shutdown'>
> = {
  prepare: 'prepare',
  export: 'export',
  import: 'import',
  activate: 'activate',
  verify: 'verify',
  shutdown: 'shutdown',
};

/** A step's outcome. */
interface Outcome {
  ok: boolean;
  detail: string;
  replica?: string;
}

/**
 * Carries out handoff runs one step at a time, as the protocol's side of the controller (the
 * engine decides when a run starts and holds or releases the router around it). Stateless between
 * calls: the run carries everything, so a controller restarted after `kill -9` resumes at the
 * step it was at, with the state it had stored (an export is never repeated: a state stored for
 * the run is used as is).
 *
 * A failed step (non-2xx, non-zero exit, timeout, state over `maxStateBytes`) ends the run Failed
 * with the step and the answer in `message`, after re-activating the old replica when it had been
 * prepared. The state is never logged nor put in a message: only its sha256 and size.
 */
export class HandoffRunner {
  readonly #o: Required<HandoffRunnerOptions>;

  constructor(options: HandoffRunnerOptions) {
    this.#o = { host: '127.0.0.1', ...options };
  }

  /** Carries out the run's current step; returns the run after it and the events to record. */
  async step(input: HandoffRun): Promise<{ run: HandoffRun; events: HandoffEvent[] }> {
    const run = structuredClone(input);
    const events: HandoffEvent[] = [];
    const step = run.pending[0];
    if (run.phase !== 'Running') return { run, events };
    if (step === undefined) {
      this.#complete(run, events);
      return { run, events };
    }
    const startedAt = this.#o.clock.now();
    const outcome = await this.#carryOut(run, step);
    const finishedAt = this.#o.clock.now();
    run.steps.push({
      name: step,
      ...(outcome.replica !== undefined ? { replica: outcome.replica } : {}),
      startedAt,
      finishedAt,
      ok: outcome.ok,
      detail: outcome.detail,
    });
    const on = outcome.replica !== undefined ? ` ${outcome.replica}` : '';
    if (outcome.ok) {
      run.pending.shift();
      events.push({
        type: 'Normal',
        reason: 'HandoffStep',
        message: `Handoff ${run.name}: ${step}${on} in ${finishedAt - startedAt} ms (${outcome.detail})`,
      });
      if (run.pending.length === 0) this.#complete(run, events);
      return { run, events };
    }
    await this.#fail(run, events, `${step}${on} failed: ${outcome.detail}`);
    return { run, events };
  }

  #complete(run: HandoffRun, events: HandoffEvent[]): void {
    run.phase = 'Successful';
    run.finishedAt = this.#o.clock.now();
    const state =
      run.state !== undefined
        ? ` with state sha256 ${run.state.sha256.slice(0, 12)} (${run.state.size} bytes${run.kind === 'Failover' ? `, ${Math.round((run.createdAt - run.state.exportedAt) / 1000)} s old` : ''})`
        : ' without a stored state';
    events.push({
      type: 'Normal',
      reason: 'HandoffCompleted',
      message: `Handoff ${run.name} (${run.kind}) completed in ${run.finishedAt - run.createdAt} ms: ${run.toReplica} is active${state}`,
    });
  }

  /** Ends the run Failed; the old replica, if it was prepared and still runs, is activated again. */
  async #fail(run: HandoffRun, events: HandoffEvent[], message: string): Promise<void> {
    const prepared = run.steps.some((s) => s.name === 'prepare' && s.ok && s.replica === run.fromReplica);
    const stopped = run.steps.some((s) => s.name === 'stop' && s.ok);
    // Once released, the new replica is active: the old one must stay inactive (a failed shutdown).
    const released = run.steps.some((s) => s.name === 'release' && s.ok);
    if (prepared && !stopped && !released && run.fromReplica !== null && run.handoff.activate !== undefined) {
      const startedAt = this.#o.clock.now();
      const result = await this.#speak(run, run.handoff.activate, run.fromRevision, run.fromReplica);
      run.steps.push({
        name: 'activate',
        replica: run.fromReplica,
        startedAt,
        finishedAt: this.#o.clock.now(),
        ok: result.ok,
        detail: `old replica re-activated: ${result.detail}`,
      });
    }
    run.phase = 'Failed';
    run.message = message;
    run.finishedAt = this.#o.clock.now();
    events.push({
      type: 'Warning',
      reason: 'HandoffFailed',
      message: `Handoff ${run.name} (${run.kind}): ${message}`,
    });
  }

  #timeoutMs(run: HandoffRun): number {
    return (run.handoff.timeoutSeconds ?? DEFAULT_HANDOFF_TIMEOUT_SECONDS) * 1000;
  }

  async #carryOut(run: HandoffRun, step: HandoffStepName): Promise<Outcome> {
    const h = run.handoff;
    switch (step) {
      case 'drain':
        return this.#drain(run);
      case 'prepare':
        return this.#speakOutcome(run, h.prepare!, run.fromRevision, run.fromReplica);
      case 'export':
        return this.#export(run);
      case 'shutdown':
        return this.#speakOutcome(run, h.shutdown!, run.fromRevision, run.fromReplica);
      case 'stop':
        return this.#stop(run);
      case 'import':
        return this.#import(run);
      case 'activate':
        return this.#speakOutcome(run, h.activate!, run.toRevision, run.toReplica);
      case 'verify':
        return this.#verify(run);
      case 'release':
        return this.#release(run);
    }
  }

  /** The router holds new requests (activeReplica null applied) and the old replica's in-flight ones finish. */
  async #drain(run: HandoffRun): Promise<Outcome> {
    let inFlight = 0;
    const held = await this.#poll(this.#timeoutMs(run), async () => {
      const state = await this.#o.dataPlaneState();
      const rollout = state.rollouts.find((r) => r.rollout === run.rollout);
      if (rollout?.activeReplica !== null) return false;
      const from = findReplica(state, run.rollout, run.fromRevision, run.fromReplica);
      inFlight = from?.inFlight ?? 0;
      return inFlight === 0;
    });
    return held
      ? { ok: true, detail: 'new requests held, none in flight' }
      : { ok: false, detail: `${inFlight} request(s) still in flight after ${this.#timeoutMs(run)} ms` };
  }

  async #export(run: HandoffRun): Promise<Outcome> {
    const stored = await this.#o.store.handoffStateOfRun(run.name);
    if (stored !== undefined) {
      // Exported before a restart: the same state, never a second export.
      run.state = { id: stored.id, sha256: stored.sha256, size: stored.size, exportedAt: stored.exportedAt };
      return {
        ok: true,
        replica: stored.replica,
        detail: `${stored.size} bytes already stored, sha256 ${stored.sha256.slice(0, 12)}`,
      };
    }
    const maxBytes =
      parseMemory(run.handoff.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES) ?? DEFAULT_MAX_STATE_BYTES;
    const result = await this.#speak(
      run,
      run.handoff.export,
      run.fromRevision,
      run.fromReplica,
      undefined,
      maxBytes,
    );
    if (!result.ok)
      return { ok: false, replica: run.fromReplica ?? undefined, detail: result.detail } as Outcome;
    const sha256 = createHash('sha256').update(result.body).digest('hex');
    const ref = await this.#o.store.putHandoffState({
      rollout: run.rollout,
      kind: 'handoff',
      run: run.name,
      replica: run.fromReplica!,
      sha256,
      size: result.body.length,
      data: result.body,
      exportedAt: this.#o.clock.now(),
    });
    run.state = ref;
    return {
      ok: true,
      replica: run.fromReplica!,
      detail: `${result.detail}, ${ref.size} bytes, sha256 ${sha256.slice(0, 12)}`,
    };
  }

  async #import(run: HandoffRun): Promise<Outcome> {
    const ref = run.state;
    const stored = ref === undefined ? undefined : await this.#o.store.getHandoffState(ref.id);
    if (ref === undefined || stored === undefined) {
      return { ok: false, detail: 'the exported state is no longer stored' };
    }
    const sha256 = createHash('sha256').update(stored.data).digest('hex');
    if (sha256 !== ref.sha256) {
      return { ok: false, detail: `the stored state's sha256 is ${sha256}, expected ${ref.sha256}` };
    }
    const result = await this.#speak(run, run.handoff.import, run.toRevision, run.toReplica, stored.data);
    return {
      ok: result.ok,
      ...(run.toReplica !== null ? { replica: run.toReplica } : {}),
      detail: `${result.detail}, ${stored.size} bytes, sha256 ${sha256.slice(0, 12)}`,
    };
  }

  /** `verify` until its condition holds, every 100 ms, within the step's timeout. */
  async #verify(run: HandoffRun): Promise<Outcome> {
    const verify = run.handoff.verify!;
    const deadline = this.#o.clock.now() + this.#timeoutMs(run);
    const condition =
      verify.successCondition !== undefined ? compileExpression(verify.successCondition) : undefined;
    const path = compileJsonPath(verify.jsonPath ?? '{$}');
    let last = 'not tried';
    while (true) {
      const left = deadline - this.#o.clock.now();
      // A late wake-up (a loaded machine) leaves too little time for a fair try: the last judged
      // answer is the reason, not a timeout of a try that had 1 ms.
      if (last !== 'not tried' && left < VERIFY_RETRY_MS) break;
      const result = await this.#speak(
        run,
        verify,
        run.toRevision,
        run.toReplica,
        undefined,
        MAX_ANSWER_BYTES,
        Math.max(1, left),
      );
      last = result.detail;
      if (result.ok && condition === undefined)
        return { ok: true, replica: run.toReplica!, detail: result.detail };
      if (result.ok && condition !== undefined) {
        const verdict = judgeJson(result.body, path, condition);
        last = `${result.detail}, ${verdict.detail}`;
        if (verdict.ok) return { ok: true, replica: run.toReplica!, detail: last };
      }
      if (this.#o.clock.now() + VERIFY_RETRY_MS >= deadline) break;
      await sleep(VERIFY_RETRY_MS);
    }
    return { ok: false, replica: run.toReplica!, detail: `${last} (for ${this.#timeoutMs(run)} ms)` };
  }

  /** Recreate: the old replica is gone and a replica of the new revision is ready; it is chosen. */
  async #stop(run: HandoffRun): Promise<Outcome> {
    let chosen: ReplicaStatus | undefined;
    const done = await this.#poll(HANDOFF_STOP_TIMEOUT_SECONDS * 1000, async () => {
      const state = await this.#o.dataPlaneState();
      const from = findReplica(state, run.rollout, run.fromRevision, run.fromReplica);
      if (from !== undefined && from.state !== 'Stopped') return false;
      chosen = readyReplicas(state, run.rollout, run.toRevision)[0];
      return chosen !== undefined;
    });
    if (!done || chosen === undefined) {
      return {
        ok: false,
        detail: `no replica of revision ${run.toRevision} was ready within ${HANDOFF_STOP_TIMEOUT_SECONDS} s`,
      };
    }
    run.toReplica = chosen.id;
    return { ok: true, replica: chosen.id, detail: `${run.fromReplica} stopped, ${chosen.id} ready` };
  }

  /** The engine routes to the new active replica; the router sends it the held requests. */
  async #release(run: HandoffRun): Promise<Outcome> {
    const released = await this.#poll(this.#timeoutMs(run), async () => {
      const state = await this.#o.dataPlaneState();
      return state.rollouts.find((r) => r.rollout === run.rollout)?.activeReplica === run.toReplica;
    });
    return released
      ? { ok: true, replica: run.toReplica!, detail: 'held requests released to it' }
      : {
          ok: false,
          replica: run.toReplica!,
          detail: `the router was not switched within ${this.#timeoutMs(run)} ms`,
        };
  }

  async #speakOutcome(
    run: HandoffRun,
    action: HandoffAction,
    revision: number | null,
    replica: string | null,
  ): Promise<Outcome> {
    const result = await this.#speak(run, action, revision, replica);
    return { ok: result.ok, detail: result.detail, ...(replica !== null ? { replica } : {}) };
  }

  /** One protocol request to a replica of `revision`, found in the data plane's state. */
  async #speak(
    run: HandoffRun,
    action: HandoffAction,
    revision: number | null,
    replica: string | null,
    input?: Buffer,
    maxBytes = MAX_ANSWER_BYTES,
    timeoutMs = this.#timeoutMs(run),
  ): Promise<ActionResult> {
    const state = await this.#o.dataPlaneState();
    const found = findReplica(state, run.rollout, revision, replica);
    if (found === undefined || found.state === 'Stopped' || found.pid === null) {
      return { ok: false, body: Buffer.alloc(0), detail: `replica ${replica ?? '(none)'} is not running` };
    }
    return runHandoffAction(
      action,
      { host: this.#o.host, port: found.port, replica: found.id, rollout: run.rollout },
      { ...(input !== undefined ? { input } : {}), timeoutMs, maxBytes },
    );
  }

  /** Polls `check` every 10 ms until it holds (true) or `timeoutMs` passes (false). */
  async #poll(timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
    const deadline = this.#o.clock.now() + timeoutMs;
    while (true) {
      if (await check()) return true;
      if (this.#o.clock.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }
}

/** A replica of the Rollout's own set of `revision` by id. */
function findReplica(
  state: DataPlaneState,
  rollout: string,
  revision: number | null,
  id: string | null,
): ReplicaStatus | undefined {
  if (id === null) return undefined;
  const sets = state.rollouts.find((r) => r.rollout === rollout)?.replicaSets ?? [];
  return sets
    .filter((s) => s.set === undefined && (revision === null || s.revision === revision))
    .flatMap((s) => s.replicaStatuses)
    .find((r) => r.id === id);
}

/** Ready replicas of a revision's own set, lowest ordinal (id) first. */
function readyReplicas(state: DataPlaneState, rollout: string, revision: number): ReplicaStatus[] {
  const set = state.rollouts
    .find((r) => r.rollout === rollout)
    ?.replicaSets.find((s) => s.set === undefined && s.revision === revision);
  return (set?.replicaStatuses ?? [])
    .filter((r) => r.ready && r.state === 'Running')
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
