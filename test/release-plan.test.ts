import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { hasChromium, launchChromium, signIn, watchConsole } from './support/browser.js';
import { CutoverEnv, freePorts, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

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

  const agent = (name: string, port: number, version: string, extra: object = {}, env_: object = {}) => ({
    name,
    ...extra,
    spec: {
      replicas: 1,
      port,
      template: {
        command: ['node', SAMPLE_SERVICE],
        cwd: env.path('replicas'),
        env: { VERSION: version, AGENT_TYPE: name, ...env_ },
        readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
        terminationGracePeriodSeconds: 1,
      },
      strategy: {
        canary: {
          scaleDownDelaySeconds: 0,
          steps: [{ setWeight: 50 }, { pause: { duration: '1s' } }],
        },
      },
    },
  });
  /** The seed's mesh plan: one at a time, never fewer than two Healthy, a test per agent and one at the end. */
  const meshPlan = () => ({
    maxParallelism: 1,
    minHealthy: 2,
    quorum: 2,
    afterEach: [{ name: 'register-agent', http: { path: '/register' } }],
    connectivityTest: { name: 'test-mesh', rollout: 'mca', http: { path: '/mesh' } },
  });
  const release = (name: string, version: string, rollouts: object[], extra: object = {}) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version,
      environments: ['dev'],
      rollouts,
      plan: meshPlan(),
      monitor: { checkpoints: ['1s'] },
      ...extra,
    },
  });
  /** The coordinator's gate (seed: coordination-ready). */
  const gate = (timeoutSeconds = 30) => ({
    httpGet: { url: 'http://127.0.0.1:{{port}}/health/coordination-ready' },
    jsonPath: '{$.ready}',
    successCondition: 'result == true',
    timeoutSeconds,
  });
  const peers = () => `http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]}`;
  const mesh = (version: string) => [
    agent('mca', ports[0]!, version, { priority: 1, readinessGate: gate() }, { PEERS: peers() }),
    agent('npa', ports[1]!, version, { dependsOn: ['mca'], failureMode: 'gracefulDegradation' }),
    agent('wpa', ports[2]!, version, { dependsOn: ['mca', 'npa'], failureMode: 'gracefulDegradation' }),
  ];
  /** The version an agent serves, from its answer (`hello from v2`). */
  const serving = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
  /** The release's own events (plan progress, findings), oldest first. */
  const releaseEvents = async (name: string) =>
    (
      await env.apiGet<{ items: { reason: string; message: string; time: number }[] }>(
        `/api/v1/releases/${name}/events`,
      )
    ).items;

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
    await env.applyEnvironments('dev');
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

  it('should roll the coordinator out first, then each domain agent, never two at once, the connectivity test last', async () => {
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('mesh-v1.yaml', stringify(release('mesh-v1', 'v1', mesh('v1')))),
    ]);
    const first = await carryOut('mesh-v1');
    expect(first.status, JSON.stringify(first.stageResults.at(-2))).toBe('SUCCESS');
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
    for (const s of spans) expect(s.end - s.start).toBeGreaterThanOrEqual(1_000);
    const deploy = done.stageResults.find((r) => r.stage === 'DEPLOY')!.report as {
      deploy: { gates: Record<string, { ok: boolean; detail: string }> };
    };
    expect(deploy.deploy.gates['mca-dev']).toEqual({
      ok: true,
      detail: expect.stringContaining('{$.ready} = true; result == true is true'),
    });

    // The plan's own record: an afterEach test per agent in order, the connectivity test last.
    const events = await releaseEvents('mesh-v2');
    const plan = events.filter((e) => e.reason.startsWith('Plan')).map((e) => `${e.reason} ${e.message}`);
    const at = (text: string) => plan.findIndex((line) => line.includes(text));
    expect(at('PlanRolloutStarted mca-dev revision 2 (phase 1)'), plan.join('\n')).toBeGreaterThanOrEqual(0);
    expect(at('PlanRolloutHealthy mca-dev')).toBeLessThan(at('PlanRolloutStarted npa-dev'));
    expect(at('PlanRolloutHealthy npa-dev')).toBeLessThan(at('PlanRolloutStarted wpa-dev'));
    expect(at('afterEach register-agent against mca')).toBeLessThan(at('PlanRolloutHealthy mca-dev'));
    expect(at('PlanSmokeTestPassed connectivityTest test-mesh against mca')).toBe(plan.length - 1);
    const connectivity = events.find((e) => e.message.startsWith('connectivityTest'))!;
    expect(connectivity.time).toBeGreaterThanOrEqual(spans[2]!.end);

    // Progress in the API and the CLI: 100%, every agent Healthy on its revision 2.
    const view = await env.apiGet<{ progress: { percent: number; rollouts: object[]; phases: object[] }[] }>(
      '/api/v1/releases/mesh-v2',
    );
    expect(view.progress).toHaveLength(1);
    expect(view.progress[0]!.percent).toBe(100);
    expect(view.progress[0]!.phases).toHaveLength(3);
    expect(view.progress[0]!.rollouts).toEqual([
      expect.objectContaining({
        name: 'mca',
        state: 'Healthy',
        fromRevision: 1,
        revision: 2,
        runningRevision: 2,
      }),
      expect.objectContaining({ name: 'npa', state: 'Healthy', fromRevision: 1, revision: 2, phase: 2 }),
      expect.objectContaining({ name: 'wpa', state: 'Healthy', fromRevision: 1, revision: 2, phase: 3 }),
    ]);
    const shown = (await env.cliOk(['release', 'get', 'mesh-v2'])).stdout;
    expect(shown).toMatch(/Plan \(dev\): 100%/);
    expect(shown).toMatch(/npa\s+npa-dev\s+Healthy\s+2\/2\s+100%\s+1 -> 2/);
  }, 320_000);

  it('should return a faulty gracefulDegradation agent alone to its old version while the others ship', async () => {
    const rollouts = mesh('v3');
    // npa v3 answers 500 to everything but /healthz: its afterEach register-agent fails.
    (rollouts[1]!.spec.template.env as Record<string, string>)['FAULT_RATE'] = '1';
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('mesh-v3.yaml', stringify(release('mesh-v3', 'v3', rollouts))),
    ]);
    const done = await carryOut('mesh-v3');
    expect(done.status, JSON.stringify(done.stageResults, null, 2)).toBe('SUCCESS');
    expect(await serving(ports[0]!)).toBe('hello from v3');
    expect(await serving(ports[1]!)).toBe('hello from v2');
    expect(await serving(ports[2]!)).toBe('hello from v3');
    const events = await releaseEvents('mesh-v3');
    expect(events.map((e) => e.reason)).toContain('PlanRolloutDegraded');
    const record = await env.apiGet<{ versions: object[] }>('/api/v1/releases/mesh-v3/record');
    expect(record.versions).toEqual([
      expect.objectContaining({
        service: 'mca',
        state: 'Healthy',
        fromRevision: 2,
        revision: 3,
        runningRevision: 3,
      }),
      expect.objectContaining({ service: 'npa', state: 'Degraded', fromRevision: 2, revision: 3 }),
      expect.objectContaining({
        service: 'wpa',
        state: 'Healthy',
        fromRevision: 2,
        revision: 3,
        runningRevision: 3,
      }),
    ]);
    const markdown = (await env.cliOk(['release', 'record', 'mesh-v3', '--markdown'])).stdout;
    expect(markdown).toMatch(/\| npa \| npa-dev \| Degraded \| 2 \| 3 \| \d+ \|/);
  }, 200_000);

  it.skipIf(!hasChromium() && !process.env.CI)(
    "should draw the plan graph with each agent's state on the release page (a real browser)",
    async () => {
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
        const errors = watchConsole(page);
        await signIn(page, `http://127.0.0.1:${env.apiPort()}/ui/#/releases/mesh-v3`, env.apiToken());
        const plan = page.locator('.plan[data-environment="dev"]');
        await plan.waitFor({ timeout: 10_000 });
        expect(await plan.locator('.plan-percent').textContent()).toBe('100%');
        const states = await plan
          .locator('svg .plan-node')
          .evaluateAll((nodes) =>
            nodes.map((n) => `${n.getAttribute('data-rollout')} ${n.getAttribute('data-state')}`),
          );
        expect(states).toEqual(['mca Healthy', 'npa Degraded', 'wpa Healthy']);
        // Two edges: mca -> npa, npa -> wpa (wpa waits for mca through npa).
        expect(await plan.locator('svg .plan-edge').count()).toBe(2);
        const npa = plan.locator('table.plan-table tr[data-rollout="npa"]');
        expect(await npa.locator('td').allTextContents()).toEqual([
          'npa',
          'npa-dev',
          'Degraded',
          'mca',
          '2/2',
          '0%',
          '2 → 3',
          expect.stringMatching(/^\d+$/),
          expect.stringContaining('afterEach register-agent'),
        ]);
        expect(await plan.locator('li[data-ok="false"]').allTextContents()).toEqual([
          expect.stringContaining('afterEach register-agent (npa)'),
        ]);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('should return every agent to its old revision in reverse order and escalate when an immediateEscalation agent fails', async () => {
    const { base, received, close } = await startWebhookReceiver();
    const hook = `${base}/hook`;
    // This release updates npa first; mca's new version never becomes coordination-ready.
    const rollouts = [
      agent('npa', ports[1]!, 'v4', { priority: 1 }),
      agent(
        'mca',
        ports[0]!,
        'v4',
        { priority: 2, readinessGate: gate(3), failureMode: 'immediateEscalation' },
        { PEERS: peers(), COORDINATION_READY: 'false' },
      ),
      agent('wpa', ports[2]!, 'v4', { priority: 3 }),
    ];
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write(
        'mesh-v4.yaml',
        stringify(
          release('mesh-v4', 'v4', rollouts, {
            notifications: [{ name: 'oncall', type: 'webhook', url: hook }],
          }),
        ),
      ),
    ]);
    const done = await carryOut('mesh-v4');
    expect(['ROLLBACK', 'ROLLED_BACK']).toContain(done.status);
    const rolledBack = await waitUntil(
      async () => {
        const r = await env.apiGet<ReleaseJson>('/api/v1/releases/mesh-v4');
        return r.status === 'ROLLED_BACK' ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'mesh-v4 rolled back' },
    );
    expect(JSON.stringify(rolledBack.stageResults)).toContain(
      'mca-dev failed: readinessGate did not hold within 3 s',
    );
    // Every agent serves what it served before the release.
    expect(await serving(ports[0]!)).toBe('hello from v3');
    expect(await serving(ports[1]!)).toBe('hello from v2');
    expect(await serving(ports[2]!)).toBe('hello from v3');
    // In reverse order: mca (phase 2) back before npa (phase 1); wpa never moved.
    const events = await releaseEvents('mesh-v4');
    const back = events.filter((e) => e.reason === 'PlanRolloutRolledBack').map((e) => e.message);
    expect(back).toEqual([expect.stringMatching(/^mca-dev /), expect.stringMatching(/^npa-dev /)]);
    const wpa = await env.history('wpa-dev');
    expect(wpa.events.some((e) => e.message.includes('revision 4'))).toBe(false);
    await waitUntil(() => received.some((x) => x.body['kind'] === 'escalation'), {
      timeoutMs: 10_000,
      what: 'an escalation at the webhook',
    });
    close();
    const escalation = received.find((x) => x.body['kind'] === 'escalation')!;
    expect(escalation.body).toMatchObject({ release: 'mesh-v4', severity: 'critical' });
    expect(String(escalation.body['text'])).toContain('every Rollout it moved returns to the checkpoint');
  }, 200_000);
});
