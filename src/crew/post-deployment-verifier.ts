import { resolve } from 'node:path';
import { rolloutIn, rolloutNameIn } from '../release/release-rollouts.js';
import type { SmokeTest } from '../spec/index.js';
import type { CrewApi, ReleaseView } from './crew-api.js';
import { type RollbackDryRunResult, rollbackDryRun } from './rollback-dry-run.js';
import { runSmokeTests, type SmokeReport, type SmokeTestSpec } from './smoke/index.js';

/** The PostDeploymentVerifier's report after a deployment. */
export interface VerificationReport {
  smoke: SmokeReport;
  /** Each monitoring endpoint and whether it answered. */
  monitoring: { endpoint: string; ok: boolean; detail: string }[];
  /** Per Rollout: whether its previous revision can still start (null: no previous revision). */
  dryRun: { rollout: string; revision: number | null; result: RollbackDryRunResult | null }[];
  passed: boolean;
}

/** A smoke test of the release spec as the runner takes it (paths resolved against `baseDir`). */
export function smokeSpec(test: Omit<SmokeTest, 'rollout'>, baseDir: string): SmokeTestSpec {
  if (test.http !== undefined) return { name: test.name, http: test.http };
  const job = test.job ?? { command: ['true'] };
  return {
    name: test.name,
    job: {
      command: job.command,
      cwd: resolve(baseDir, job.cwd ?? '.'),
      ...(job.inputs === undefined ? {} : { inputs: job.inputs.map((i) => resolve(baseDir, i)) }),
      ...(job.env === undefined ? {} : { env: job.env }),
      ...(job.timeoutSeconds === undefined ? {} : { timeoutSeconds: job.timeoutSeconds }),
    },
  };
}

/**
 * Runs the release's smoke tests against each Rollout's port in `environment` (HTTP checks, or
 * sandboxed jobs with `SMOKE_BASE_URL`). A test names its Rollout (`rollout`), the first by default.
 */
export async function smokeTestRelease(release: ReleaseView, environment: string): Promise<SmokeReport> {
  const tests = release.spec.smokeTests ?? [];
  const results: SmokeReport['results'] = [];
  for (const rollout of release.spec.rollouts) {
    const mine = tests.filter((t) => (t.rollout ?? release.spec.rollouts[0]?.name) === rollout.name);
    if (mine.length === 0) continue;
    const port = rolloutIn(rollout, environment).spec.port;
    const report = await runSmokeTests(
      mine.map((t) => smokeSpec(t, release.baseDir)),
      { baseUrl: `http://127.0.0.1:${port}` },
    );
    results.push(...report.results);
  }
  return { passed: results.every((r) => r.passed), results };
}

/**
 * The PostDeploymentVerifier: smoke tests against the new revision, a check that the monitoring
 * endpoints answer (the control plane's `/metrics` and each Rollout's stats), and a rollback
 * dry-run per Rollout: the revision a rollback would restore (DEPLOY checkpoint's, from
 * `rollbackTargets` by Rollout name; without one, the revision before the newest) is started on a
 * free port until ready and stopped, without moving traffic.
 */
export async function verifyDeployment(
  api: CrewApi,
  release: ReleaseView,
  environment: string,
  rollbackTargets: ReadonlyMap<string, number | null> = new Map(),
): Promise<VerificationReport> {
  const smoke = await smokeTestRelease(release, environment);
  const monitoring: VerificationReport['monitoring'] = [];
  const endpoints = [
    '/metrics',
    ...release.spec.rollouts.map((r) => `/api/v1/rollouts/${rolloutNameIn(r.name, environment)}/stats`),
  ];
  for (const endpoint of endpoints) {
    try {
      await api.get(endpoint);
      monitoring.push({ endpoint, ok: true, detail: 'answered' });
    } catch (error) {
      monitoring.push({ endpoint, ok: false, detail: (error as Error).message });
    }
  }
  const dryRun: VerificationReport['dryRun'] = [];
  for (const r of release.spec.rollouts) {
    const name = rolloutNameIn(r.name, environment);
    const revisions = await api.get<{
      items: { number: number; template: Parameters<typeof rollbackDryRun>[0]['template'] }[];
    }>(`/api/v1/rollouts/${name}/revisions`);
    const target = rollbackTargets.get(name);
    const previous =
      target === undefined ? revisions.items.at(-2) : revisions.items.find((v) => v.number === target);
    dryRun.push({
      rollout: name,
      revision: previous?.number ?? null,
      result: previous === undefined ? null : await rollbackDryRun({ template: previous.template }),
    });
  }
  const passed =
    smoke.passed && monitoring.every((m) => m.ok) && dryRun.every((d) => d.result === null || d.result.ready);
  return { smoke, monitoring, dryRun, passed };
}
