import { createHash } from 'node:crypto';
import { parseMemory } from '../analysis/index.js';
import type { Clock } from '../clock/index.js';
import type { DataPlaneState } from '../dataplane/protocol.js';
import type { Handoff } from '../spec/types.js';
import { runHandoffAction } from './handoff-action.js';
import { DEFAULT_HANDOFF_TIMEOUT_SECONDS, DEFAULT_MAX_STATE_BYTES } from './handoff-runner.js';
import type { StoredHandoffState } from './types.js';

/** What a snapshot needs to know of one Rollout. */
export interface SnapshotSubject {
  rollout: string;
  handoff: Handoff;
  /** The active replica's id and revision; undefined when none is. */
  active: { id: string; revision: number } | undefined;
  /** A handoff is running: no snapshot meanwhile (the state is moving). */
  handingOff: boolean;
}

/** Options of {@link SnapshotTaker}. */
export interface SnapshotTakerOptions {
  store: { putHandoffState(state: Omit<StoredHandoffState, 'id'>): Promise<unknown> };
  dataPlaneState(): Promise<DataPlaneState>;
  clock: Clock;
  /** Address replicas are reached on. @default '127.0.0.1' */
  host?: string;
}

/**
 * Periodic snapshots of active replicas' state (`spec.handoff.snapshotIntervalSeconds`, as the
 * seed's state-sync sidecar with SYNC_INTERVAL): the `export` step spoken to the active replica,
 * the answer stored with its sha256 (the last 5 per Rollout are kept). A failover activates a
 * standby from the latest one. A failed export is reported, never retried before the next period.
 */
export class SnapshotTaker {
  readonly #o: Required<SnapshotTakerOptions>;
  /** When each Rollout's last snapshot was attempted, ms since the epoch. */
  readonly #last = new Map<string, number>();
  readonly #busy = new Set<string>();

  constructor(options: SnapshotTakerOptions) {
    this.#o = { host: '127.0.0.1', ...options };
  }

  /**
   * Takes the snapshots that are due, in the background.
   * @param onResult - called after each attempt with an error message, or undefined on success.
   */
  tick(
    subjects: readonly SnapshotSubject[],
    onResult: (rollout: string, error: string | undefined, bytes: number) => void,
  ): void {
    const now = this.#o.clock.now();
    for (const s of subjects) {
      const interval = s.handoff.snapshotIntervalSeconds;
      if (interval === undefined || s.active === undefined || s.handingOff || this.#busy.has(s.rollout))
        continue;
      if (now - (this.#last.get(s.rollout) ?? 0) < interval * 1000) continue;
      this.#last.set(s.rollout, now);
      this.#busy.add(s.rollout);
      void this.#take(s)
        .then(({ error, bytes }) => onResult(s.rollout, error, bytes))
        .finally(() => this.#busy.delete(s.rollout));
    }
  }

  async #take(s: SnapshotSubject): Promise<{ error: string | undefined; bytes: number }> {
    const active = s.active!;
    const state = await this.#o.dataPlaneState();
    const replica = state.rollouts
      .find((r) => r.rollout === s.rollout)
      ?.replicaSets.filter((set) => set.set === undefined && set.revision === active.revision)
      .flatMap((set) => set.replicaStatuses)
      .find((r) => r.id === active.id && r.state === 'Running');
    if (replica === undefined) return { error: `active replica ${active.id} is not running`, bytes: 0 };
    const maxBytes =
      parseMemory(s.handoff.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES) ?? DEFAULT_MAX_STATE_BYTES;
    const result = await runHandoffAction(
      s.handoff.export,
      { host: this.#o.host, port: replica.port, replica: replica.id, rollout: s.rollout },
      { timeoutMs: (s.handoff.timeoutSeconds ?? DEFAULT_HANDOFF_TIMEOUT_SECONDS) * 1000, maxBytes },
    );
    if (!result.ok) return { error: `export from ${replica.id} failed: ${result.detail}`, bytes: 0 };
    await this.#o.store.putHandoffState({
      rollout: s.rollout,
      kind: 'snapshot',
      replica: replica.id,
      sha256: createHash('sha256').update(result.body).digest('hex'),
      size: result.body.length,
      data: result.body,
      exportedAt: this.#o.clock.now(),
    });
    return { error: undefined, bytes: result.body.length };
  }
}
