import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CutoverEnv, fetchOnce, freePort, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';
import { type PacedLoad, pacedLoad } from './support/paced-load.js';

/** The parts of a release the tests read (`GET /api/v1/releases/:name`). */
interface ReleaseJson {
  status: string;
  stage: string;
  stageResults: { stage: string; result: string; reason?: string; report?: Record<string, unknown> }[];
  incidents: {
    trigger: string;
    status: string;
    reason: string;
    triggerValues: Record<string, unknown>;
    detectedAt: number;
    timeline: { at: number; reason: string }[];
  }[];
  record: { timeline: { reason: string; actor?: string }[] } | null;
}

interface DeployReport {
  checkpoint: { rollouts: { name: string; stableRevision: number | null }[] };
  verification: { dryRun: { rollout: string; revision: number | null }[] };
}

/** Steps of a healthy release: a short canary (a faulty one keeps the 30 s pause to be caught in). */
const SHORT = [{ setWeight: 20 }, { pause: { duration: '3s' } }, { setWeight: 60 }];

const PRODUCTION = {
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'production' },
  spec: { order: 1 },
};

/**
 * The RollbackCoordinator on real processes, one canary service through a series of releases: a
 * fault caught at the step where it appears, a rollback after the canary completed (defect A), the
 * release after an abort (B), a slow stable version not blamed on the new one (C), a checkpoint that
 * never names a rolled-back version (D), the dry-run of the checkpoint's revision (E), and
 * `release rollback --to-release` after SUCCESS.
 */
describe('Release rollbacks (canary)', () => {
  const env = CutoverEnv.create('cutover-rollbacks-');
  let port = 0;
  let manager = '';
  let ops = '';
  let load: PacedLoad | undefined;

  const release = (
    name: string,
    version: string,
    extra: {
      env?: Record<string, string>;
      steps?: unknown[];
      rollback?: object;
      monitor?: object;
      type?: string;
    } = {},
  ) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version,
      ...(extra.type === undefined ? {} : { type: extra.type }),
      team: 'payments',
      environments: ['production'],
      rollouts: [
        {
          name: 'shop',
          spec: {
            replicas: 1,
            port,
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: { VERSION: version, ...extra.env },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 2,
            },
            strategy: {
              canary: {
                scaleDownDelaySeconds: 1,
                abortScaleDownDelaySeconds: 1,
                steps: extra.steps ?? [{ setWeight: 20 }, { pause: { duration: '30s' } }, { setWeight: 60 }],
              },
            },
          },
        },
      ],
      smokeTests: [{ name: 'healthz', http: { path: '/healthz', expectStatus: 200 } }],
      monitor: extra.monitor ?? { checkpoints: ['2s'] },
      rollback: extra.rollback ?? {},
    },
  });

  const get = (name: string) => env.apiGet<ReleaseJson>(`/api/v1/releases/${name}`);
  const create = async (doc: object, file: string) => {
    await env.cliOk(['release', 'create', '-f', env.write(file, stringify(doc))]);
  };
  const approveWhenAsked = async (name: string, token = manager) => {
    await waitUntil(async () => (await get(name)).status === 'WAITING_APPROVAL', {
      timeoutMs: 60_000,
      what: `${name} waiting for approval`,
    });
    await env.cliOk(['release', 'approve', name, '--comment', 'ok'], { env: { CUTOVER_TOKEN: token } });
  };
  const ended = (name: string, timeoutMs = 120_000) =>
    waitUntil(
      async () => {
        const r = await get(name);
        return ['SUCCESS', 'ROLLED_BACK', 'FAILED', 'CANCELLED', 'REJECTED'].includes(r.status)
          ? r
          : undefined;
      },
      { timeoutMs, what: `${name} to end` },
    );
  /** The Rollout's events since `since` (ms), oldest first. */
  const eventsSince = async (since: number) =>
    (await env.history('shop-production')).events.filter((e) => e.time >= since);
  const deployReport = (r: ReleaseJson) =>
    r.stageResults.filter((s) => s.stage === 'DEPLOY' && s.result === 'Success').at(-1)?.report as
      | DeployReport
      | undefined;
  const revisionHash = async (n: number | null | undefined) => {
    const { items } = await env.apiGet<{ items: { number: number; hash: string }[] }>(
      '/api/v1/rollouts/shop-production/revisions',
    );
    return items.find((v) => v.number === n)?.hash;
  };

  /** The newest revision whose template runs `version`. */
  const revisionOf = async (version: string) => {
    const { items } = await env.apiGet<{
      items: { number: number; hash: string; template: { env?: Record<string, string> } }[];
    }>('/api/v1/rollouts/shop-production/revisions');
    const found = items.filter((v) => v.template.env?.['VERSION'] === version).at(-1);
    if (found === undefined) throw new Error(`no revision runs ${version}`);
    return found;
  };

  beforeAll(async () => {
    port = await freePort();
    env.write('replicas/.keep', '');
    await env.cliOk(['apply', '-f', env.write('environments.yaml', stringify(PRODUCTION))]);
    manager = await env.token('mia', 'approver', 'manager');
    ops = await env.token('otto', 'approver', 'devops');
  }, 60_000);

  afterAll(async () => {
    await load?.stop();
    await env.cleanup();
  });

  it('should ship v1, then roll a canary with 20% errors at 20 req/s back while at its first step (20%)', async () => {
    await create(release('shop-v1', 'v1'), 'v1.yaml');
    await approveWhenAsked('shop-v1');
    expect((await ended('shop-v1')).status).toBe('SUCCESS');
    load = pacedLoad(port, 20, 4);

    const started = Date.now();
    await create(release('shop-v2', 'v2', { env: { FAULT_RATE: '0.2' } }), 'v2.yaml');
    await approveWhenAsked('shop-v2');
    const r = await ended('shop-v2');
    expect(r.status, JSON.stringify(r.stageResults, null, 2)).toBe('ROLLED_BACK');
    expect(r.incidents[0]).toMatchObject({ trigger: 'errorRate', status: 'ROLLED_BACK' });
    const onset = Number(r.incidents[0]?.triggerValues['onsetAt']);
    expect(onset).toBeGreaterThanOrEqual(started - 1000);
    // DORA's time to restore counts from the fault's onset, before the rollback started.
    const rollbackStarted = r.incidents[0]?.timeline.find((t) => t.reason === 'RollbackStarted')?.at ?? 0;
    expect(r.incidents[0]?.detectedAt).toBe(onset);
    expect(onset).toBeLessThanOrEqual(rollbackStarted);
    // The crew's agents are named in the record's timeline (not "-").
    const actors = new Set(r.record?.timeline.map((t) => t.actor));
    expect(actors).toContain('agent:pre-deployment-validator');
    expect(actors).toContain('agent:rollback-coordinator');
    const weights = (await eventsSince(started))
      .filter((e) => e.reason === 'SetWeight')
      .map((e) => e.message);
    expect(weights).toEqual(['Set canary weight to 20%']);
    // B: the Rollout is Healthy on v1 again, not left Degraded by the abort.
    const rollout = await env.rolloutFromApi('shop-production');
    expect(rollout.status).toMatchObject({ phase: 'Healthy', abort: false });
    expect(await revisionHash(rollout.status.stableRevision)).toBe((await revisionOf('v1')).hash);
    expect((await fetchOnce(port)).version).toBe('v1');
  }, 240_000);

  it('should ship the next healthy release after that abort (B) and roll back a slow version after its canary completed, at once (A)', async () => {
    await create(release('shop-v3', 'v3', { steps: SHORT }), 'v3.yaml');
    await approveWhenAsked('shop-v3');
    const v3 = await ended('shop-v3');
    expect(v3.status, JSON.stringify(v3.stageResults, null, 2)).toBe('SUCCESS');
    expect(v3.incidents).toEqual([]);

    // A: no steps, so the slow version is stable when p95 (> 500 ms) fires.
    const started = Date.now();
    await create(
      release('shop-v4', 'v4', {
        env: { LATENCY_MS: '800' },
        steps: [],
        rollback: { p95Ms: 500 },
        monitor: { checkpoints: ['60s'] },
      }),
      'v4.yaml',
    );
    await approveWhenAsked('shop-v4');
    const v4 = await ended('shop-v4');
    expect(v4.status, JSON.stringify(v4.stageResults, null, 2)).toBe('ROLLED_BACK');
    const events = await eventsSince(started);
    expect(events.map((e) => e.reason)).toContain('RolloutFastTracked');
    // The undo revision walked no canary step: straight to 100%.
    const rollbackAt = events.find((e) => e.reason === 'RolloutFastTracked')?.time ?? 0;
    expect(
      events.filter((e) => e.time >= rollbackAt && e.reason === 'SetWeight').map((e) => e.message),
    ).toEqual(['Set canary weight to 100%']);
    expect((await fetchOnce(port)).version).toBe('v3');
  }, 240_000);

  it('should not blame a slow stable version on the new one (C), checkpoint the last good version (D) and dry-run it (E)', async () => {
    // The slow v4 is made stable by hand, as a failed rollback used to leave it.
    const v3 = await revisionOf('v3');
    const v4 = await revisionOf('v4');
    await env.cliOk(['undo', 'shop-production', '--to-revision', String(v4.number), '--now']);
    await waitUntil(async () => (await fetchOnce(port)).version === 'v4' || undefined, {
      timeoutMs: 30_000,
      what: 'v4 serving',
    });

    await create(release('shop-v5', 'v5', { steps: SHORT, rollback: { p95Ms: 500 } }), 'v5.yaml');
    await approveWhenAsked('shop-v5');
    const v5 = await ended('shop-v5');
    expect(v5.status, JSON.stringify(v5.stageResults, null, 2)).toBe('SUCCESS');
    const report = deployReport(v5);
    const target = report?.checkpoint.rollouts[0]?.stableRevision ?? null;
    // D: v3, the version the last rollback restored, not the slow v4 that was stable.
    expect(await revisionHash(target), JSON.stringify(report?.checkpoint)).toBe(v3.hash);
    // E: the dry-run started that revision (not N-1, which is v4's undo revision here).
    expect(report?.verification.dryRun[0]?.revision).toBe(target);
  }, 240_000);

  it('should roll a shipped release back to an earlier release at once with --to-release, and smoke-test it again', async () => {
    const started = Date.now();
    await env.cliOk(
      ['release', 'rollback', 'shop-v5', '--to-release', 'shop-v1', '--reason', 'v5 breaks checkout'],
      { env: { CUTOVER_TOKEN: ops } },
    );
    await waitUntil(async () => (await fetchOnce(port)).version === 'v1' || undefined, {
      timeoutMs: 10_000,
      what: 'v1 serving within 10 s',
    });
    const r = await ended('shop-v5');
    expect(r.status, JSON.stringify(r.stageResults, null, 2)).toBe('ROLLED_BACK');
    const rollback = r.stageResults.find((s) => s.stage === 'ROLLBACK');
    expect(JSON.stringify(rollback?.report)).toContain('"healthz"');
    expect(r.incidents.at(-1)).toMatchObject({ trigger: 'manual', status: 'ROLLED_BACK' });
    const weights = (await eventsSince(started))
      .filter((e) => e.reason === 'SetWeight')
      .map((e) => e.message);
    expect(weights.every((w) => w === 'Set canary weight to 100%')).toBe(true);
    // A viewer, and an approver who is not devops, may not.
    const viewer = await env.token('vic', 'viewer');
    const denied = await env.cli(['release', 'rollback', 'shop-v3', '--reason', 'x'], {
      env: { CUTOVER_TOKEN: viewer },
    });
    expect(denied.stderr).toContain('role viewer may not');
    const managerDenied = await env.cli(['release', 'rollback', 'shop-v3', '--reason', 'x'], {
      env: { CUTOVER_TOKEN: manager },
    });
    expect(managerDenied.code).not.toBe(0);
    // Not to a release of another service, nor to itself.
    const self = await env.cli([
      'release',
      'rollback',
      'shop-v3',
      '--to-release',
      'shop-v3',
      '--reason',
      'x',
    ]);
    expect(self.code).not.toBe(0);
    const unknown = await env.cli([
      'release',
      'rollback',
      'shop-v3',
      '--to-release',
      'nope',
      '--reason',
      'x',
    ]);
    expect(unknown.stderr).toContain('nope');
  }, 120_000);
});
