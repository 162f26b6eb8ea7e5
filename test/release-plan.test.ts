import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CutoverEnv, freePorts, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';

interface ReleaseJson {
  status: string;
  stageResults: { stage: string; result: string; reason?: string; report?: Record<string, unknown> }[];
}

/**
 * The agent mesh as one Release (issue 13's plan): a coordinator (mca, priority 1) and two domain
 * agents that depend on it (npa, wpa), at most one rolling out at once. The crew carries them out
 * in that order: each starts only once the one before is Healthy on its new revision.
 */
describe('Release plan: the agent mesh in dependency order (real processes)', () => {
  const env = CutoverEnv.create('cutover-release-plan-');
  let ports: number[] = [];
  let manager = '';

  const agent = (name: string, port: number, version: string, extra: object = {}, quality = '0.95') => ({
    name,
    ...extra,
    spec: {
      replicas: 1,
      port,
      template: {
        command: ['node', SAMPLE_SERVICE],
        cwd: env.path('replicas'),
        env: { VERSION: version, AGENT_TYPE: name, QUALITY: quality },
        readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
        terminationGracePeriodSeconds: 1,
      },
      strategy: {
        canary: {
          scaleDownDelaySeconds: 0,
          steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }],
        },
      },
    },
  });
  const release = (
    name: string,
    version: string,
    rollouts: object[],
    plan: object = { maxParallelism: 1 },
  ) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: { version, environments: ['dev'], rollouts, plan, monitor: { checkpoints: ['1s'] } },
  });
  /** The coordinator's gate: its model quality (the sample's `/quality`) must be at least 0.9. */
  const gate = {
    httpGet: { url: 'http://127.0.0.1:{{port}}/quality' },
    jsonPath: '{$.quality}',
    successCondition: 'result >= 0.9',
    timeoutSeconds: 4,
  };
  const mesh = (version: string, quality = '0.95') => [
    agent('mca', ports[0]!, version, { priority: 1, readinessGate: gate }, quality),
    agent('npa', ports[1]!, version, { dependsOn: ['mca'] }),
    agent('wpa', ports[2]!, version, { dependsOn: ['mca', 'npa'] }),
  ];

  async function carryOut(name: string): Promise<ReleaseJson> {
    let last: unknown;
    return waitUntil(
      async () => {
        const r = await env.apiGet<ReleaseJson>(`/api/v1/releases/${name}`);
        last = {
          status: (r as { status: string }).status,
          stage: (r as { stage?: string }).stage,
          results: r.stageResults,
        };
        if (r.status === 'WAITING_APPROVAL')
          await env.cliOk(['release', 'approve', name, '--comment', 'mesh'], {
            env: { CUTOVER_TOKEN: manager },
          });
        return ['SUCCESS', 'FAILED', 'ROLLED_BACK', 'ROLLBACK'].includes(r.status) ? r : undefined;
      },
      { timeoutMs: 150_000, what: `${name} to end`, describe: () => JSON.stringify(last).slice(0, 3000) },
    );
  }

  beforeAll(async () => {
    ports = await freePorts(3);
    env.write('replicas/.keep', '');
    await env.cliOk([
      'apply',
      '-f',
      env.write(
        'environments.yaml',
        stringify({
          apiVersion: 'cutover.dev/v1alpha1',
          kind: 'Environment',
          metadata: { name: 'dev' },
          spec: { order: 1 },
        }),
      ),
    ]);
    manager = await env.token('mia', 'approver', 'manager');
  }, 60_000);

  afterAll(async () => {
    await env.cleanup();
  });

  it('should refuse a cycle and an unknown dependency at create, storing nothing', async () => {
    const cyclic = release('cyclic', 'v1', [
      agent('mca', ports[0]!, 'v1', { dependsOn: ['wpa'] }),
      agent('wpa', ports[2]!, 'v1', { dependsOn: ['mca'] }),
    ]);
    const created = await env.cli(['release', 'create', '-f', env.write('cyclic.yaml', stringify(cyclic))]);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain('spec.rollouts[0].dependsOn');
    expect(created.stderr).toContain('a cycle: mca -> wpa -> mca');
    const unknown = release('unknown', 'v1', [agent('npa', ports[1]!, 'v1', { dependsOn: ['mcx'] })]);
    const refused = await env.cli(['release', 'create', '-f', env.write('unknown.yaml', stringify(unknown))]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('unknown Rollout "mcx" (the release has npa)');
    const list = await env.apiGet<{ items: unknown[] }>('/api/v1/releases');
    expect(list.items).toEqual([]);
  });

  it('should roll the coordinator out first, then each domain agent, never two at once', async () => {
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('mesh-v1.yaml', stringify(release('mesh-v1', 'v1', mesh('v1')))),
    ]);
    expect((await carryOut('mesh-v1')).status).toBe('SUCCESS');
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('mesh-v2.yaml', stringify(release('mesh-v2', 'v2', mesh('v2')))),
    ]);
    const done = await carryOut('mesh-v2');
    expect(done.status, JSON.stringify(done.stageResults, null, 2)).toBe('SUCCESS');

    // Each agent's update of revision 2, from its start to its completion, from the event log.
    const spans = await Promise.all(
      ['mca', 'npa', 'wpa'].map(async (name) => {
        const { events } = await env.history(`${name}-dev`);
        const start = events.find((e) => e.reason === 'RolloutUpdated' && e.message.includes('revision 2'));
        const end = events.find((e) => e.reason === 'RolloutCompleted' && e.message.includes('revision 2'));
        expect(start, `${name}: ${events.map((e) => `${e.reason} ${e.message}`).join('; ')}`).toBeDefined();
        expect(end).toBeDefined();
        return { name, start: start!.time, end: end!.time };
      }),
    );
    // mca completed before npa started, npa before wpa: one at a time, in dependency order.
    expect(spans[0]!.end).toBeLessThanOrEqual(spans[1]!.start);
    expect(spans[1]!.end).toBeLessThanOrEqual(spans[2]!.start);
    // Each update took its canary pause: the order is not an accident of timing.
    for (const s of spans) expect(s.end - s.start).toBeGreaterThanOrEqual(2_000);
    const deploy = done.stageResults.find((r) => r.stage === 'DEPLOY')!.report as {
      deploy: { gates: Record<string, { ok: boolean; detail: string }> };
    };
    expect(deploy.deploy.gates['mca-dev']).toEqual({
      ok: true,
      detail: expect.stringContaining('{$.quality} = 0.95; result >= 0.9 is true'),
    });

    // A coordinator whose gate never holds: its dependents never start on the new version.
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('mesh-v3.yaml', stringify(release('mesh-v3', 'v3', mesh('v3', '0.5')))),
    ]);
    const failed = await carryOut('mesh-v3');
    expect(failed.status).not.toBe('SUCCESS');
    const stage = failed.stageResults.find((r) => r.stage === 'DEPLOY' && r.result !== 'Success');
    expect(JSON.stringify(stage)).toContain('mca-dev readinessGate did not hold within 4 s');
    for (const name of ['npa', 'wpa']) {
      const { events } = await env.history(`${name}-dev`);
      expect(events.some((e) => e.message.includes('revision 3'))).toBe(false);
    }
  }, 320_000);
});
