import { join } from 'node:path';
import { RolloutPlan } from '../workflow/release/rollout-plan.js';
import type { CrewApi, ReleaseView, RolloutView } from './crew-api.js';
import { checkReadinessGate } from './readiness-gate.js';
import { rolloutsIn } from './release-rollouts.js';

/** What deploying a release's Rollouts in one environment found. */
export interface DeployReport {
  environment: string;
  /** The Rollouts started, in plan order, as last seen. */
  rollouts: { name: string; revision: number; phase: string; message: string }[];
  /** Rollouts the plan has not started yet (their dependencies are not Healthy), in plan order. */
  waiting: string[];
  /** The last check of each readiness gate, by Rollout name in the environment. */
  gates?: Record<string, { ok: boolean; detail: string }>;
}

/** `readinessGate.timeoutSeconds` when absent. */
const DEFAULT_GATE_TIMEOUT_SECONDS = 180;

export interface DeployOptions {
  /** Poll period while waiting for the Rollouts, ms. @default 250 */
  pollMs?: number;
  /** Longest wait for every Rollout to be Healthy, ms. @default 600000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Fast-track every new revision: no canary step, no analysis (a release of type rollback). @default false */
  now?: boolean;
  /**
   * Called after each apply with every revision stored so far (DEPLOY records them for the watch);
   * a plan applies its Rollouts in several steps.
   */
  onApplied?: (revisions: { name: string; revision: number }[]) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Orchestrator: carries the release's Rollouts out in `environment` (their layered spec) in the
 * order of the release's plan ({@link RolloutPlan}: `dependsOn`, `priority`,
 * `plan.maxParallelism`; without them, all at once): it applies the Rollouts that may start
 * through `POST /api/v1/apply`, waits until the rollout engine has carried each to Healthy with the
 * new revision stable (as `kubectl argo rollouts status`), then starts the next. The strategy
 * (canary steps, analysis, blue-green) is each Rollout's own, unless `now`: then each new revision
 * is fast-tracked (as `undo --now`), as a release of type rollback is immediate.
 * @returns ok false with the reason when a Rollout is aborted, Degraded or not Healthy in time;
 *   the Rollouts not started yet stay where they were (listed in `report.waiting`).
 */
export async function deployEnvironment(
  api: CrewApi,
  release: ReleaseView,
  environment: string,
  options: DeployOptions = {},
): Promise<{ ok: boolean; reason?: string; report: DeployReport }> {
  const rollouts = rolloutsIn(release.spec, environment);
  const byName = new Map(release.spec.rollouts.map((r, i) => [r.name, rollouts[i]!]));
  const plan = new RolloutPlan(
    release.spec.rollouts.map((r) => ({
      name: r.name,
      ...(r.dependsOn !== undefined ? { dependsOn: r.dependsOn } : {}),
      ...(r.priority !== undefined ? { priority: r.priority } : {}),
    })),
    release.spec.plan?.maxParallelism,
  );
  const file = join(release.baseDir, `${release.name}.release.yaml`);
  const started = new Set<string>();
  const healthy = new Set<string>();
  /** The applied revision of each started Rollout, by its name in the environment. */
  const target = new Map<string, number>();
  const applied: { name: string; revision: number }[] = [];
  /** When each Rollout with a readiness gate was first seen Healthy, ms since the epoch. */
  const gatedSince = new Map<string, number>();
  const specOf = new Map(release.spec.rollouts.map((r) => [r.name, r]));
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const report: DeployReport = { environment, rollouts: [], waiting: [] };
  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'stopped', report };
    const ready = plan.ready(started, healthy);
    if (ready.length > 0) {
      const docs = ready.map((name) => byName.get(name)!);
      const result = await api.post<{ results: { name: string; revision: number }[] }>('/api/v1/apply', {
        file,
        text: docs.map((r) => JSON.stringify(r)).join('\n---\n'),
        ...(options.now === true ? { now: true } : {}),
      });
      for (const r of result.results) {
        target.set(r.name, r.revision);
        applied.push({ name: r.name, revision: r.revision });
      }
      for (const name of ready) started.add(name);
      options.onApplied?.([...applied]);
    }
    report.rollouts = [];
    report.waiting = plan.order.filter((n) => !started.has(n)).map((n) => byName.get(n)!.metadata.name);
    for (const name of plan.order) {
      if (!started.has(name)) continue;
      const r = byName.get(name)!;
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
      if (s.currentRevision !== revision) continue;
      if (s.abort || s.phase === 'Degraded') {
        return { ok: false, reason: `${r.metadata.name} ${s.phase}: ${s.message}`, report };
      }
      if (!(s.phase === 'Healthy' && s.stableRevision === revision) || healthy.has(name)) continue;
      const gate = specOf.get(name)!.readinessGate;
      if (gate === undefined) {
        healthy.add(name);
        continue;
      }
      // Its dependents wait until its readiness gate holds too.
      const since = gatedSince.get(name) ?? Date.now();
      gatedSince.set(name, since);
      const check = await checkReadinessGate(gate, r.spec.port);
      report.gates = { ...report.gates, [r.metadata.name]: check };
      if (check.ok) healthy.add(name);
      else if (Date.now() - since > (gate.timeoutSeconds ?? DEFAULT_GATE_TIMEOUT_SECONDS) * 1000) {
        return {
          ok: false,
          reason: `${r.metadata.name} readinessGate did not hold within ${gate.timeoutSeconds ?? DEFAULT_GATE_TIMEOUT_SECONDS} s: ${check.detail}`,
          report,
        };
      }
    }
    if (healthy.size === plan.order.length) return { ok: true, report };
    if (plan.ready(started, healthy).length > 0) continue;
    if (Date.now() > deadline) return { ok: false, reason: 'the Rollouts were not Healthy in time', report };
    await sleep(options.pollMs ?? 250);
  }
}
