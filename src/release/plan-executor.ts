import { join } from 'node:path';
import type { ReleaseView, RolloutResource } from '../api/views.js';
import type { CrewApi } from '../crew/crew-api.js';
import { smokeSpec } from '../crew/post-deployment-verifier.js';
import { rollbackRollout } from '../crew/rollout-rollback.js';
import { runSmokeTests } from '../crew/smoke/index.js';
import type { FailureMode, SmokeTest } from '../spec/index.js';
import { type PlanPhase, type PlanProgress, planPercent } from '../workflow/index.js';
import { RolloutPlan } from '../workflow/release/rollout-plan.js';
import { checkReadinessGate } from './readiness-gate.js';
import { rolloutsIn } from './release-rollouts.js';

/** What deploying a release's Rollouts in one environment found. */
interface DeployReport {
  environment: string;
  /** The Rollouts started, in plan order, as last seen. */
  rollouts: { name: string; revision: number; phase: string; message: string }[];
  /** Rollouts the plan has not started yet, in plan order. */
  waiting: string[];
  /** The last check of each readiness gate, by Rollout name in the environment. */
  gates?: Record<string, { ok: boolean; detail: string }>;
  /** Rollouts that failed with `gracefulDegradation` and run their previous revision again. */
  degraded?: { name: string; revision: number | null; runningRevision: number | null; reason: string }[];
}

/** `readinessGate.timeoutSeconds` when absent. */
const DEFAULT_GATE_TIMEOUT_SECONDS = 180;

export interface DeployOptions {
  /** Poll period while waiting for the Rollouts, ms. @default 250 */
  pollMs?: number;
  /** Longest wait for every Rollout to be carried out, ms. @default 600000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Fast-track every new revision: no canary step, no analysis (a release of type rollback). @default false */
  now?: boolean;
  /**
   * Called after each apply, and after a Rollout degrades, with every revision of the release that
   * serves or is rolling out (DEPLOY records them for the watch and MONITOR); a degraded
   * Rollout's revision is not among them.
   */
  onApplied?: (revisions: { name: string; revision: number }[]) => void;
  /** Called with the plan's progress whenever it changes (the crew reports it through the API). */
  onProgress?: (progress: PlanProgress) => Promise<void>;
  /**
   * The revision each Rollout (by name in the environment) ran before the release: where a
   * `gracefulDegradation` failure returns it (DEPLOY passes its checkpoint's). @default each
   * Rollout's stable revision when the plan starts
   */
  fromRevisions?: ReadonlyMap<string, number | null>;
  /** The crew's work directory: the revision ledger of a degraded Rollout. */
  ledgerDir: string;
  /** ms since the epoch. @default Date.now */
  clock?: () => number;
}

/** The outcome of {@link deployEnvironment}. */
export interface DeployResult {
  ok: boolean;
  reason?: string;
  /** The failure calls for the whole plan's rollback and an escalation (immediateEscalation). */
  escalate?: boolean;
  report: DeployReport;
  progress: PlanProgress;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Orchestrator: carries the release's Rollouts out in `environment` (their layered spec) as the
 * release's plan says ({@link RolloutPlan}: `dependsOn`, `priority`, `plan.maxParallelism`;
 * without them, all at once). Each phase (the Rollouts that may start now) is applied through
 * `POST /api/v1/apply` after a checkpoint of every Rollout's stable revision; the rollout engine
 * carries each to Healthy with the new revision stable (as `kubectl argo rollouts status`, with
 * its own strategy: canary steps, analysis, blue-green; unless `now`, which fast-tracks each new
 * revision as `undo --now`); then its readiness gate and the plan's `afterEach` smoke tests must
 * pass before its dependents start. A Rollout that is Healthy does not start while starting it would
 * leave fewer than `plan.minHealthy` Healthy. When every Rollout is carried out, the plan's
 * `connectivityTest` runs.
 *
 * A Rollout's failure (aborted, Degraded, gate or test failed) with `failureMode:
 * gracefulDegradation` returns that Rollout alone to its previous revision and the plan goes on
 * (its dependents start) while `plan.quorum` Rollouts can still ship and `plan.minHealthy` hold;
 * otherwise the result is `escalate`: the crew rolls the whole plan back.
 * @returns ok false with the reason when the plan fails or is not carried out in time; the
 *   Rollouts not started stay where they were (`report.waiting`).
 */
export async function deployEnvironment(
  api: CrewApi,
  release: ReleaseView,
  environment: string,
  options: DeployOptions,
): Promise<DeployResult> {
  const clock = options.clock ?? Date.now;
  const specs = release.spec.rollouts;
  const inEnv = rolloutsIn(release.spec, environment);
  const byName = new Map(specs.map((r, i) => [r.name, { spec: r, doc: inEnv[i]! }]));
  const planSpec = release.spec.plan ?? {};
  const plan = new RolloutPlan(
    specs.map((r) => ({
      name: r.name,
      ...(r.dependsOn !== undefined ? { dependsOn: r.dependsOn } : {}),
      ...(r.priority !== undefined ? { priority: r.priority } : {}),
    })),
    planSpec.maxParallelism,
  );
  const minHealthy = planSpec.minHealthy ?? 0;
  const quorum = planSpec.quorum ?? 1;
  const file = join(release.baseDir, `${release.name}.release.yaml`);
  const views = new Map<string, RolloutResource | null>();
  const readViews = async () => {
    for (const r of specs) {
      const name = byName.get(r.name)!.doc.metadata.name;
      views.set(r.name, await api.get<RolloutResource>(`/api/v1/rollouts/${name}`).catch(() => null));
    }
  };
  await readViews();
  const progress: PlanProgress = {
    environment,
    percent: 0,
    rollouts: plan.order.map((name) => {
      const rollout = byName.get(name)!.doc.metadata.name;
      const view = views.get(name) ?? null;
      const from = options.fromRevisions?.get(rollout);
      return {
        name,
        rollout,
        after: plan.waitsFor(name),
        state: 'Waiting',
        phase: null,
        fromRevision: from === undefined ? (view?.status.stableRevision ?? null) : from,
        revision: null,
        runningRevision: view?.status.stableRevision ?? null,
        step: null,
        weight: 0,
        message: '',
      };
    }),
    phases: [],
    smokeTests: [],
    updatedAt: clock(),
  };
  const entry = (name: string) => progress.rollouts.find((r) => r.name === name)!;
  const report: DeployReport = { environment, rollouts: [], waiting: [] };
  let published = '';
  const publish = async () => {
    progress.percent = planPercent(progress.rollouts);
    const text = JSON.stringify({ ...progress, updatedAt: 0 });
    if (text === published) return;
    published = text;
    progress.updatedAt = clock();
    await options.onProgress?.(structuredClone(progress));
  };
  const applied = () =>
    progress.rollouts.flatMap((r) =>
      r.revision === null || r.state === 'Degraded' ? [] : [{ name: r.rollout, revision: r.revision }],
    );
  const gatedSince = new Map<string, number>();
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);

  const fail = async (name: string, reason: string): Promise<DeployResult | null> => {
    const r = entry(name);
    const mode: FailureMode = byName.get(name)!.spec.failureMode ?? 'immediateEscalation';
    if (mode === 'immediateEscalation') {
      Object.assign(r, { state: 'Failed', message: reason });
      await publish();
      return { ok: false, escalate: true, reason: `${r.rollout} failed: ${reason}`, report, progress };
    }
    r.message = reason;
    if (r.fromRevision === null) {
      Object.assign(r, { state: 'Failed', message: `${reason}; no previous revision to return to` });
      await publish();
      return { ok: false, escalate: true, reason: `${r.rollout} failed: ${r.message}`, report, progress };
    }
    try {
      r.runningRevision = await rollbackRollout(api, r.rollout, r.fromRevision, {
        ledgerDir: options.ledgerDir,
        release: release.name,
        now: clock,
        note: () => undefined,
      });
    } catch (error) {
      Object.assign(r, { state: 'Failed', message: `${reason}; ${(error as Error).message}` });
      await publish();
      return { ok: false, escalate: true, reason: `${r.rollout} failed: ${r.message}`, report, progress };
    }
    Object.assign(r, {
      state: 'Degraded',
      weight: 0,
      message: `${reason}; back on revision ${r.fromRevision}`,
    });
    report.degraded = [
      ...(report.degraded ?? []),
      { name: r.rollout, revision: r.revision, runningRevision: r.runningRevision, reason },
    ];
    options.onApplied?.(applied());
    await publish();
    const canShip = progress.rollouts.filter((x) => x.state !== 'Degraded' && x.state !== 'Failed').length;
    if (canShip < quorum) {
      return {
        ok: false,
        escalate: true,
        reason: `plan.quorum ${quorum} lost: ${r.rollout} degraded, only ${canShip} Rollout(s) can still ship the new revision`,
        report,
        progress,
      };
    }
    return null;
  };

  /** Runs the plan's afterEach tests against a Rollout; the failure's detail, or null. */
  const afterEach = async (name: string): Promise<string | null> => {
    const tests = planSpec.afterEach ?? [];
    if (tests.length === 0) return null;
    const port = byName.get(name)!.doc.spec.port;
    const result = await runSmokeTests(
      tests.map((t) => smokeSpec(t, release.baseDir)),
      { baseUrl: `http://127.0.0.1:${port}` },
    );
    for (const t of result.results)
      progress.smokeTests.push({
        kind: 'afterEach',
        name: t.name,
        rollout: name,
        passed: t.passed,
        detail: t.detail ?? '',
        at: clock(),
      });
    const failed = result.results.filter((t) => !t.passed);
    return failed.length === 0 ? null : `afterEach ${failed.map((t) => `${t.name}: ${t.detail}`).join('; ')}`;
  };

  const healthyNow = () => specs.filter((r) => isHealthy(views.get(r.name) ?? null)).length;

  for (;;) {
    if (options.signal?.aborted) return { ok: false, reason: 'stopped', report, progress };
    const started = new Set(progress.rollouts.filter((r) => r.state !== 'Waiting').map((r) => r.name));
    const settled = new Set(
      progress.rollouts.filter((r) => r.state === 'Healthy' || r.state === 'Degraded').map((r) => r.name),
    );
    // minHealthy: a Rollout Healthy now takes one from the count when it starts.
    let healthy = healthyNow();
    const starting: string[] = [];
    let heldBack = '';
    for (const name of plan.ready(started, settled)) {
      const counts = isHealthy(views.get(name) ?? null);
      if (counts && healthy - 1 < minHealthy) {
        heldBack = `${entry(name).rollout} waits: starting it would leave ${healthy - 1} Healthy, fewer than plan.minHealthy ${minHealthy}`;
        continue;
      }
      if (counts) healthy--;
      starting.push(name);
    }
    if (starting.length > 0) {
      const phase: PlanPhase = {
        at: clock(),
        started: starting.map((n) => entry(n).rollout),
        checkpoint: Object.fromEntries(
          progress.rollouts.map((r) => [r.rollout, views.get(r.name)?.status.stableRevision ?? null]),
        ),
      };
      progress.phases.push(phase);
      const result = await api.post<{ results: { name: string; revision: number }[] }>('/api/v1/apply', {
        file,
        text: starting.map((n) => JSON.stringify(byName.get(n)!.doc)).join('\n---\n'),
        ...(options.now === true ? { now: true } : {}),
      });
      for (const name of starting) {
        const r = entry(name);
        const revision = result.results.find((x) => x.name === r.rollout)?.revision ?? null;
        Object.assign(r, { state: 'Progressing', phase: progress.phases.length, revision, message: '' });
      }
      options.onApplied?.(applied());
      await publish();
    }
    await readViews();
    for (const r of progress.rollouts) {
      const view = views.get(r.name) ?? null;
      if (view === null) continue;
      const s = view.status;
      if (r.state !== 'Degraded') r.runningRevision = s.stableRevision;
      if (r.state !== 'Progressing' && r.state !== 'Verifying') continue;
      const steps = view.spec.strategy?.canary?.steps?.length ?? 0;
      r.step = steps === 0 ? null : { index: Math.min(s.currentStepIndex ?? 0, steps), count: steps };
      r.weight = s.currentRevision === r.revision ? s.weights.canary : 0;
      // Until the controller has reconciled the applied revision, the status is the previous
      // update's (perhaps an aborted one): not this release's to judge.
      if (s.currentRevision !== r.revision) continue;
      r.message = s.message;
      if (s.abort || s.phase === 'Degraded') {
        const outcome = await fail(r.name, `${s.phase}: ${s.message}`);
        if (outcome !== null) return outcome;
        continue;
      }
      if (!(s.phase === 'Healthy' && s.stableRevision === r.revision)) continue;
      r.state = 'Verifying';
      r.weight = 100;
      const gate = byName.get(r.name)!.spec.readinessGate;
      if (gate !== undefined) {
        const since = gatedSince.get(r.name) ?? Date.now();
        gatedSince.set(r.name, since);
        const check = await checkReadinessGate(gate, view.spec.port);
        report.gates = { ...report.gates, [r.rollout]: check };
        if (!check.ok) {
          const timeout = gate.timeoutSeconds ?? DEFAULT_GATE_TIMEOUT_SECONDS;
          if (Date.now() - since <= timeout * 1000) continue;
          const outcome = await fail(
            r.name,
            `readinessGate did not hold within ${timeout} s: ${check.detail}`,
          );
          if (outcome !== null) return outcome;
          continue;
        }
      }
      const failed = await afterEach(r.name);
      if (failed !== null) {
        const outcome = await fail(r.name, failed);
        if (outcome !== null) return outcome;
        continue;
      }
      Object.assign(r, { state: 'Healthy', message: '' });
    }
    report.rollouts = progress.rollouts.flatMap((r) => {
      const s = views.get(r.name)?.status;
      return r.state === 'Waiting' || s === undefined
        ? []
        : [{ name: r.rollout, revision: s.currentRevision, phase: s.phase, message: s.message }];
    });
    report.waiting = progress.rollouts.filter((r) => r.state === 'Waiting').map((r) => r.rollout);
    await publish();
    const inFlight = progress.rollouts.some((r) => r.state === 'Progressing' || r.state === 'Verifying');
    if (!inFlight && report.waiting.length === 0) return connectivity();
    // A Rollout settled in this pass: the next pass may start its dependents.
    if (
      progress.rollouts.some((r) => (r.state === 'Healthy' || r.state === 'Degraded') && !settled.has(r.name))
    )
      continue;
    if (!inFlight && starting.length === 0) {
      // Nothing runs and nothing may start: only minHealthy or failures can cause it (a cycle is
      // refused at create).
      return { ok: false, escalate: true, reason: heldBack || 'the plan cannot go on', report, progress };
    }
    if (Date.now() > deadline)
      return {
        ok: false,
        escalate: true,
        reason: 'the Rollouts were not carried out in time',
        report,
        progress,
      };
    await sleep(options.pollMs ?? 250);
  }

  async function connectivity(): Promise<DeployResult> {
    const test: SmokeTest | undefined = planSpec.connectivityTest;
    if (healthyNow() < minHealthy) {
      return {
        ok: false,
        escalate: true,
        reason: `plan.minHealthy ${minHealthy} does not hold: ${healthyNow()} Rollout(s) Healthy`,
        report,
        progress,
      };
    }
    if (test === undefined) return { ok: true, report, progress };
    const name = test.rollout ?? specs[0]!.name;
    const result = await runSmokeTests([smokeSpec(test, release.baseDir)], {
      baseUrl: `http://127.0.0.1:${byName.get(name)!.doc.spec.port}`,
    });
    const t = result.results[0]!;
    progress.smokeTests.push({
      kind: 'connectivityTest',
      name: t.name,
      rollout: name,
      passed: t.passed,
      detail: t.detail ?? '',
      at: clock(),
    });
    await publish();
    return t.passed
      ? { ok: true, report, progress }
      : {
          ok: false,
          escalate: true,
          reason: `connectivityTest ${t.name} failed: ${t.detail}`,
          report,
          progress,
        };
  }
}

/** Healthy on either revision: the agent serves (not rolling out, not aborted). */
function isHealthy(view: RolloutResource | null): boolean {
  return view !== null && view.status.phase === 'Healthy' && !view.status.abort;
}
