/**
 * The progress of a release's plan in one environment (issue 13), as the seed's DeploymentMonitor:
 * per Rollout its state, revisions, canary step and weight; overall the percent of the plan's
 * steps done; the phases with their checkpoints; the plan's smoke tests. The Orchestrator (and the
 * RollbackCoordinator) report it through the API; the server stores it with the release and
 * records an event for each change of state ({@link progressEvents}). Pure.
 */

/**
 * Where a Rollout of the plan is:
 * - `Waiting`: not started (its dependencies, `maxParallelism` or `minHealthy` hold it back);
 * - `Progressing`: its new revision is rolling out (canary steps, analysis, blue-green);
 * - `Verifying`: Healthy on its new revision; its readiness gate and `afterEach` tests run;
 * - `Healthy`: carried out, on the release's revision;
 * - `Degraded`: failed with `gracefulDegradation` and back on the revision it ran before;
 * - `Failed`: failed with `immediateEscalation` (the plan rolls back);
 * - `RolledBack`: returned to the checkpoint by the plan's rollback.
 */
export type PlanRolloutState =
  | 'Waiting'
  | 'Progressing'
  | 'Verifying'
  | 'Healthy'
  | 'Degraded'
  | 'Failed'
  | 'RolledBack';

/** One Rollout of the plan. */
export interface PlanRolloutProgress {
  /** Its name in the release (`mca`). */
  name: string;
  /** The Rollout in the environment (`mca-production`). */
  rollout: string;
  /** Rollouts of the release it waits for directly (the plan graph's edges), by name. */
  after: string[];
  state: PlanRolloutState;
  /** The plan phase it started in, 1-based; null while Waiting. */
  phase: number | null;
  /** The stable revision before the release (the checkpoint's); null for a new Rollout. */
  fromRevision: number | null;
  /** The release's revision of it, once applied. */
  revision: number | null;
  /** The stable revision now: what serves. */
  runningRevision: number | null;
  /** Canary step reached (`index` of `count` steps); null without canary steps. */
  step: { index: number; count: number } | null;
  /** Traffic on the new revision now, percent 0..100. */
  weight: number;
  message: string;
}

/** A phase: the Rollouts started together, and every Rollout's stable revision just before. */
export interface PlanPhase {
  /** ms since the epoch. */
  at: number;
  started: string[];
  /** Stable revision of each Rollout of the plan (by name in the environment) before the phase. */
  checkpoint: Record<string, number | null>;
}

/** A plan smoke test's result (`afterEach` per Rollout, `connectivityTest` once at the end). */
export interface PlanSmokeResult {
  kind: 'afterEach' | 'connectivityTest';
  name: string;
  /** The Rollout it ran against, by its name in the release. */
  rollout: string;
  passed: boolean;
  detail: string;
  /** ms since the epoch. */
  at: number;
}

/** The plan's progress in one environment. */
export interface PlanProgress {
  environment: string;
  /** The plan's steps done, percent 0..100 ({@link planPercent}). */
  percent: number;
  rollouts: PlanRolloutProgress[];
  phases: PlanPhase[];
  smokeTests: PlanSmokeResult[];
  /** ms since the epoch. */
  updatedAt: number;
}

const SETTLED: ReadonlySet<PlanRolloutState> = new Set(['Healthy', 'Degraded', 'Failed', 'RolledBack']);

/**
 * Percent of the plan's steps done: each Rollout counts its canary steps plus one (its
 * completion; one for a strategy without steps); a Progressing Rollout has done the steps before
 * its current one, a Verifying one all but the completion, a settled one (Healthy, Degraded,
 * Failed, RolledBack) all. Rounded down, so 100 only when every Rollout is settled.
 */
export function planPercent(rollouts: readonly PlanRolloutProgress[]): number {
  let total = 0;
  let done = 0;
  for (const r of rollouts) {
    const units = (r.step?.count ?? 0) + 1;
    total += units;
    if (SETTLED.has(r.state)) done += units;
    else if (r.state === 'Verifying') done += units - 1;
    else if (r.state === 'Progressing') done += Math.min(r.step?.index ?? 0, units - 1);
  }
  return total === 0 ? 100 : Math.floor((done * 100) / total);
}

/** An event the server records for a change of the plan's progress. */
export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const REASONS: Record<PlanRolloutState, { reason: string; type: PlanEvent['type'] }> = {
  Waiting: { reason: 'PlanRolloutWaiting', type: 'Normal' },
  Progressing: { reason: 'PlanRolloutStarted', type: 'Normal' },
  Verifying: { reason: 'PlanRolloutVerifying', type: 'Normal' },
  Healthy: { reason: 'PlanRolloutHealthy', type: 'Normal' },
  Degraded: { reason: 'PlanRolloutDegraded', type: 'Warning' },
  Failed: { reason: 'PlanRolloutFailed', type: 'Warning' },
  RolledBack: { reason: 'PlanRolloutRolledBack', type: 'Warning' },
};

/**
 * The events of a change from `before` (null: the first report) to `after`: one per Rollout whose
 * state changed (e.g. `PlanRolloutStarted: npa-production revision 4 (phase 2)`), after one per
 * new smoke test result (`PlanSmokeTestPassed` / `PlanSmokeTestFailed`: a Rollout's tests come
 * before the state they lead to). Steps and weights are not
 * events (the Rollouts' own events record them).
 */
export function progressEvents(before: PlanProgress | null, after: PlanProgress): PlanEvent[] {
  const events: PlanEvent[] = [];
  const seen = before?.smokeTests.length ?? 0;
  for (const t of after.smokeTests.slice(seen)) {
    events.push({
      type: t.passed ? 'Normal' : 'Warning',
      reason: t.passed ? 'PlanSmokeTestPassed' : 'PlanSmokeTestFailed',
      message: `${t.kind} ${t.name} against ${t.rollout}: ${t.detail}`,
    });
  }
  for (const r of after.rollouts) {
    const previous = before?.rollouts.find((p) => p.name === r.name)?.state ?? 'Waiting';
    if (previous === r.state) continue;
    const { reason, type } = REASONS[r.state];
    const revision =
      r.state === 'Degraded' || r.state === 'RolledBack'
        ? r.runningRevision
        : (r.revision ?? r.runningRevision);
    const phase = r.phase === null ? '' : ` (phase ${r.phase})`;
    const detail = r.message === '' ? '' : `: ${r.message}`;
    events.push({ type, reason, message: `${r.rollout} revision ${revision ?? '-'}${phase}${detail}` });
  }
  return events;
}
