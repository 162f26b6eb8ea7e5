import type { ReplicaStatus } from '../dataplane/protocol.js';
import type { HandoffKind } from '../handoff/types.js';
import type { Decision } from './decision.js';
import { runName } from './lifecycle.js';

/**
 * Where a handoff stands for the strategy that waits on it: `running` (hold the old revision
 * where it is), `released` (the new replica is active and receives the requests: the strategy
 * may switch), `done` (completed, the old one shut down), `failed` (abort the update).
 */
export type HandoffGate = 'running' | 'released' | 'done' | 'failed';

/** Whether the Rollout speaks the handoff protocol (`spec.handoff`). */
export function handoffEnabled(d: Decision): boolean {
  return d.state.spec.handoff !== undefined;
}

/** Ready replicas of a revision's own set, lowest ordinal (id) first. */
function readyReplicas(d: Decision, revision: number): ReplicaStatus[] {
  return d
    .observedReplicaStatuses(revision)
    .filter((r) => r.ready && r.state === 'Running')
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** The active replica's revision, or null when none is active. */
export function activeRevision(d: Decision): number | null {
  return d.status.activeReplica?.revision ?? null;
}

function startHandoff(
  d: Decision,
  name: string,
  kind: HandoffKind,
  toRevision: number,
  to: ReplicaStatus | null,
  stopFirst: boolean,
): void {
  const s = d.status;
  const from = kind === 'Update' ? (s.activeReplica ?? null) : null;
  s.handoff = {
    name,
    kind,
    phase: 'Running',
    step: null,
    fromReplica: from?.id ?? null,
    toRevision,
    toReplica: to?.id ?? null,
    stopFirst,
  };
  d.actions.push({
    type: 'createHandoffRun',
    name,
    kind,
    fromReplica: from?.id ?? null,
    fromRevision: from?.revision ?? null,
    toRevision,
    toReplica: to?.id ?? null,
    stopFirst,
  });
  const what =
    kind === 'Update'
      ? `from ${from?.id} (revision ${from?.revision}) to ${to?.id ?? `revision ${toRevision}`}`
      : kind === 'Failover'
        ? `${to?.id} takes over from ${s.activeReplica?.id}, which is gone`
        : `${to?.id} becomes the active replica`;
  d.event(kind === 'Failover' ? 'Warning' : 'Normal', 'HandoffStarted', `Handoff ${name} (${kind}): ${what}`);
}

/** Brings the status' handoff up to date with the observed run; the new active replica once released. */
function observeHandoff(d: Decision): HandoffGate {
  const s = d.status;
  const ref = s.handoff!;
  const seen = d.observed.handoffRuns?.[ref.name];
  if (seen !== undefined) {
    if (seen.phase !== 'Running' && ref.phase === 'Running') ref.endedAt = d.now;
    ref.phase = seen.phase;
    ref.step = seen.step;
    ref.toReplica = seen.toReplica;
    if (seen.message !== undefined) ref.message = seen.message;
  }
  if (ref.phase === 'Failed') return 'failed';
  const released =
    ref.phase === 'Successful' || ref.step === 'release' || (ref.step === 'shutdown' && !ref.stopFirst);
  if (!released || ref.toReplica === null) return 'running';
  if (s.activeReplica?.id !== ref.toReplica || s.activeReplica.revision !== ref.toRevision) {
    const to = d.observedReplicaStatuses(ref.toRevision).find((r) => r.id === ref.toReplica);
    s.activeReplica = { id: ref.toReplica, revision: ref.toRevision, startedAt: to?.startedAt ?? 0 };
  }
  return ref.phase === 'Successful' ? 'done' : 'released';
}

/**
 * The gate of a strategy at the moment it moves the active role to `toRevision`: starts the
 * update's handoff run (once; its name is the update's `<rollout>-r<revision>-<slot>`) from the
 * active replica to the first ready replica of `toRevision` (with `stopFirst`, to the one ready
 * after the old one stopped), and reports where it stands. With no replica active, the new
 * revision's is simply activated.
 */
export function handoffGate(
  d: Decision,
  toRevision: number,
  stopFirst: boolean,
  slot = 'handoff',
): HandoffGate {
  const s = d.status;
  const name = runName(d, slot);
  if (s.handoff?.name === name) return observeHandoff(d);
  // Another handoff (an activation, a failover) still runs: this one waits for it.
  if (s.handoff !== undefined && s.handoff.phase === 'Running') {
    observeHandoff(d);
    return 'running';
  }
  if (s.activeReplica?.revision === toRevision) return 'done';
  const kind: HandoffKind = s.activeReplica ? 'Update' : 'Activation';
  const first = stopFirst && kind === 'Update';
  const to = first ? null : (readyReplicas(d, toRevision)[0] ?? null);
  if (!first && to === null) return 'running';
  startHandoff(d, name, kind, toRevision, to, first);
  return 'running';
}

/**
 * After the strategy: with no handoff in progress, a serving revision without a live active
 * replica gets one (the first ready replica, activated from the latest stored state: an
 * `Activation`, or a `Failover` when the active replica died); then the desired `activeReplica`
 * of the data plane: none (requests held) while a handoff runs and until one is active, the
 * active replica of a `singleton` Rollout, otherwise every ready replica.
 * @param serving - the revision that should hold the active role when no update moves it.
 */
export function reconcileActiveReplica(d: Decision, serving: number | null): void {
  if (!handoffEnabled(d)) return;
  const s = d.status;
  s.activeReplica ??= null;
  if (s.handoff !== undefined && s.handoff.phase === 'Running') observeHandoff(d);
  const running = s.handoff !== undefined && s.handoff.phase === 'Running';
  if (!running && serving !== null) ensureActive(d, serving);
  const ref = s.handoff;
  const released =
    ref !== undefined &&
    ref.toReplica !== null &&
    s.activeReplica?.id === ref.toReplica &&
    s.activeReplica.revision === ref.toRevision;
  const singleton = d.state.spec.handoff?.singleton === true;
  if (ref?.phase === 'Running') {
    // Held until the new replica is active; then (until the run ends) it alone is sent requests,
    // which is what the run's release step waits to observe.
    d.activeReplica = released ? ref.toReplica : null;
  } else if (singleton) d.activeReplica = s.activeReplica?.id ?? null;
}

/** Whether the active replica still runs the same process. */
function activeAlive(d: Decision): boolean {
  const active = d.status.activeReplica;
  if (!active) return false;
  const replica = d.observedReplicaStatuses(active.revision).find((r) => r.id === active.id);
  return (
    replica !== undefined &&
    (replica.state === 'Running' || replica.state === 'Starting') &&
    replica.pid !== null &&
    replica.startedAt === active.startedAt
  );
}

/** After a failed activation or failover, the next one waits this long, ms. */
const ACTIVATION_RETRY_MS = 10_000;

function ensureActive(d: Decision, serving: number): void {
  const s = d.status;
  // An active replica still alive keeps its role (an update moves it).
  if (activeAlive(d)) return;
  const last = s.handoff;
  if (last?.phase === 'Failed' && last.kind !== 'Update' && d.now - (last.endedAt ?? 0) < ACTIVATION_RETRY_MS)
    return;
  const to = readyReplicas(d, serving)[0];
  if (to === undefined) return;
  const kind: HandoffKind = s.activeReplica ? 'Failover' : 'Activation';
  startHandoff(d, `${d.name}-r${serving}-${kind.toLowerCase()}-${d.now}`, kind, serving, to, false);
}

/**
 * With `stopFirst` (recreate, a stateful ordinal replaced in place): whether the old replica may
 * be stopped now, i.e. its state is exported and it was shut down (the run reached `stop`).
 */
export function oldMayStop(d: Decision): boolean {
  const ref = d.status.handoff;
  if (ref === undefined || !ref.stopFirst) return false;
  if (ref.phase === 'Successful') return true;
  return (
    ref.phase === 'Running' &&
    ref.step !== null &&
    ['stop', 'import', 'activate', 'verify', 'release'].includes(ref.step)
  );
}
