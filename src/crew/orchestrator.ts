import { join } from 'node:path';
import type { CrewApi, ReleaseView, RolloutView } from './crew-api.js';
import { rolloutsIn } from './release-rollouts.js';

/** What deploying a release's Rollouts in one environment found. */
export interface DeployReport {
  environment: string;
  rollouts: { name: string; revision: number; phase: string; message: string }[];
}

export interface DeployOptions {
  /** Poll period while waiting for the Rollouts, ms. @default 250 */
  pollMs?: number;
  /** Longest wait for every Rollout to be Healthy, ms. @default 600000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Fast-track every new revision: no canary step, no analysis (a release of type rollback). @default false */
  now?: boolean;
  /** Called once the apply stored the revisions, before the wait (DEPLOY records them for the watch). */
  onApplied?: (revisions: { name: string; revision: number }[]) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Orchestrator: applies the release's Rollouts in `environment` (its layered spec) through
 * `POST /api/v1/apply`, then waits until the rollout engine has carried each one to Healthy with
 * the new revision stable (as `kubectl argo rollouts status`). The strategy (canary steps, analysis,
 * blue-green) is the Rollout's own, unless `now`: then each new revision is fast-tracked (as
 * `undo --now`), as a release of type rollback is immediate.
 * @returns ok false with the reason when a Rollout is aborted, Degraded or not Healthy in time.
 */
export async function deployEnvironment(
  api: CrewApi,
  release: ReleaseView,
  environment: string,
  options: DeployOptions = {},
): Promise<{ ok: boolean; reason?: string; report: DeployReport }> {
  const rollouts = rolloutsIn(release.spec, environment);
  const file = join(release.baseDir, `${release.name}.release.yaml`);
  const text = rollouts.map((r) => JSON.stringify(r)).join('\n---\n');
  const applied = await api.post<{ results: { name: string; revision: number }[] }>('/api/v1/apply', {
    file,
    text,
    ...(options.now === true ? { now: true } : {}),
  });
  options.onApplied?.(applied.results.map((r) => ({ name: r.name, revision: r.revision })));
  // Status catches up with an apply on the controller's next reconcile: wait for the applied revision.
  const target = new Map(applied.results.map((r) => [r.name, r.revision]));
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const report: DeployReport = { environment, rollouts: [] };
  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'stopped', report };
    report.rollouts = [];
    let done = true;
    for (const r of rollouts) {
      const view = await api.get<RolloutView>(`/api/v1/rollouts/${r.metadata.name}`);
      const s = view.status;
      report.rollouts.push({
        name: r.metadata.name,
        revision: s.currentRevision,
        phase: s.phase,
        message: s.message,
      });
      const revision = target.get(r.metadata.name);
      // Until the controller has reconciled the applied revision, the status is the previous
      // update's (perhaps an aborted one): not this release's to judge.
      if (s.currentRevision !== revision) {
        done = false;
        continue;
      }
      if (s.abort || s.phase === 'Degraded') {
        return { ok: false, reason: `${r.metadata.name} ${s.phase}: ${s.message}`, report };
      }
      if (!(s.phase === 'Healthy' && s.stableRevision === revision)) done = false;
    }
    if (done) return { ok: true, report };
    if (Date.now() > deadline) return { ok: false, reason: 'the Rollouts were not Healthy in time', report };
    await sleep(options.pollMs ?? 250);
  }
}
