import { readFileSync } from 'node:fs';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  isAlive,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

const boolFlag = (targeting?: object) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  ...(targeting !== undefined ? { targeting } : {}),
});

/** The seed's controller as flagd flags: target users, a 25% rollout, and a per-environment value. */
const FLAGS = specYaml(
  {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'FeatureFlags',
    metadata: { name: 'agent-flags' },
    spec: {
      flags: {
        'beta-planner': boolFlag({ if: [{ in: [{ var: 'targetingKey' }, ['alice', 'bob']] }, 'on', 'off'] }),
        'new-planner': boolFlag({
          fractional: [
            ['on', 25],
            ['off', 75],
          ],
        }),
        'model-path': {
          state: 'ENABLED',
          variants: { small: 'models/small', large: 'models/large' },
          defaultVariant: 'small',
        },
      },
    },
  },
  {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'FeatureFlags',
    metadata: { name: 'production-flags', environment: 'production' },
    spec: {
      flags: {
        'model-path': {
          state: 'ENABLED',
          variants: { small: 'models/small', large: 'models/large' },
          defaultVariant: 'large',
        },
      },
    },
  },
);

/**
 * Issue 14, part 3: FeatureFlags applied with the CLI are served by the data plane over OFREP to a
 * Node service using the official OpenFeature server SDK and its OFREP provider, and keep being
 * served while the control plane is killed and when the router process is restarted.
 */
describe('Feature flags over OFREP', () => {
  const env = CutoverEnv.create('cutover-flags-');

  afterAll(async () => {
    await OpenFeature.close();
    await env.cleanup();
  });

  const dataPlaneInfo = () =>
    JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as { ofrepPort: number; routerPid: number };
  const baseUrl = () => `http://127.0.0.1:${dataPlaneInfo().ofrepPort}`;

  it('should serve applied flags to the OFREP provider: target users and a 25% fractional rollout', async () => {
    const applied = await env.apply(FLAGS, 'flags.yaml');
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('featureflags.cutover.dev/agent-flags configured');
    expect(applied.code).toBe(0);

    await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: baseUrl() }));
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'bob' })).toBe(true);
    expect(await client.getBooleanValue('beta-planner', true, { targetingKey: 'carol' })).toBe(false);
    const details = await client.getBooleanDetails('beta-planner', false, { targetingKey: 'alice' });
    expect(details).toMatchObject({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
    expect(await client.getStringValue('model-path', 'none', { targetingKey: 'x' })).toBe('models/small');
    const missing = await client.getBooleanDetails('no-such-flag', true, { targetingKey: 'x' });
    expect(missing).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND' });

    // 10,000 keys, 20 requests in flight at a time: 25% +- 2 land on "on".
    let on = 0;
    for (let start = 0; start < 10_000; start += 20) {
      const values = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          client.getBooleanValue('new-planner', false, { targetingKey: `user-${start + i}` }),
        ),
      );
      on += values.filter(Boolean).length;
    }
    expect(on / 10_000).toBeGreaterThanOrEqual(0.23);
    expect(on / 10_000).toBeLessThanOrEqual(0.27);

    const { stdout } = await env.cliOk(['list', 'featureflags', '-o', 'json']);
    const { items } = JSON.parse(stdout) as { items: { metadata: { name: string } }[] };
    expect(items.map((i) => i.metadata.name)).toEqual(['agent-flags', 'production-flags']);
  }, 120_000);

  it("should serve an environment's flags over the common ones to a provider that names it", async () => {
    OpenFeature.setProvider(
      'production',
      new OFREPProvider({ baseUrl: baseUrl(), headers: [['x-cutover-environment', 'production']] }),
    );
    const production = OpenFeature.getClient('production');
    expect(await production.getStringValue('model-path', 'none', { targetingKey: 'x' })).toBe('models/large');
    expect(await production.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);
  });

  it('should answer the bulk evaluation with an ETag, and 304 when nothing changed', async () => {
    const post = (headers: Record<string, string> = {}) =>
      request(`${baseUrl()}/ofrep/v1/evaluate/flags`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ context: { targetingKey: 'alice' } }),
      });
    const first = await post();
    const body = (await first.body.json()) as { flags: { key: string; value: unknown }[] };
    expect(first.statusCode).toBe(200);
    expect(body.flags.find((f) => f.key === 'beta-planner')?.value).toBe(true);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await post({ 'if-none-match': etag });
    await again.body.text();
    expect(again.statusCode).toBe(304);
  });

  it("should refuse a flag definition that fails flagd's schema, name file and field, and change nothing", async () => {
    const bad = FLAGS.replace('state: ENABLED', 'state: ON');
    const result = await env.apply(bad, 'bad-flags.yaml');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('bad-flags.yaml');
    expect(result.stderr).toMatch(/spec\.flags\.beta-planner\.state: expected one of "ENABLED", "DISABLED"/);
    const { stdout } = await env.cliOk(['get', 'featureflags', 'agent-flags', '-o', 'json']);
    expect(JSON.parse(stdout).spec.flags['beta-planner'].state).toBe('ENABLED');
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);
  });

  it('should turn a flag off for every evaluation within 1 s with the kill switch, audited, refused to a viewer', async () => {
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);
    const viewer = await env.token('vic', 'viewer');
    const refused = await env.cli(['flags', 'kill', 'beta-planner'], { env: { CUTOVER_TOKEN: viewer } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('role viewer may not POST /api/v1/featureflags/kill/:key');
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);

    const started = Date.now();
    const res = await request(`http://127.0.0.1:${env.apiPort()}/api/v1/featureflags/kill/beta-planner`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.apiToken()}` },
    });
    const answer = (await res.body.json()) as { resources: string[]; served: boolean };
    expect(res.statusCode).toBe(200);
    expect(answer).toEqual({ flag: 'beta-planner', resources: ['agent-flags'], served: true });
    // Served before the answer: the very next evaluation is off, for every key.
    for (const key of ['alice', 'bob', 'carol'])
      expect(await client.getBooleanValue('beta-planner', false, { targetingKey: key })).toBe(false);
    expect(Date.now() - started).toBeLessThanOrEqual(1_000);

    const cli = await env.cliOk(['flags', 'kill', 'new-planner']);
    expect(cli.stdout).toContain('flag new-planner killed in featureflags.cutover.dev/agent-flags');
    const audit = JSON.parse((await env.cliOk(['audit', 'list', '-o', 'json'])).stdout) as {
      items: { actor: string; path: string; status: number }[];
    };
    expect(audit.items).toContainEqual(
      expect.objectContaining({
        actor: 'user:vic',
        path: '/api/v1/featureflags/kill/beta-planner',
        status: 403,
      }),
    );
    expect(
      audit.items.filter((e) => e.path.startsWith('/api/v1/featureflags/kill/') && e.status === 200),
    ).toHaveLength(2);
    const { events } = await env
      .apiGet<{ items: { reason: string; message: string }[] }>('/api/v1/events?limit=5000')
      .then((r) => ({ events: r.items }));
    expect(events.filter((e) => e.reason === 'FeatureFlagKilled').map((e) => e.message)).toEqual([
      'flag beta-planner killed (DISABLED) in agent-flags',
      'flag new-planner killed (DISABLED) in agent-flags',
    ]);
    // Applying the definitions again turns them back on.
    await env.applyOk(FLAGS, 'flags.yaml');
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);
  }, 60_000);

  it('should ramp a flag with a setFlag step, judge it by variant, and return it to its previous variant when analysis aborts', async () => {
    const ramped = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'FeatureFlags',
      metadata: { name: 'ramp-flags' },
      spec: { flags: { 'ramped-planner': boolFlag() } },
    };
    // The analysis judges the canary's responses that got variant "on" (the service echoes it).
    const byVariant = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'errors-on-variant' },
      spec: {
        metrics: [
          {
            name: 'errors-with-on',
            interval: '1s',
            count: 20,
            successCondition: 'isNaN(result) || result < 0.2',
            provider: {
              builtin: {
                metric: 'error-rate',
                revision: 'canary',
                flag: 'ramped-planner',
                variant: 'on',
                window: '3s',
              },
            },
          },
        ],
      },
    };
    const port = await freePort();
    // Every request evaluates the flag over OFREP for its x-user, and fails when it got "on".
    const rollout = (version: string, steps: object[]) =>
      rolloutDoc('flagged', {
        replicas: 1,
        port,
        template: sampleTemplate(env, version, {
          FLAG_OFREP_URL: baseUrl(),
          FLAG_KEY: 'ramped-planner',
          FLAG_FAULT_VARIANT: 'on',
        }),
        strategy: { canary: { abortScaleDownDelaySeconds: 1, scaleDownDelaySeconds: 1, steps } },
      });
    const steps = [
      { setWeight: 50 },
      { setFlag: { flag: 'ramped-planner', variant: 'on', percentage: 50 } },
      { pause: { duration: '3s' } },
      { analysis: { templates: [{ templateName: 'errors-on-variant' }] } },
    ];

    // Bad references are refused at apply with the step's field path, and nothing is stored.
    const unknownFlag = await env.apply(
      specYaml(rollout('v1', [{ setFlag: { flag: 'no-such-flag', variant: 'on', percentage: 5 } }])),
      'bad-ramp.yaml',
    );
    expect(unknownFlag.code).not.toBe(0);
    expect(unknownFlag.stderr).toContain(
      'bad-ramp.yaml:28:19 spec.strategy.canary.steps[0].setFlag.flag: flag "no-such-flag" is not defined by any FeatureFlags resource',
    );
    const unknownVariant = await env.apply(
      specYaml(
        ramped,
        rollout('v1', [{ setFlag: { flag: 'ramped-planner', variant: 'maybe', percentage: 5 } }]),
      ),
      'bad-ramp.yaml',
    );
    expect(unknownVariant.code).not.toBe(0);
    expect(unknownVariant.stderr).toContain(
      'spec.strategy.canary.steps[0].setFlag.variant: "maybe" is not a variant of flag "ramped-planner" in FeatureFlags "ramp-flags" (its variants: on, off)',
    );
    expect((await env.cli(['get', 'rollout', 'flagged'])).code).not.toBe(0);
    expect((await env.cli(['get', 'featureflags', 'ramp-flags'])).code).not.toBe(0);

    const applied = await env.apply(specYaml(ramped, byVariant, rollout('v1', steps)), 'flagged.yaml');
    expect(applied.stderr).toBe('');
    await env.waitForRollout('flagged', (r) => r.status.phase === 'Healthy', { what: 'v1 Healthy' });

    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const variants = async () => {
      const answers = await Promise.all(
        keys.map(async (key) => {
          const res = await request(`${baseUrl()}/ofrep/v1/evaluate/flags/ramped-planner`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ context: { targetingKey: key } }),
          });
          return ((await res.body.json()) as { variant: string }).variant;
        }),
      );
      return answers.filter((v) => v === 'on').length;
    };
    // Before: the definition, "off" for everyone.
    expect(await variants()).toBe(0);

    let user = 0;
    const load = startLoad(port, { concurrency: 4, headers: () => ({ 'x-user': `user-${user++ % 1000}` }) });
    try {
      expect((await env.apply(specYaml(ramped, byVariant, rollout('v2', steps)), 'flagged.yaml')).code).toBe(
        0,
      );
      // During: once the step is done (the data plane serves the ramp), half of the keys get "on".
      const during = await env.waitForRollout(
        'flagged',
        (r) => (r.status as { currentStepIndex: number }).currentStepIndex >= 2,
        { what: 'the setFlag step done', timeoutMs: 30_000 },
      );
      const on = await variants();
      expect((during.status as { flagRamps?: unknown }).flagRamps).toEqual([
        { flag: 'ramped-planner', variant: 'on', percentage: 50 },
      ]);
      expect(on).toBeGreaterThanOrEqual(70);
      expect(on).toBeLessThanOrEqual(130);

      const aborted = await env.waitForRollout('flagged', (r) => r.status.abort, {
        what: 'aborted by the analysis of variant on',
        timeoutMs: 40_000,
      });
      expect(aborted.status.message).toMatch(/errors-with-on/);
      expect((aborted.status as { flagRamps?: unknown }).flagRamps).toBeUndefined();
      // After: back to the definition, "off" for everyone (served at the abort's reconcile).
      await waitUntil(async () => (await variants()) === 0, {
        timeoutMs: 5_000,
        what: 'the flag back to off',
      });
    } finally {
      await load.stop();
    }
    const { stdout } = await env.cliOk(['get', 'featureflags', 'ramp-flags', '-o', 'json']);
    expect(JSON.parse(stdout).spec.flags['ramped-planner']).toEqual(boolFlag());
    const { items } = await env.apiGet<{
      items: { reason: string; message: string; rollout: string | null }[];
    }>('/api/v1/events?limit=5000');
    const reasons = items.filter((e) => e.rollout === 'flagged').map((e) => e.reason);
    expect(reasons).toContain('SetFlag');
    expect(reasons).toContain('FlagRampReverted');
    // The router recorded the canary's outcomes by variant.
    const { metricsPort } = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as {
      metricsPort: number;
    };
    const metrics = await (await request(`http://127.0.0.1:${metricsPort}/metrics`)).body.text();
    const failedOn =
      /cutover_router_flag_variant_requests_total\{rollout="flagged",revision="2",flag="ramped-planner",variant="on",code_class="5xx"\} (\d+)/.exec(
        metrics,
      );
    expect(Number(failedOn?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(
      /cutover_router_flag_variant_requests_total\{rollout="flagged",revision="2",flag="ramped-planner",variant="off",code_class="2xx"\} [1-9]/,
    );
  }, 120_000);

  it("should import the seed's feature-flags.json: print it, apply it, refuse bad input with the file and field", async () => {
    const seed = {
      flags: {
        seed_planner: {
          enabled: true,
          rollout_percentage: 25,
          target_users: ['alice'],
          environments: ['production'],
        },
        seed_tools: { enabled: true, rollout_percentage: 100 },
      },
      killswitches: { seed_tools: true },
    };
    const file = env.write('seed/feature-flags.json', JSON.stringify(seed));
    const printed = await env.cliOk(['flags', 'import', file]);
    expect(printed.stdout).toContain('kind: FeatureFlags');
    expect(printed.stdout).toContain('name: feature-flags-production');
    expect(printed.stdout).toContain('environment: production');
    const json = JSON.parse((await env.cliOk(['flags', 'import', file, '-o', 'json'])).stdout) as {
      items: { metadata: { name: string } }[];
    };
    expect(json.items.map((i) => i.metadata.name)).toEqual(['feature-flags', 'feature-flags-production']);

    const notJson = await env.cli(['flags', 'import', env.write('seed/broken.json', '{"flags": {')]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^error: .*seed\/broken\.json: not JSON: /);
    const wrong = await env.cli([
      'flags',
      'import',
      env.write(
        'seed/wrong.json',
        JSON.stringify({ flags: { seed_planner: { rollout_percentage: '25%' } } }),
      ),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      'wrong.json: flags.seed_planner.rollout_percentage: expected a number 0..100, got string "25%"',
    );

    const applied = await env.cliOk(['flags', 'import', file, '--apply']);
    expect(applied.stdout.trim().split('\n')).toEqual([
      'featureflags.cutover.dev/feature-flags configured',
      'featureflags.cutover.dev/feature-flags-production configured',
    ]);
    const evaluate = async (key: string, targetingKey: string, environment?: string) => {
      const res = await request(`${baseUrl()}/ofrep/v1/evaluate/flags/${key}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(environment !== undefined ? { 'x-cutover-environment': environment } : {}),
        },
        body: JSON.stringify({ context: { targetingKey } }),
      });
      return (await res.body.json()) as { value?: unknown; reason: string };
    };
    expect(await evaluate('seed_planner', 'alice', 'production')).toMatchObject({ value: true });
    expect(await evaluate('seed_planner', 'alice')).toMatchObject({ value: false });
    expect(await evaluate('seed_tools', 'alice')).toMatchObject({ reason: 'DISABLED' });
  }, 60_000);

  it('should keep evaluating while the control plane is killed and after a router process restart', async () => {
    const serverPid = env.serverPid();
    expect(serverPid).toBeDefined();
    process.kill(serverPid!, 'SIGKILL');
    await waitUntil(() => !isAlive(serverPid!), { timeoutMs: 5_000, what: 'the server to die' });
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'alice' })).toBe(true);

    const { routerPid } = dataPlaneInfo();
    process.kill(routerPid, 'SIGKILL');
    await waitUntil(() => dataPlaneInfo().routerPid !== routerPid, {
      timeoutMs: 10_000,
      what: 'a new router process',
    });
    // The new router process serves the flags it finds in the data directory, without a control plane.
    expect(await client.getBooleanValue('beta-planner', false, { targetingKey: 'bob' })).toBe(true);
    expect(await client.getStringValue('model-path', 'none', { targetingKey: 'x' })).toBe('models/small');
  }, 60_000);
});
