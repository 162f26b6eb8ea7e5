import type { TimelineEntry } from '../records/types.js';
import { rolloutNameIn } from '../release/release-rollouts.js';
import { durationToMs } from '../spec/index.js';
import { type PlanProgress, planPercent, type RollbackType } from '../workflow/index.js';
import { restoreBackup } from './backup/index.js';
import { loadCheckpoint } from './checkpoint.js';
import type { CrewApi, ReleaseView } from './crew-api.js';
import { databaseOf } from './pre-deployment-validator.js';
import { rollbackRollout } from './rollout-rollback.js';
import { DEFAULT_ROLLBACK_TRIGGERS, type RollbackTriggerPolicy } from './triggers/index.js';

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

/** What {@link executeRollback} does and where it keeps its files. */
export interface RollbackOptions {
  type: RollbackType;
  /** The release's work directory (its DEPLOY checkpoint). */
  workDir: string;
  /** The crew's work directory (`$CUTOVER_HOME/releases`): the revision ledger. */
  ledgerDir: string;
  now: () => number;
  /** Revision to restore per Rollout name (`--to-release`); absent: the DEPLOY checkpoint's. */
  targets?: ReadonlyMap<string, number>;
}

/**
 * Carries out a rollback, as the RollbackCoordinator, to the revisions of DEPLOY's checkpoint (the
 * known-good version: never one the crew rolled back from, see `revision-ledger.ts`):
 * - traffic: each production Rollout returns to its checkpoint revision ({@link rollbackRollout}:
 *   abort and undo of an update in progress, `undo --now` of a complete one), in reverse order of
 *   the plan's phases ({@link rollbackOrder}: the Rollouts of one phase together, each phase once
 *   the one after it serves its checkpoint again), each phase then reported `RolledBack` in the
 *   plan's progress;
 * - database: restores DEPLOY's verified backup into the release's database;
 * - full: traffic first (the previous version stops writing with the new schema), then database.
 * With `targets` (a rollback `--to-release`), each Rollout returns to the revision named there
 * instead of the checkpoint's. The versions rolled back from, and the one restored, go into the
 * crew's ledger.
 * @throws when a step fails (the workflow records ROLLBACK as failed and escalates).
 */
export async function executeRollback(
  api: CrewApi,
  release: ReleaseView,
  options: RollbackOptions,
): Promise<RollbackReport> {
  const { type, workDir, now, ledgerDir } = options;
  const checkpoint = loadCheckpoint(workDir);
  const timeline: TimelineEntry[] = [];
  const note = (reason: string, message: string) =>
    timeline.push({ at: now(), stage: 'ROLLBACK', reason, actor: 'agent:rollback-coordinator', message });
  const targets: string[] = [];
  if (type === 'traffic' || type === 'full') {
    const progress = release.progress?.find((p) => p.environment === release.environment);
    const restoredAt = new Map<string, number>();
    // Reverse order of the plan's phases: the last Rollouts started go back first; those of one
    // phase together. Rollouts the plan never started come last (nothing to do for most).
    for (const group of rollbackOrder(release, progress)) {
      await Promise.all(
        group.map(async (name) => {
          const target =
            options.targets === undefined
              ? (checkpoint?.rollouts.find((c) => c.name === name)?.stableRevision ?? null)
              : (options.targets.get(name) ?? null);
          if (target === null && options.targets !== undefined) return; // not deployed by the earlier release
          if (target === null) throw new Error(`${name} has no revision before this release to roll back to`);
          restoredAt.set(
            name,
            await rollbackRollout(api, name, target, { ledgerDir, release: release.name, now, note }),
          );
          targets.push(`${name} revision ${target}`);
        }),
      );
      if (progress !== undefined) await reportRolledBack(api, release, progress, restoredAt, now());
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

/**
 * The Rollouts of the release (names in its environment) in the order a rollback returns them:
 * groups by the plan phase they started in, last phase first; Rollouts never started last.
 */
function rollbackOrder(release: ReleaseView, progress: PlanProgress | undefined): string[][] {
  const names = release.spec.rollouts.map((r) => rolloutNameIn(r.name, release.environment));
  const phaseOf = new Map(progress?.rollouts.map((r) => [r.rollout, r.phase]) ?? []);
  const phases = [...new Set(names.map((n) => phaseOf.get(n) ?? 0))].sort((a, b) => b - a);
  return phases.map((phase) => names.filter((n) => (phaseOf.get(n) ?? 0) === phase));
}

/** Marks the Rollouts just restored `RolledBack` in the plan's progress (an event each). */
async function reportRolledBack(
  api: CrewApi,
  release: ReleaseView,
  progress: PlanProgress,
  restoredAt: ReadonlyMap<string, number>,
  at: number,
): Promise<void> {
  for (const r of progress.rollouts) {
    const stable = restoredAt.get(r.rollout);
    if (stable === undefined || r.state === 'Waiting' || r.state === 'Degraded' || r.state === 'RolledBack')
      continue;
    Object.assign(r, {
      state: 'RolledBack',
      runningRevision: stable,
      weight: 0,
      message: 'back on the checkpoint',
    });
  }
  progress.percent = planPercent(progress.rollouts);
  progress.updatedAt = at;
  await api.post(`/api/v1/releases/${release.name}/progress`, progress);
}
