import type { RolloutResource } from '../api/views.js';
import type { CrewApi } from './crew-api.js';
import { recordKnownGood, recordRolledBack } from './revision-ledger.js';

/** What {@link rollbackRollout} needs besides the Rollout and its target. */
export interface RolloutRollbackOptions {
  /** The crew's work directory (`$CUTOVER_HOME/releases`): the revision ledger. */
  ledgerDir: string;
  /** The release rolling back (recorded in the ledger). */
  release: string;
  now: () => number;
  /** Records a step of the rollback (`RolloutAborted`, `RolloutUndone`, `TrafficRestored`). */
  note: (reason: string, message: string) => void;
  /** Longest wait for the Rollout to serve `target` again, ms. @default 120000 */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Returns one Rollout to the template of revision `target`, as the RollbackCoordinator:
 * - an update of it still in progress (its stable revision is the target's template): a canary or
 *   blue-green is aborted first (traffic back on stable at once), then `undo` to the stable
 *   template so the Rollout is Healthy again (an aborted one would stay Degraded);
 * - an update complete (another template is stable): `undo --now` to `target`: the old template
 *   comes back with no canary step or analysis, in one locked step;
 * then waits until the target's template is stable and serves 100%. The revision rolled back
 * from, and the one restored, go into the crew's ledger.
 * @returns the stable revision now (the target's template, perhaps under a new number).
 * @throws when the Rollout does not serve the target's template within `timeoutMs`.
 */
export async function rollbackRollout(
  api: CrewApi,
  name: string,
  target: number,
  options: RolloutRollbackOptions,
): Promise<number> {
  const { ledgerDir, now, note } = options;
  const revisions = await api.get<{ items: { number: number; hash: string }[] }>(
    `/api/v1/rollouts/${name}/revisions`,
  );
  const hashOf = (n: number | null) => revisions.items.find((v) => v.number === n)?.hash ?? null;
  const targetHash = hashOf(target);
  const view = await api.get<RolloutResource>(`/api/v1/rollouts/${name}`);
  const s = view.status;
  const currentHash = hashOf(s.currentRevision);
  if (currentHash !== null && currentHash !== targetHash) {
    recordRolledBack(ledgerDir, name, {
      revision: s.currentRevision,
      hash: currentHash,
      release: options.release,
      at: now(),
    });
  }
  const stableHash = hashOf(s.stableRevision);
  if (stableHash === targetHash && s.currentRevision !== s.stableRevision) {
    // The update is in progress: traffic goes back at once, then the Rollout returns to stable.
    const abortable = view.spec.strategy.canary !== undefined || view.spec.strategy.blueGreen !== undefined;
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
    options.timeoutMs ?? 120_000,
    async () => {
      const latest = await api.get<{ items: { number: number; hash: string }[] }>(
        `/api/v1/rollouts/${name}/revisions`,
      );
      revisions.items = latest.items;
    },
  );
  const stable = restored.status.stableRevision ?? target;
  if (targetHash !== null) {
    recordKnownGood(ledgerDir, name, {
      revision: stable,
      hash: targetHash,
      release: options.release,
      at: now(),
    });
  }
  note('TrafficRestored', `${name}: 100% of traffic on the previous version`);
  return stable;
}

async function waitFor(
  api: CrewApi,
  name: string,
  ok: (v: RolloutResource) => boolean,
  timeoutMs: number,
  refresh?: () => Promise<void>,
): Promise<RolloutResource> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    const view = await api.get<RolloutResource>(`/api/v1/rollouts/${name}`);
    if (ok(view)) return view;
    if (Date.now() > deadline)
      throw new Error(
        `${name} did not reach the previous version in time: ${view.status.phase} ${view.status.message}`,
      );
    await sleep(250);
  }
}
