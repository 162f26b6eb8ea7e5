import type { TimelineEntry } from '../records/types.js';
import { durationToMs } from '../spec/index.js';
import type { RollbackType } from '../workflow/index.js';
import { restoreBackup } from './backup/index.js';
import { loadCheckpoint } from './checkpoint.js';
import type { CrewApi, ReleaseView, RolloutView } from './crew-api.js';
import { databaseOf } from './pre-deployment-validator.js';
import { rolloutNameIn } from './release-rollouts.js';
import { sampleCurrentRevision } from './rollout-sample.js';
import {
  DEFAULT_ROLLBACK_TRIGGERS,
  evaluateRollbackTriggers,
  INITIAL_ROLLBACK_TRIGGER_STATE,
  type RollbackTriggerPolicy,
  type RollbackTriggerState,
} from './triggers/index.js';

/** The RollbackCoordinator's report of a rollback (stored with ROLLBACK's result and the incident). */
export interface RollbackReport {
  type: RollbackType;
  /** e.g. `shop-production revision 1`. */
  rolledBackTo: string;
  timeline: TimelineEntry[];
}

/** A release's trigger policy: its `rollback` block over the workflow's defaults (5% for 2 min, p95 500 ms). */
export function rollbackPolicy(release: ReleaseView): RollbackTriggerPolicy {
  const r = release.spec.rollback ?? {};
  return {
    ...DEFAULT_ROLLBACK_TRIGGERS,
    errorRate: {
      threshold: r.errorRate ?? DEFAULT_ROLLBACK_TRIGGERS.errorRate.threshold,
      forSeconds:
        r.errorRateFor === undefined
          ? DEFAULT_ROLLBACK_TRIGGERS.errorRate.forSeconds
          : durationToMs(r.errorRateFor) / 1000,
    },
    p95Ms: {
      ...DEFAULT_ROLLBACK_TRIGGERS.p95Ms,
      threshold: r.p95Ms ?? DEFAULT_ROLLBACK_TRIGGERS.p95Ms.threshold,
    },
  };
}

/** The rollback type of an automatic rollback: the spec's, else full with a database, else traffic. */
export function automaticRollbackType(release: ReleaseView): RollbackType {
  return release.spec.rollback?.type ?? (release.spec.prepare?.database === undefined ? 'traffic' : 'full');
}

/**
 * Watches one live release (DEPLOY or MONITOR): one sample per second of each production Rollout's
 * new revision (last 1 s of the router's figures), judged by {@link evaluateRollbackTriggers}; a
 * Rollout aborted or Degraded during MONITOR is a failed health check. Requests a rollback through
 * the API with the trigger and its values when one fires, once.
 */
export class RollbackWatch {
  #states = new Map<string, RollbackTriggerState>();
  #fired = false;

  constructor(
    private readonly api: CrewApi,
    private readonly now: () => number,
  ) {}

  /** Takes one sample of every Rollout; requests a rollback when a trigger fires. @returns whether it did. */
  async observe(release: ReleaseView): Promise<boolean> {
    if (this.#fired) return false;
    const policy = rollbackPolicy(release);
    for (const r of release.spec.rollouts) {
      const name = rolloutNameIn(r.name, release.environment);
      if (release.stage === 'MONITOR') {
        const view = await this.api.get<RolloutView>(`/api/v1/rollouts/${name}`);
        if (view.status.abort || view.status.phase === 'Degraded') {
          return this.#request(
            release,
            'healthCheck',
            `${name} is ${view.status.phase}: ${view.status.message}`,
            {},
          );
        }
      }
      const sample = await sampleCurrentRevision(this.api, name, 1, 0.95);
      if (sample === null) continue;
      const result = evaluateRollbackTriggers(
        this.#states.get(name) ?? INITIAL_ROLLBACK_TRIGGER_STATE,
        { at: this.now(), requests: sample.requests, errors: sample.errors, p95Ms: sample.latencyMs },
        policy,
      );
      this.#states.set(name, result.state);
      if (result.trigger !== null) {
        return this.#request(
          release,
          result.trigger.kind,
          `${name}: ${result.trigger.reason}`,
          result.trigger.values,
        );
      }
    }
    return false;
  }

  /** Requests the rollback once (later samples of the same release are ignored). */
  async #request(
    release: ReleaseView,
    trigger: string,
    reason: string,
    values: Record<string, number | string | null>,
  ): Promise<boolean> {
    this.#fired = true;
    await requestRollback(this.api, release, trigger, reason, values);
    return true;
  }
}

/** Asks for the automatic rollback of a release through the API (as the RollbackCoordinator). */
export async function requestRollback(
  api: CrewApi,
  release: ReleaseView,
  trigger: string,
  reason: string,
  values: Record<string, number | string | null>,
): Promise<void> {
  await api.post(`/api/v1/releases/${release.name}/rollback`, {
    type: automaticRollbackType(release),
    reason,
    trigger,
    values,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Carries out a rollback, as the RollbackCoordinator:
 * - traffic: every production Rollout back to the revision of DEPLOY's checkpoint: `abort` while
 *   its update is in progress (traffic returns to stable at once), else `undo` to that revision and
 *   `promote --full`; waits until the previous revision serves 100%;
 * - database: restores DEPLOY's verified backup into the release's database;
 * - full: traffic first (the previous version stops writing with the new schema), then database.
 * @throws when a step fails (the workflow records ROLLBACK as failed and escalates).
 */
export async function executeRollback(
  api: CrewApi,
  release: ReleaseView,
  type: RollbackType,
  workDir: string,
  now: () => number,
): Promise<RollbackReport> {
  const checkpoint = loadCheckpoint(workDir);
  const timeline: TimelineEntry[] = [];
  const note = (reason: string, message: string) =>
    timeline.push({ at: now(), stage: 'ROLLBACK', reason, actor: 'agent:rollback-coordinator', message });
  const targets: string[] = [];
  if (type === 'traffic' || type === 'full') {
    for (const r of release.spec.rollouts) {
      const name = rolloutNameIn(r.name, release.environment);
      const previous = checkpoint?.rollouts.find((c) => c.name === name)?.stableRevision ?? null;
      const view = await api.get<RolloutView>(`/api/v1/rollouts/${name}`);
      const s = view.status;
      if (s.currentRevision !== s.stableRevision && s.stableRevision !== null) {
        if (!s.abort) await api.post(`/api/v1/rollouts/${name}/abort`);
        note('RolloutAborted', `${name}: update aborted, traffic back on revision ${s.stableRevision}`);
        await waitFor(api, name, (v) => v.status.weights.canary === 0, 60_000);
        targets.push(`${name} revision ${s.stableRevision}`);
      } else {
        if (previous === null) throw new Error(`${name} has no revision before this release to roll back to`);
        await api.post(`/api/v1/rollouts/${name}/undo`, { toRevision: previous });
        await api.post(`/api/v1/rollouts/${name}/promote`, { full: true });
        note('RolloutUndone', `${name}: undo to the template of revision ${previous}, promoted in full`);
        await waitFor(
          api,
          name,
          (v) => v.status.phase === 'Healthy' && v.status.stableRevision === v.status.currentRevision,
          120_000,
        );
        targets.push(`${name} revision ${previous}`);
      }
      note('TrafficRestored', `${name}: 100% of traffic on the previous version`);
    }
  }
  if (type === 'database' || type === 'full') {
    const target = databaseOf(release.spec, release.baseDir);
    const backup = checkpoint?.backup ?? null;
    if (target === null || backup === null)
      throw new Error('no database backup in the DEPLOY checkpoint to restore');
    const restored = await restoreBackup(backup, target);
    note(
      'DatabaseRestored',
      `restored ${backup.file} (sha256 ${backup.sha256.slice(0, 12)}…): ${restored.tables} table(s), ${restored.rows} row(s)`,
    );
    targets.push(`database backup of ${new Date(backup.createdAt).toISOString()}`);
  }
  return { type, rolledBackTo: targets.join(', '), timeline };
}

async function waitFor(
  api: CrewApi,
  name: string,
  ok: (v: RolloutView) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await api.get<RolloutView>(`/api/v1/rollouts/${name}`);
    if (ok(view)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${name} did not reach the previous version in time: ${view.status.phase} ${view.status.message}`,
      );
    await sleep(250);
  }
}
