import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { RolloutResource } from '../api/views.js';
import { deployEnvironment } from '../release/plan-executor.js';
import { deployedRevisionsOf, rolloutNameIn } from '../release/release-rollouts.js';
import { isTerminalStatus, type PlanProgress, releaseEffects } from '../workflow/index.js';
import { createBackup } from './backup/index.js';
import {
  type DeployCheckpoint,
  loadCheckpoint,
  loadDeployedRevisions,
  saveCheckpoint,
  saveDeployedRevisions,
} from './checkpoint.js';
import { type CrewApi, type ReleaseView, reportStage } from './crew-api.js';
import { monitorRelease } from './monitor.js';
import { smokeTestRelease, verifyDeployment } from './post-deployment-verifier.js';
import { databaseOf, prepareRelease, readinessFailure, suiteOf } from './pre-deployment-validator.js';
import { loadLedger, recordKnownGood, rollbackTarget } from './revision-ledger.js';
import { executeRollback, requestRollback } from './rollback-coordinator.js';
import { RollbackWatch } from './rollback-watch.js';
import { sampleRevision } from './rollout-sample.js';
import { runSuites } from './suites/index.js';

/** The crew's agents; each acts through the API with its own token (`agent:<name>`). */
export const CREW_AGENTS = [
  'pre-deployment-validator',
  'orchestrator',
  'post-deployment-verifier',
  'rollback-coordinator',
  'release-manager',
] as const;
export type CrewAgent = (typeof CREW_AGENTS)[number];

/**
 * The crew agent that owns each stage: the only identity whose stage results the API accepts
 * (APPROVE has none: it moves on approvals). A person cannot report a stage, whatever the role.
 */
export const STAGE_OWNERS: Readonly<Record<string, CrewAgent>> = {
  PREPARE: 'pre-deployment-validator',
  VALIDATE: 'pre-deployment-validator',
  STAGING: 'orchestrator',
  DEPLOY: 'orchestrator',
  MONITOR: 'post-deployment-verifier',
  ROLLBACK: 'rollback-coordinator',
};

export interface CrewOptions {
  /** The API as each agent (its own token). */
  api: (agent: CrewAgent) => CrewApi;
  /** `$CUTOVER_HOME/releases`: per-release work directories (backups, DEPLOY checkpoint). */
  workDir: string;
  now: () => number;
  logger: Logger;
  /** Period of the crew's look at the releases, ms. @default 500 */
  intervalMs?: number;
}

const execFileAsync = promisify(execFile);

/**
 * The deployment crew: a level-triggered loop over the live releases (read through the API, as
 * the event log's subscribers) that starts, for each one, the work its state asks for
 * (`releaseEffects`): PREPARE and VALIDATE (PreDeploymentValidator), STAGING and DEPLOY
 * (Orchestrator, with the PostDeploymentVerifier's smoke tests), MONITOR (PostDeploymentVerifier),
 * ROLLBACK (RollbackCoordinator), and the RollbackCoordinator's watch of every release in DEPLOY
 * or MONITOR. Each piece of work runs once per stage; its result goes back through the API. A
 * stage whose work was interrupted (a server restart) runs again: every step is idempotent.
 */
export class Crew {
  readonly #tasks = new Map<string, AbortController>();
  readonly #done = new Set<string>();
  readonly #watches = new Map<string, { watch: RollbackWatch; lastAt: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly options: CrewOptions) {}

  start(): void {
    const loop = () => {
      this.#running = this.tick()
        .catch((error) => this.options.logger.warn({ err: error }, 'crew: look at releases failed'))
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = setTimeout(loop, this.options.intervalMs ?? 500);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const task of this.#tasks.values()) task.abort();
    await this.#running;
  }

  /** One look at every live release. */
  async tick(): Promise<void> {
    const api = this.options.api('release-manager');
    const { items } = await api.get<{ items: ReleaseView[] }>('/api/v1/releases?active=true');
    const wanted = new Set<string>();
    for (const release of items) {
      if (isTerminalStatus(release.status)) continue;
      for (const effect of releaseEffects(release)) {
        if (effect.type === 'runStage') {
          const key = `${release.name}/${effect.stage}/${effect.environment}`;
          wanted.add(key);
          this.#run(key, release, (signal) => this.#stage(release, signal));
        } else if (effect.type === 'startRollback') {
          const key = `${release.name}/ROLLBACK`;
          wanted.add(key);
          this.#run(key, release, () => this.#rollback(release));
        }
      }
      if (release.status === 'RUNNING' && (release.stage === 'DEPLOY' || release.stage === 'MONITOR')) {
        await this.#watch(release);
      }
    }
    for (const [key, task] of this.#tasks) {
      if (!wanted.has(key)) {
        task.abort();
        this.#tasks.delete(key);
      }
    }
  }

  #run(key: string, release: ReleaseView, work: (signal: AbortSignal) => Promise<void>): void {
    if (this.#tasks.has(key) || this.#done.has(key)) return;
    const controller = new AbortController();
    this.#tasks.set(key, controller);
    work(controller.signal)
      .then(() => this.#done.add(key))
      .catch((error) => {
        this.options.logger.warn(
          { err: error, release: release.name, key },
          'crew: stage work failed; retrying',
        );
      })
      .finally(() => {
        if (this.#tasks.get(key) === controller) this.#tasks.delete(key);
      });
  }

  async #watch(release: ReleaseView): Promise<void> {
    const now = this.options.now();
    let entry = this.#watches.get(release.name);
    if (entry === undefined) {
      entry = {
        watch: new RollbackWatch(this.options.api('rollback-coordinator'), this.options.now),
        lastAt: 0,
      };
      this.#watches.set(release.name, entry);
    }
    if (now - entry.lastAt < 1000) return;
    entry.lastAt = now;
    const workDir = this.#workDir(release);
    const context = { checkpoint: loadCheckpoint(workDir), deployed: loadDeployedRevisions(workDir) };
    await entry.watch.observe(release, context).catch((error) => {
      this.options.logger.warn({ err: error, release: release.name }, 'crew: rollback watch failed');
    });
  }

  #workDir(release: ReleaseView): string {
    return join(this.options.workDir, release.name);
  }

  async #stage(release: ReleaseView, signal: AbortSignal): Promise<void> {
    switch (release.stage) {
      case 'PREPARE': {
        const api = this.options.api('pre-deployment-validator');
        const report = await prepareRelease(release, this.#workDir(release));
        if (signal.aborted) return;
        await reportStage(
          api,
          release,
          report.ready ? 'Succeeded' : 'Failed',
          report,
          report.ready ? undefined : readinessFailure(report),
        );
        return;
      }
      case 'VALIDATE': {
        const api = this.options.api('pre-deployment-validator');
        const suites = release.spec.validation?.suites ?? [];
        const report = await runSuites(
          suites.map((s) => suiteOf(s, release.baseDir)),
          { signal },
        );
        if (signal.aborted) return;
        const failed = report.suites.filter((s) => s.result !== 'Passed').map((s) => `${s.name} ${s.result}`);
        await reportStage(
          api,
          release,
          report.passed ? 'Succeeded' : 'Failed',
          report,
          report.passed ? undefined : `test suites failed: ${failed.join(', ')}`,
        );
        return;
      }
      case 'STAGING': {
        const api = this.options.api('orchestrator');
        const deploy = await deployEnvironment(api, release, release.environment, {
          signal,
          ledgerDir: this.options.workDir,
          clock: this.options.now,
          onProgress: (progress) => this.#progress(api, release, progress),
        });
        if (signal.aborted) return;
        if (!deploy.ok) {
          if (deploy.escalate === true)
            await this.#finding(
              api,
              release,
              'escalation',
              `plan failed in ${release.environment}: ${deploy.reason}`,
            );
          await reportStage(api, release, 'Failed', { deploy: deploy.report }, deploy.reason);
          return;
        }
        await this.#reportWithSmokeTests(api, release, { deploy: deploy.report }, 'smoke tests failed');
        return;
      }
      case 'DEPLOY':
        return this.#deploy(release, signal);
      case 'MONITOR': {
        const api = this.options.api('post-deployment-verifier');
        const startedAt =
          [...release.history].reverse().find((h) => h.reason === 'StageStarted' && h.to.stage === 'MONITOR')
            ?.at ?? this.options.now();
        const checkpoint = loadCheckpoint(this.#workDir(release));
        const report = await monitorRelease(api, release, startedAt, checkpoint?.baselineP99Ms ?? null, {
          now: this.options.now,
          signal,
          onFinding: (message) => this.#finding(api, release, 'investigate', message),
        });
        if (signal.aborted) return;
        const failed = report.metrics['failedRequests'] ?? 0;
        if (failed > 0) {
          await this.#finding(
            api,
            release,
            'escalation',
            `zero-downtime violation: ${failed} client request(s) failed in the router`,
          );
        }
        if (report.verdict === 'rollback') {
          const last = report.checkpoints.at(-1);
          const finding = last?.findings.find((f) => f.level === 'rollback');
          await requestRollback(
            this.options.api('rollback-coordinator'),
            release,
            'monitor',
            finding?.message ?? 'MONITOR checkpoint',
            {
              errorRate: report.metrics['errorRate'] ?? null,
              checkpointS: last?.checkpointS ?? null,
            },
          );
          return;
        }
        await reportStage(api, release, 'Succeeded', report);
        await this.#recordShipped(release);
        return;
      }
      default:
        return;
    }
  }

  /** DEPLOY: checkpoint, migrations, the production Rollouts, then the PostDeploymentVerifier. */
  async #deploy(release: ReleaseView, signal: AbortSignal): Promise<void> {
    const api = this.options.api('orchestrator');
    const workDir = this.#workDir(release);
    // A DEPLOY resumed after a restart keeps its first checkpoint: taken again, it could record the
    // new revision as the one to roll back to.
    const previous = loadCheckpoint(workDir);
    if (previous !== null) return this.#deployFrom(release, signal, previous);
    const checkpoint: DeployCheckpoint = {
      at: this.options.now(),
      rollouts: [],
      backup: null,
      baselineP99Ms: null,
    };
    for (const r of release.spec.rollouts) {
      const name = rolloutNameIn(r.name, release.environment);
      const view = await api.get<RolloutResource>(`/api/v1/rollouts/${name}`).catch(() => null);
      const revisions =
        view === null
          ? { items: [] }
          : await api.get<{ items: { number: number; hash: string }[] }>(
              `/api/v1/rollouts/${name}/revisions`,
            );
      checkpoint.rollouts.push({
        name,
        // Never a version the crew rolled back from, even if a failed rollback left it stable.
        stableRevision: rollbackTarget(
          loadLedger(this.options.workDir, name),
          view?.status.stableRevision ?? null,
          revisions.items,
        ),
        revisions: revisions.items.map((v) => v.number),
        spec: view?.spec ?? null,
      });
      if (view?.status.stableRevision != null) {
        const sample = await sampleRevision(api, name, view.status.stableRevision, 60, 0.99);
        if (sample?.latencyMs != null)
          checkpoint.baselineP99Ms = Math.max(checkpoint.baselineP99Ms ?? 0, sample.latencyMs);
      }
    }
    const database = databaseOf(release.spec, release.baseDir);
    if (database !== null) {
      checkpoint.backup = await createBackup(database, join(workDir, 'backups'));
      if (!checkpoint.backup.verification.verified) {
        await reportStage(
          api,
          release,
          'Failed',
          { checkpoint },
          `checkpoint backup not verified: ${checkpoint.backup.verification.detail}`,
        );
        return;
      }
    }
    saveCheckpoint(workDir, checkpoint);
    return this.#deployFrom(release, signal, checkpoint);
  }

  /** DEPLOY after its checkpoint: migrations, the production Rollouts, the PostDeploymentVerifier. */
  async #deployFrom(release: ReleaseView, signal: AbortSignal, checkpoint: DeployCheckpoint): Promise<void> {
    const api = this.options.api('orchestrator');
    const workDirOf = this.#workDir(release);
    const migrations = release.spec.prepare?.migrations;
    let migrationOutput = '';
    if (migrations?.command !== undefined) {
      const [file, ...args] = migrations.command;
      try {
        const out = await execFileAsync(file ?? 'true', args, {
          cwd: resolve(release.baseDir),
          timeout: 300_000,
          signal,
        });
        migrationOutput = `${out.stdout}${out.stderr}`.slice(-4096);
      } catch (error) {
        await requestRollback(
          this.options.api('rollback-coordinator'),
          release,
          'migration',
          `migration failed: ${(error as Error).message}`,
          {},
        );
        return;
      }
    }
    const deploy = await deployEnvironment(api, release, release.environment, {
      signal,
      // A rollback release is immediate (seed 004): no canary step, no analysis.
      now: release.type === 'rollback',
      onApplied: (rollouts) => saveDeployedRevisions(workDirOf, { at: this.options.now(), rollouts }),
      onProgress: (progress) => this.#progress(api, release, progress),
      fromRevisions: new Map(checkpoint.rollouts.map((c) => [c.name, c.stableRevision])),
      ledgerDir: this.options.workDir,
      clock: this.options.now,
    });
    if (signal.aborted) return;
    if (!deploy.ok) {
      if (deploy.escalate === true)
        await this.#finding(
          api,
          release,
          'escalation',
          `plan failed in ${release.environment}, every Rollout it moved returns to the checkpoint: ${deploy.reason}`,
        );
      await requestRollback(
        this.options.api('rollback-coordinator'),
        release,
        'healthCheck',
        deploy.reason ?? 'deploy failed',
        {},
      );
      return;
    }
    const verification = await verifyDeployment(
      this.options.api('post-deployment-verifier'),
      release,
      release.environment,
      new Map(checkpoint.rollouts.map((c) => [c.name, c.stableRevision])),
    );
    if (signal.aborted) return;
    if (!verification.smoke.passed) {
      const failed = verification.smoke.results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.detail}`);
      await requestRollback(
        this.options.api('rollback-coordinator'),
        release,
        'smokeTest',
        `smoke tests failed: ${failed.join('; ')}`,
        {
          failed: failed.length,
        },
      );
      return;
    }
    for (const m of verification.monitoring.filter((x) => !x.ok)) {
      await this.#finding(
        api,
        release,
        'investigate',
        `monitoring endpoint ${m.endpoint} did not answer: ${m.detail}`,
      );
    }
    for (const d of verification.dryRun.filter((x) => x.result !== null && !x.result.ready)) {
      await this.#finding(
        api,
        release,
        'escalation',
        `rollback dry-run: revision ${d.revision} of ${d.rollout} cannot start: ${d.result?.detail}`,
      );
    }
    await reportStage(api, release, 'Succeeded', {
      checkpoint,
      migrationOutput,
      deploy: deploy.report,
      verification,
    });
  }

  async #rollback(release: ReleaseView): Promise<void> {
    const api = this.options.api('rollback-coordinator');
    const type = release.rollback?.type ?? 'traffic';
    try {
      const toRelease = release.rollback?.toRelease;
      let targets: Map<string, number> | undefined;
      if (toRelease !== undefined) {
        const earlier = await api.get<ReleaseView>(`/api/v1/releases/${toRelease}`);
        targets = new Map((deployedRevisionsOf(earlier) ?? []).map((d) => [d.name, d.revision]));
      }
      const report = await executeRollback(api, release, {
        type,
        workDir: this.#workDir(release),
        ledgerDir: this.options.workDir,
        now: this.options.now,
        ...(targets === undefined ? {} : { targets }),
      });
      if (type === 'database') {
        await reportStage(api, release, 'Succeeded', report);
        return;
      }
      // The PostDeploymentVerifier's smoke tests, again, against the restored version.
      await this.#reportWithSmokeTests(
        api,
        release,
        report,
        'smoke tests failed against the restored version',
      );
    } catch (error) {
      await reportStage(api, release, 'Failed', { type }, (error as Error).message);
    }
  }

  /** Runs the release's smoke tests in its environment and reports the stage with them: failed if one failed. */
  async #reportWithSmokeTests(
    api: CrewApi,
    release: ReleaseView,
    report: object,
    failure: string,
  ): Promise<void> {
    const smoke = await smokeTestRelease(release, release.environment);
    const failed = smoke.results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.detail}`);
    await reportStage(
      api,
      release,
      smoke.passed ? 'Succeeded' : 'Failed',
      { ...report, smoke },
      smoke.passed ? undefined : `${failure}: ${failed.join('; ')}`,
    );
  }

  /** MONITOR passed: the revisions this release deployed are the known-good versions now. */
  async #recordShipped(release: ReleaseView): Promise<void> {
    const deployed = loadDeployedRevisions(this.#workDir(release));
    const api = this.options.api('post-deployment-verifier');
    for (const { name, revision } of deployed?.rollouts ?? []) {
      const revisions = await api.get<{ items: { number: number; hash: string }[] }>(
        `/api/v1/rollouts/${name}/revisions`,
      );
      const hash = revisions.items.find((v) => v.number === revision)?.hash;
      if (hash === undefined) continue;
      recordKnownGood(this.options.workDir, name, {
        revision,
        hash,
        release: release.name,
        at: this.options.now(),
      });
    }
  }

  /** Reports the plan's progress; a failed report is logged, never fails the stage. */
  async #progress(api: CrewApi, release: ReleaseView, progress: PlanProgress): Promise<void> {
    await api.post(`/api/v1/releases/${release.name}/progress`, progress).catch((error) => {
      this.options.logger.warn({ err: error, release: release.name }, 'crew: progress report failed');
    });
  }

  async #finding(
    api: CrewApi,
    release: ReleaseView,
    level: 'investigate' | 'escalation',
    message: string,
  ): Promise<void> {
    await api.post(`/api/v1/releases/${release.name}/findings`, { level, message });
  }
}
