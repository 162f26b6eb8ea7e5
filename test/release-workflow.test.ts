import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  CutoverEnv,
  fetchOnce,
  freePorts,
  type LoadGenerator,
  SAMPLE_SERVICE,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/** The parts of `cutover release get -o json` the tests read. */
interface ReleaseJson {
  name: string;
  stage: string;
  environment: string;
  status: string;
  approvals: { actor: string; qualifier: string; comment: string }[];
  stageResults: {
    stage: string;
    environment: string;
    result: string;
    reason?: string;
    report?: Record<string, unknown>;
  }[];
  incidents: {
    trigger: string;
    rollbackType: string;
    status: string;
    reason: string;
    triggerValues: Record<string, unknown>;
    timeline: { reason: string }[];
    rolledBackTo: string;
  }[];
  record: { status: string; timeline: unknown[] } | null;
  approval: { missing: string[] };
}

const ENVIRONMENTS = ['dev', 'staging', 'production'].map((name, i) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Environment',
  metadata: { name },
  spec: { order: i + 1 },
}));

/**
 * The release workflow end to end on real processes: a standard release carried dev → staging →
 * production by the crew (PREPARE checklist, STAGING with smoke tests, VALIDATE suites in the
 * sandbox, APPROVE by a manager, DEPLOY, MONITOR), then a faulty version rolled back by the
 * RollbackCoordinator on its own, with the incident record and the crew's decisions in history.
 */
describe('Release workflow', () => {
  const env = CutoverEnv.create('cutover-release-');
  const suites = mkdtempSync(join(tmpdir(), 'cutover-release-suites-'));
  let ports: number[] = [];
  let load: LoadGenerator | undefined;
  let manager = '';

  const release = (
    name: string,
    version: string,
    extra: Record<string, unknown> = {},
    rolloutEnv: Record<string, string> = {},
  ) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version,
      team: 'payments',
      environments: ['dev', 'staging', 'production'],
      changes: [{ id: 'abc123', description: `shop ${version}`, committedAt: '2026-11-20T10:00:00Z' }],
      rollouts: [
        {
          name: 'shop',
          spec: {
            replicas: 1,
            port: ports[2],
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: { VERSION: version, ...rolloutEnv },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 2,
            },
            strategy: {
              canary: {
                scaleDownDelaySeconds: 1,
                abortScaleDownDelaySeconds: 1,
                steps: [{ setWeight: 50 }, { pause: { duration: '20s' } }],
              },
            },
          },
          environments: {
            dev: { port: ports[0], strategy: { recreate: {} } },
            staging: { port: ports[1], strategy: { recreate: {} } },
          },
        },
      ],
      smokeTests: [{ name: 'healthz', http: { path: '/healthz', expectStatus: 200 } }],
      validation: {
        suites: [
          {
            name: 'unit',
            command: ['node', '--test', '--test-reporter=tap', 'suite.test.mjs'],
            // The team's checkout, outside the data directory: no job may see that.
            cwd: suites,
          },
        ],
      },
      monitor: { checkpoints: ['1s', '2s'] },
      rollback: { errorRate: 0.05, errorRateFor: '3s' },
      ...extra,
    },
  });

  const viaApi = (name: string) => env.apiGet<ReleaseJson>(`/api/v1/releases/${name}`);

  beforeAll(async () => {
    ports = await freePorts(3);
    writeFileSync(
      join(suites, 'suite.test.mjs'),
      "import test from 'node:test';\ntest('adds', () => { if (1 + 1 !== 2) throw new Error('math'); });\ntest.skip('later', () => {});\n",
    );
    env.write('replicas/.keep', '');
    await env.cliOk([
      'apply',
      '-f',
      env.write('environments.yaml', ENVIRONMENTS.map((d) => stringify(d)).join('---\n')),
    ]);
    manager = await env.token('mia', 'approver', 'manager');
  }, 60_000);

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
    rmSync(suites, { recursive: true, force: true });
  });

  it('should carry a standard release dev → staging → production with smoke tests, an approval and a record', async () => {
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('release-v1.yaml', stringify(release('shop-v1', 'v1'))),
    ]);
    const waiting = await waitUntil(
      async () => {
        const r = await viaApi('shop-v1');
        if (r.status === 'FAILED') throw new Error(JSON.stringify(r.stageResults, null, 2));
        return r.status === 'WAITING_APPROVAL' ? r : undefined;
      },
      { timeoutMs: 90_000, what: 'shop-v1 waiting for approval' },
    );
    const results = Object.fromEntries(waiting.stageResults.map((s) => [`${s.stage}@${s.environment}`, s]));
    expect(results['PREPARE@dev']?.result).toBe('Success');
    expect(results['STAGING@dev']?.result).toBe('Success');
    expect(results['STAGING@staging']?.result).toBe('Success');
    expect(JSON.stringify(results['STAGING@staging']?.report)).toContain('healthz');
    const validate = results['VALIDATE@staging']?.report as {
      suites: { name: string; tests: { passed: number; skipped: number } }[];
    };
    expect(validate.suites[0]).toMatchObject({ name: 'unit', tests: { passed: 1, skipped: 1 } });
    // staging runs the same template on its own port
    expect((await env.rolloutFromApi('shop-staging')).status.phase).toBe('Healthy');

    await env.cliOk(['release', 'approve', 'shop-v1', '--comment', 'ship it'], {
      env: { CUTOVER_TOKEN: manager },
    });
    const done = await waitUntil(
      async () => {
        const r = await viaApi('shop-v1');
        return r.status === 'SUCCESS' || r.status === 'FAILED' || r.status === 'ROLLED_BACK' ? r : undefined;
      },
      { timeoutMs: 90_000, what: 'shop-v1 to end' },
    );
    expect(done.status, JSON.stringify(done.stageResults, null, 2)).toBe('SUCCESS');
    expect(done.approvals).toMatchObject([{ actor: 'user:mia', qualifier: 'manager', comment: 'ship it' }]);
    expect(done.record?.status).toBe('SUCCESS');
    const markdown = (await env.cliOk(['release', 'record', 'shop-v1', '--markdown'])).stdout;
    expect(markdown).toContain('SUCCESS');
    expect(markdown).toContain('payments');
  }, 200_000);

  it('should have the RollbackCoordinator roll a faulty version back (traffic) with an incident record', async () => {
    load = startLoad(ports[2] as number, { concurrency: 2, pauseMs: 10 });
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('release-v2.yaml', stringify(release('shop-v2', 'v2', {}, { FAULT_RATE: '0.5' }))),
    ]);
    // the fault shows only in production: dev and staging get no traffic, and smoke tests hit /healthz
    await waitUntil(async () => (await viaApi('shop-v2')).status === 'WAITING_APPROVAL', {
      timeoutMs: 90_000,
      what: 'shop-v2 waiting for approval',
    });
    await env.cliOk(['release', 'approve', 'shop-v2', '--comment', 'looks fine'], {
      env: { CUTOVER_TOKEN: manager },
    });
    const ended = await waitUntil(
      async () => {
        const r = await viaApi('shop-v2');
        return r.status === 'ROLLED_BACK' || r.status === 'FAILED' || r.status === 'SUCCESS' ? r : undefined;
      },
      { timeoutMs: 90_000, what: 'shop-v2 rolled back' },
    );
    expect(ended.status, JSON.stringify(ended.stageResults, null, 2)).toBe('ROLLED_BACK');
    const [incident] = ended.incidents;
    expect(incident, JSON.stringify(ended, null, 2)).toMatchObject({
      trigger: 'errorRate',
      rollbackType: 'traffic',
      status: 'ROLLED_BACK',
    });
    // The sequential test (new revision against stable, every request) or the sustained 5% rule.
    expect(incident?.reason).toMatch(/errors: new revision \d+\/\d+|error rate .* > 0.05/);
    expect(Number(incident?.triggerValues['errorRate'])).toBeGreaterThan(0.05);
    expect(incident?.timeline.map((t) => t.reason)).toEqual(
      expect.arrayContaining(['RollbackStarted', 'TrafficRestored', 'ReleaseRolledBack']),
    );
    expect(incident?.rolledBackTo).toMatch(/shop-production revision 1/);
    // Back on revision 1 and Healthy (an abort alone would leave it Degraded for the next release).
    const rollout = await env.rolloutFromApi('shop-production');
    expect(rollout.status).toMatchObject({ phase: 'Healthy', stableRevision: 1, currentRevision: 1 });
    expect((await fetchOnce(ports[2] as number)).version).toBe('v1');
    expect(ended.record?.status).toBe('ROLLBACK');

    // The crew's abort sits next to the person's apply-through-release in the Rollout's history.
    const history = await env.history('shop-production');
    const actors = history.events.map((e) => `${e.actor} ${e.reason}`);
    expect(actors.some((a) => a.startsWith('agent:rollback-coordinator'))).toBe(true);
    expect(actors.some((a) => a.startsWith('agent:orchestrator'))).toBe(true);
    const text = (await env.cliOk(['history', 'shop-production'])).stdout;
    expect(text).toContain('agent:rollback-coordinator');
    const releaseHistory = (await env.cliOk(['release', 'history', 'shop-v2'])).stdout;
    expect(releaseHistory).toContain('user:mia');
    expect(releaseHistory).toContain('agent:rollback-coordinator');
  }, 200_000);
});
