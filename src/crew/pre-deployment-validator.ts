import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReleaseJob, ReleaseSpec } from '../spec/index.js';
import { type BackupTarget, createBackup, type DatabaseBackup } from './backup/index.js';
import type { ReleaseView } from './crew-api.js';
import { checkDependencies, type DependencyReport } from './dependency-check.js';
import { runSuites, type SuiteSpec, type ValidationReport } from './suites/index.js';

/** One item of PREPARE's checklist. */
export interface ChecklistItem {
  item:
    | 'spec valid'
    | 'tests passed'
    | 'artifacts present'
    | 'migrations present'
    | 'dependencies healthy'
    | 'backup verified';
  ok: boolean;
  detail: string;
}

/** The PreDeploymentValidator's readiness report (stored with PREPARE's result). */
export interface ReadinessReport {
  ready: boolean;
  checklist: ChecklistItem[];
  dependencies: DependencyReport | null;
  backup: DatabaseBackup | null;
  tests: ValidationReport | null;
}

/** A release job as the suites runner takes it: cwd resolved against the release file's directory, sandbox required. */
export function suiteOf(job: ReleaseJob, baseDir: string): SuiteSpec {
  return {
    name: job.name,
    command: job.command,
    cwd: resolve(baseDir, job.cwd ?? '.'),
    ...(job.inputs === undefined ? {} : { inputs: job.inputs.map((i) => resolve(baseDir, i)) }),
    ...(job.env === undefined ? {} : { env: job.env }),
    ...(job.timeoutSeconds === undefined ? {} : { timeoutSeconds: job.timeoutSeconds }),
    ...(job.network === undefined ? {} : { network: job.network }),
  };
}

/** The backup target of the release's database, paths resolved against the release file's directory. */
export function databaseOf(spec: ReleaseSpec, baseDir: string): BackupTarget | null {
  const db = spec.prepare?.database;
  if (db?.sqlite !== undefined) return { kind: 'sqlite', path: resolve(baseDir, db.sqlite) };
  if (db?.postgres !== undefined) return { kind: 'postgres', url: db.postgres };
  return null;
}

/**
 * The PreDeploymentValidator's PREPARE: evaluates the checklist (spec valid, tests passed as
 * sandboxed jobs, artifacts present, migrations present, dependencies healthy over HTTP, a database
 * backup taken and verified by restoring it into a scratch database) and returns a readiness
 * report. Items that do not apply (no tests, no database declared) pass with a detail saying so.
 * Never throws for a failed item: it is a row of the report.
 * @param workDir - where backups are written (`$CUTOVER_HOME/releases/<release>`).
 */
export async function prepareRelease(release: ReleaseView, workDir: string): Promise<ReadinessReport> {
  const { spec, baseDir } = release;
  const prepare = spec.prepare ?? {};
  const checklist: ChecklistItem[] = [
    {
      item: 'spec valid',
      ok: true,
      detail: `validated whole at create (${spec.rollouts.length} Rollout(s))`,
    },
  ];

  let tests: ValidationReport | null = null;
  if ((prepare.tests ?? []).length === 0) {
    checklist.push({ item: 'tests passed', ok: true, detail: 'no test job declared' });
  } else {
    tests = await runSuites((prepare.tests ?? []).map((j) => suiteOf(j, baseDir)));
    const failed = tests.suites.filter((s) => s.result !== 'Passed').map((s) => `${s.name} ${s.result}`);
    checklist.push({
      item: 'tests passed',
      ok: tests.passed,
      detail: tests.passed ? `${tests.suites.length} suite(s) passed` : `failed: ${failed.join(', ')}`,
    });
  }

  const missing = (prepare.artifacts ?? []).filter((a) => !existsSync(resolve(baseDir, a)));
  checklist.push({
    item: 'artifacts present',
    ok: missing.length === 0,
    detail:
      (prepare.artifacts ?? []).length === 0
        ? 'no artifact declared'
        : missing.length === 0
          ? `${prepare.artifacts?.join(', ')} present`
          : `missing: ${missing.join(', ')}`,
  });

  if (prepare.migrations === undefined) {
    checklist.push({ item: 'migrations present', ok: true, detail: 'no migrations declared' });
  } else {
    const dir = resolve(baseDir, prepare.migrations.path);
    const files = existsSync(dir) && statSync(dir).isDirectory() ? readdirSync(dir) : [];
    checklist.push({
      item: 'migrations present',
      ok: files.length > 0,
      detail: files.length > 0 ? `${files.length} file(s) in ${dir}` : `no migration file in ${dir}`,
    });
  }

  let dependencies: DependencyReport | null = null;
  if ((prepare.dependencies ?? []).length === 0) {
    checklist.push({ item: 'dependencies healthy', ok: true, detail: 'no dependency declared' });
  } else {
    dependencies = await checkDependencies(prepare.dependencies ?? []);
    const down = dependencies.dependencies.filter((d) => d.status === 'DOWN');
    checklist.push({
      item: 'dependencies healthy',
      ok: down.length === 0,
      detail:
        down.length === 0
          ? `${dependencies.dependencies.length} dependency(ies) UP`
          : `DOWN: ${down.map((d) => `${d.name} (${d.url}: ${d.error ?? d.httpStatus})`).join(', ')}`,
    });
  }

  let backup: DatabaseBackup | null = null;
  const target = databaseOf(spec, baseDir);
  if (target === null) {
    checklist.push({ item: 'backup verified', ok: true, detail: 'no database declared' });
  } else {
    try {
      backup = await createBackup(target, join(workDir, 'backups'));
      checklist.push({
        item: 'backup verified',
        ok: backup.verification.verified,
        detail: `${backup.file} sha256 ${backup.sha256.slice(0, 12)}…: ${backup.verification.detail}`,
      });
    } catch (error) {
      checklist.push({ item: 'backup verified', ok: false, detail: (error as Error).message });
    }
  }
  return { ready: checklist.every((c) => c.ok), checklist, dependencies, backup, tests };
}

/** One line naming every unmet item, e.g. `not ready: dependencies healthy: DOWN: payments (...)`. */
export function readinessFailure(report: ReadinessReport): string {
  return `not ready: ${report.checklist
    .filter((c) => !c.ok)
    .map((c) => `${c.item}: ${c.detail}`)
    .join('; ')}`;
}
