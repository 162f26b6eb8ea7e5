import type { TimelineEntry } from '../records/types.js';
import { durationToMs } from '../spec/index.js';
import type { RollbackType } from '../workflow/index.js';
import { restoreBackup } from './backup/index.js';
import { loadCheckpoint } from './checkpoint.js';
import type { CrewApi, ReleaseView, RolloutView } from './crew-api.js';
import { databaseOf } from './pre-deployment-validator.js';
import { rolloutNameIn } from './release-rollouts.js';
import { recordKnownGood, recordRolledBack } from './revision-ledger.js';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

interface RolloutDetail extends RolloutView {
  spec: RolloutView['spec'] & { strategy: { canary?: unknown; blueGreen?: unknown } };
}

/**
 * Carries out a rollback, as the RollbackCoordinator, to the revisions of DEPLOY's checkpoint (the
 * known-good version: never one the crew rolled back from, see `revision-ledger.ts`):
 * - traffic: for each production Rollout,
 *   - update to this release's revision still in progress: a canary or blue-green is aborted first
 *     (traffic back on stable at once), then every strategy gets `undo` to the stable template, so
 *     the Rollout is Healthy again (an aborted one would stay Degraded and fail the next release);
 *   - update complete (the new revision is stable): `undo --now` to the checkpoint's revision: the
 *     old template comes back with no canary step or analysis, in one locked step;
 *   and waits until the checkpoint's template is stable and serves 100%;
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
    for (const r of release.spec.rollouts) {
      const name = rolloutNameIn(r.name, release.environment);
      const target =
        options.targets === undefined
          ? (checkpoint?.rollouts.find((c) => c.name === name)?.stableRevision ?? null)
          : (options.targets.get(name) ?? null);
      if (target === null && options.targets !== undefined) continue; // not deployed by the earlier release
      if (target === null) throw new Error(`${name} has no revision before this release to roll back to`);
      const revisions = await api.get<{ items: { number: number; hash: string }[] }>(
        `/api/v1/rollouts/${name}/revisions`,
      );
      const hashOf = (n: number | null) => revisions.items.find((v) => v.number === n)?.hash ?? null;
      const targetHash = hashOf(target);
      const view = await api.get<RolloutDetail>(`/api/v1/rollouts/${name}`);
      const s = view.status;
      const currentHash = hashOf(s.currentRevision);
      if (currentHash !== null && currentHash !== targetHash) {
        recordRolledBack(ledgerDir, name, {
          revision: s.currentRevision,
          hash: currentHash,
          release: release.name,
          at: now(),
        });
      }
      const stableHash = hashOf(s.stableRevision);
      if (stableHash === targetHash && s.currentRevision !== s.stableRevision) {
        // The update is in progress: traffic goes back at once, then the Rollout returns to stable.
        const abortable =
          view.spec.strategy.canary !== undefined || view.spec.strategy.blueGreen !== undefined;
        if (abortable && !s.abort) {
          await api.post(`/api/v1/rollouts/${name}/abort`);
          note('RolloutAborted', `${name}: update aborted, traffic back on revision ${s.stableRevision}`);
          await waitFor(api, name, (v) => v.status.weights.canary === 0, 60_000);
        }
        await api.post(`/api/v1/rollouts/${name}/undo`, { toRevision: s.stableRevision });
        note('RolloutUndone', `${name}: back on the stable revision ${s.stableRevision}`);
      } else if (stableHash !== targetHash) {
        await api.post(`/api/v1/rollouts/${name}/undo`, { toRevision: target, now: true });
        note(
          'RolloutUndone',
          `${name}: undo --now to the template of revision ${target}: no canary step, no analysis`,
        );
      }
      const restored = await waitFor(
        api,
        name,
        (v) =>
          v.status.phase === 'Healthy' &&
          v.status.stableRevision === v.status.currentRevision &&
          hashOf(v.status.stableRevision) === targetHash,
        120_000,
        async () => {
          const latest = await api.get<{ items: { number: number; hash: string }[] }>(
            `/api/v1/rollouts/${name}/revisions`,
          );
          revisions.items = latest.items;
        },
      );
      if (targetHash !== null) {
        recordKnownGood(ledgerDir, name, {
          revision: restored.status.stableRevision ?? target,
          hash: targetHash,
          release: release.name,
          at: now(),
        });
      }
      note('TrafficRestored', `${name}: 100% of traffic on the previous version`);
      targets.push(`${name} revision ${target}`);
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
  refresh?: () => Promise<void>,
): Promise<RolloutView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    const view = await api.get<RolloutView>(`/api/v1/rollouts/${name}`);
    if (ok(view)) return view;
    if (Date.now() > deadline)
      throw new Error(
        `${name} did not reach the previous version in time: ${view.status.phase} ${view.status.message}`,
      );
    await sleep(250);
  }
}
