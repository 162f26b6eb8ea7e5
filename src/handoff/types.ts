/**
 * Shapes of the coordination handoff: the HandoffRun record cutover keeps of each handoff (as an
 * AnalysisRun is kept of each analysis) and the stored states it passes on.
 */
import type { Handoff } from '../spec/types.js';

export const HANDOFF_STEPS = [
  'drain',
  'prepare',
  'export',
  'shutdown',
  'stop',
  'import',
  'activate',
  'verify',
  'release',
] as const;
/**
 * One step of a handoff. `drain`: the router holds the Rollout's new requests and the old active
 * replica's in-flight requests finish; `stop` (recreate): the old revision is stopped and the new
 * one started; `release`: the held requests go to the new active replica. The others are the
 * protocol's requests (`spec.handoff`).
 */
export type HandoffStepName = (typeof HANDOFF_STEPS)[number];

export const HANDOFF_KINDS = ['Update', 'Activation', 'Failover'] as const;
/**
 * `Update`: a strategy moves the active role to a new revision. `Activation`: a replica becomes
 * active when none is (the first revision, a revision returned to after an abort). `Failover`: the
 * active replica died and another (or its restarted process) takes over from the latest snapshot.
 */
export type HandoffKind = (typeof HANDOFF_KINDS)[number];

export type HandoffPhase = 'Running' | 'Successful' | 'Failed';

/** One step as carried out. */
export interface HandoffStepRecord {
  name: HandoffStepName;
  /** The replica the step was spoken to, when it was one. */
  replica?: string;
  /** ms since the epoch. */
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  /** What the replica answered (status and a short body), or why the step failed. Never the state. */
  detail?: string;
}

/** A stored exported state: where it is, its sha256 and its size. */
export interface HandoffStateRef {
  /** Row id in the store. */
  id: number;
  /** Hex sha256 of the state's bytes. */
  sha256: string;
  /** Bytes. */
  size: number;
  /** When it was exported, ms since the epoch. */
  exportedAt: number;
}

/** The record of one handoff; the controller persists it after every step, so a restart resumes it. */
export interface HandoffRun {
  /** `<rollout>-r<revision>-handoff` (`-a<attempt>` after a retry), or `<rollout>-<kind>-<n>`. */
  name: string;
  rollout: string;
  kind: HandoffKind;
  /** The old active replica's id; null when none was active. */
  fromReplica: string | null;
  fromRevision: number | null;
  toRevision: number;
  /** The replica made active; null until chosen (recreate: once the new revision is ready). */
  toReplica: string | null;
  /** Recreate, or a stateful Rollout of one replica: the old replica stops before the new one starts. */
  stopFirst: boolean;
  /** The Rollout's `spec.handoff` when the run was created (a resumed run keeps it). */
  handoff: Handoff;
  phase: HandoffPhase;
  /** Steps still to do, in order; the first is the current one. */
  pending: HandoffStepName[];
  steps: HandoffStepRecord[];
  /** The state passed on (exported, or the snapshot an activation imports). */
  state?: HandoffStateRef;
  /** Failed: the failing step and the replica's answer. */
  message?: string;
  /** ms since the epoch. */
  createdAt: number;
  finishedAt?: number;
}

/** A stored state: an export of a handoff, or a periodic snapshot of the active replica. */
export interface StoredHandoffState extends HandoffStateRef {
  rollout: string;
  /** `handoff` (exported by a handoff run) or `snapshot` (snapshotIntervalSeconds). */
  kind: 'handoff' | 'snapshot';
  /** The handoff run that exported it; absent for a snapshot. */
  run?: string;
  /** The replica it was exported from. */
  replica: string;
  data: Buffer;
}
