import type { ReplicaStatus } from '../dataplane/protocol.js';
import type { Decision } from './decision.js';
import type { ReplicaFailure, ReplicaFailureReason, ReplicaRestarts } from './types.js';

/**
 * Restarts without a ready period after which a replica is crash-looping (`CrashLoopBackOff`).
 * With the local platform's backoff (1 s, 2 s, 4 s...) a process that exits at once gets there
 * about 7 s after its first start.
 */
export const CRASH_LOOP_RESTARTS = 3;

/**
 * Seconds a replica must stay ready without restarting for its earlier restarts to stop counting
 * (and for a crash-loop episode to end): 60 s, the time after which the local platform's restart
 * backoff starts again from 1 s (Kubernetes' kubelet: 10 minutes).
 */
export const CRASH_LOOP_RESET_SECONDS = 60;

/** Prefix of `ReplicaStatus.message` for a process that could not be started (dataplane/protocol.ts). */
const SPAWN_FAILED = 'spawn failed';

/**
 * Watches the replicas of the current revision (unless its update was aborted) and of the stable
 * one, as Kubernetes reports a container's `CrashLoopBackOff` or `RunContainerError`: a replica
 * whose process could not be started, or that restarted {@link CRASH_LOOP_RESTARTS} times without
 * a ready period of {@link CRASH_LOOP_RESET_SECONDS}, begins an episode of its revision
 * (`status.replicaFailures`) with one `Warning` event naming the rollout's replica, its exit code or
 * the platform's reason, and the restart count. The episode lasts, with no further event, until
 * every replica of the revision has been ready for the reset period or none is left. Pure (on the
 * decision); the restart bookkeeping lives in `status.replicaRestarts`.
 */
export function observeReplicaFailures(d: Decision): void {
  const s = d.status;
  const watched = [...new Set([s.abort ? null : s.currentRevision, s.stableRevision])].filter(
    (r): r is number => r !== null && r > 0,
  );
  const resetMs = CRASH_LOOP_RESET_SECONDS * 1000;
  const restarts: Record<string, ReplicaRestarts> = {};
  const failures: ReplicaFailure[] = [];
  for (const revision of watched) {
    const replicas = d.runningReplicas(revision);
    for (const r of replicas) restarts[r.id] = nextRestarts(s.replicaRestarts[r.id], r, d.now, resetMs);
    const recovered = replicas.every((r) => readyFor(restarts[r.id]!, d.now) >= resetMs);
    const previous = s.replicaFailures.find((f) => f.revision === revision);
    if (previous && !recovered) {
      failures.push(ongoing(previous, replicas, restarts));
      continue;
    }
    const failing = replicas
      .map((r) => ({ r, reason: failureReason(r, restarts[r.id]!) }))
      .find((x) => x.reason !== undefined);
    if (!failing?.reason) continue;
    const failure = episode(revision, failing.r, failing.reason, restarts[failing.r.id]!, d.now);
    failures.push(failure);
    d.event('Warning', failure.reason, capitalize(describeReplicaFailure(failure)));
  }
  s.replicaRestarts = restarts;
  s.replicaFailures = failures;
}

/**
 * One line for a phase message, an event or an abort reason, e.g. `replica web-r2-0 of revision 2
 * exited with code 3, restarted 3 times without a ready period`. Pure.
 */
export function describeReplicaFailure(f: ReplicaFailure): string {
  const what =
    f.reason === 'RunContainerError'
      ? `cannot start: ${f.message ?? SPAWN_FAILED} (exit code ${f.exitCode ?? 127})`
      : `exited with code ${f.exitCode ?? 'unknown'}${f.message ? ` (${f.message})` : ''}`;
  return `replica ${f.replica} of revision ${f.revision} ${what}, restarted ${f.restarts} time${f.restarts === 1 ? '' : 's'} without a ready period`;
}

function nextRestarts(
  previous: ReplicaRestarts | undefined,
  r: ReplicaStatus,
  now: number,
  resetMs: number,
): ReplicaRestarts {
  if (!previous) {
    // First seen ready: its past restarts are history. First seen not ready: they all count.
    return { baseline: r.ready ? r.restarts : 0, restarts: r.restarts, readySince: r.ready ? now : null };
  }
  const restarted = r.restarts !== previous.restarts;
  const readySince = r.ready ? (restarted ? now : (previous.readySince ?? now)) : null;
  // A new data plane counts from 0 again.
  let baseline = Math.min(previous.baseline, r.restarts);
  if (readySince !== null && now - readySince >= resetMs) baseline = r.restarts;
  return { baseline, restarts: r.restarts, readySince };
}

function readyFor(entry: ReplicaRestarts, now: number): number {
  return entry.readySince === null ? -1 : now - entry.readySince;
}

function failureReason(r: ReplicaStatus, entry: ReplicaRestarts): ReplicaFailureReason | undefined {
  if (r.state === 'Crashed' && r.message?.startsWith(SPAWN_FAILED) === true) return 'RunContainerError';
  if (r.restarts - entry.baseline >= CRASH_LOOP_RESTARTS) return 'CrashLoopBackOff';
  return undefined;
}

function episode(
  revision: number,
  r: ReplicaStatus,
  reason: ReplicaFailureReason,
  entry: ReplicaRestarts,
  now: number,
): ReplicaFailure {
  return {
    revision,
    replica: r.id,
    reason,
    exitCode: r.lastExitCode,
    restarts: r.restarts - entry.baseline,
    ...(r.message !== undefined ? { message: r.message } : {}),
    since: now,
  };
}

/** The episode going on, with its replica's latest exit code and restart count. */
function ongoing(
  previous: ReplicaFailure,
  replicas: ReplicaStatus[],
  restarts: Record<string, ReplicaRestarts>,
): ReplicaFailure {
  const r = replicas.find((x) => x.id === previous.replica);
  if (!r) return previous;
  const message = r.message ?? previous.message;
  return {
    ...previous,
    exitCode: r.lastExitCode ?? previous.exitCode,
    restarts: Math.max(0, r.restarts - restarts[r.id]!.baseline),
    ...(message !== undefined ? { message } : {}),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
