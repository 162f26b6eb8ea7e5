/**
 * `cutover server --platform kubernetes` against the simulated Kubernetes API server (there is no
 * cluster on these machines; docs/kubernetes.md says what was and was not run against a real one):
 * the real control plane process, its controller and CLI, Argo Rollouts applied unchanged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type V1Deployment, type V1ReplicaSet, type V1Service } from '@kubernetes/client-node';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KubeObjects } from '../src/platform/kubernetes/kube-objects.js';
import type { HttpRoute } from '../src/platform/kubernetes/traffic/gateway-api.js';
import { hasChromium, launchChromium, signIn, watchConsole } from './support/browser.js';
import { CutoverEnv, REPO_ROOT, waitUntil } from './support/cutover-env.js';
import { gatewayObjects, istioObjects } from './support/kube/cluster-objects.js';
import {
  JOB_OUTCOME_ANNOTATION,
  type SimulatedKubeApi,
  startSimulatedKubeApi,
} from './support/simulated-kube-api.js';

const NS = 'agents';

/** An Argo Rollout with a Gateway API canary, as a team writes it for Argo Rollouts. */
function webRollout(image: string): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'web', image, args: ['--listen', ':8080'], ports: [{ containerPort: 8080 }] }],
        },
      },
      strategy: {
        canary: {
          stableService: 'web-stable',
          canaryService: 'web-canary',
          scaleDownDelaySeconds: 1,
          trafficRouting: {
            plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web', namespace: NS } },
          },
          steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
        },
      },
    },
  };
}

describe('the control plane on the kubernetes platform (simulated Kubernetes API server)', () => {
  let api: SimulatedKubeApi;
  let objects: KubeObjects;
  const env = CutoverEnv.create('cutover-k8s-');

  beforeAll(async () => {
    api = await startSimulatedKubeApi();
    const config = new KubeConfig();
    config.loadFromString(api.kubeconfig());
    objects = new KubeObjects(config);
    env.env['KUBECONFIG'] = env.write('kubeconfig.yaml', api.kubeconfig());
    env.env['CUTOVER_PLATFORM'] = 'kubernetes';
    await gatewayObjects(objects, NS, 'web');
  });
  afterAll(async () => {
    await env.cleanup();
    await api.close();
  });

  const weights = () =>
    (
      api.get('httproutes.gateway.networking.k8s.io', NS, 'web') as HttpRoute | undefined
    )?.spec?.rules?.[0]?.backendRefs?.map((b) => b.weight);
  const selectorHash = (service: string) =>
    (api.get('services', NS, service) as V1Service | undefined)?.spec?.selector?.[
      'rollouts-pod-template-hash'
    ];
  /** `<name>=<replicas>/<available>` of the Rollout's ReplicaSets, sorted. */
  const replicaSets = (app: string, ns = NS) =>
    (api.objects('replicasets.apps', ns) as V1ReplicaSet[])
      .filter(
        (rs) =>
          rs.metadata?.labels?.['app'] === app || rs.metadata?.labels?.['app.kubernetes.io/name'] === app,
      )
      .map((rs) => `${rs.metadata?.name}=${rs.spec?.replicas}/${rs.status?.availableReplicas ?? 0}`)
      .sort();
  const hashOf = (revision: number, rollout = 'web') =>
    (api.objects('replicasets.apps', NS) as V1ReplicaSet[]).find(
      (rs) =>
        rs.metadata?.annotations?.['rollout.argoproj.io/revision'] === String(revision) &&
        rs.metadata?.annotations?.['argo-rollouts.argoproj.io/managed-by-rollouts'] === rollout,
    )?.metadata?.labels?.['rollouts-pod-template-hash'];

  it('should walk an Argo Rollout canary on the cluster: HTTPRoute weights per step, promote and abort from the CLI', async () => {
    await env.applyOk(stringify(webRollout('registry.example.com/web:1.0.0')), 'web.yaml');
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 1, {
      what: 'Healthy on revision 1',
    });
    const h1 = hashOf(1);
    expect(h1).toMatch(/^[0-9a-z]{6,10}$/);
    expect(replicaSets('web')).toEqual([`web-${h1}=4/4`]);
    expect(selectorHash('web-stable')).toBe(h1);

    // A new image: revision 2 at 20 %, paused; the HTTPRoute holds 80/20.
    await env.applyOk(stringify(webRollout('registry.example.com/web:1.1.0')), 'web.yaml');
    await env.waitForRollout(
      'web',
      (r) => r.status.phase === 'Paused' && r.status.currentRevision === 2 && r.status.currentStepIndex === 1,
      { what: 'paused at 20 %' },
    );
    const h2 = hashOf(2);
    expect(h2).not.toBe(h1);
    await waitUntil(() => JSON.stringify(weights()) === '[80,20]', {
      what: 'the route at 80/20',
      timeoutMs: 10_000,
    });
    expect(selectorHash('web-canary')).toBe(h2);
    expect(selectorHash('web-stable')).toBe(h1);

    await env.cliOk(['promote', 'web']);
    await env.waitForRollout('web', (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 3, {
      what: 'paused at 50 %',
    });
    expect(weights()).toEqual([50, 50]);
    await env.cliOk(['promote', 'web']);
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'Healthy on revision 2',
    });
    expect(selectorHash('web-stable')).toBe(h2);
    expect(weights()).toEqual([100, 0]);
    // As Argo: after scaleDownDelaySeconds the old ReplicaSet is scaled to 0 (kept or deleted).
    await waitUntil(() => replicaSets('web').every((rs) => rs === `web-${h2}=4/4` || rs.endsWith('=0/0')), {
      what: 'the old ReplicaSet scaled down',
      timeoutMs: 20_000,
      describe: () => replicaSets('web').join(' '),
    });

    // Revision 3 aborted at 20 %: every request back to stable, revision 2's pods untouched.
    await env.applyOk(stringify(webRollout('registry.example.com/web:1.2.0')), 'web.yaml');
    await env.waitForRollout('web', (r) => r.status.phase === 'Paused' && r.status.currentRevision === 3, {
      what: 'paused at 20 % on revision 3',
    });
    await waitUntil(() => JSON.stringify(weights()) === '[80,20]', {
      what: 'the route at 80/20 again',
      timeoutMs: 10_000,
    });
    await env.cliOk(['abort', 'web']);
    await env.waitForRollout('web', (r) => r.status.abort && r.status.phase === 'Degraded', {
      what: 'aborted',
    });
    await waitUntil(() => JSON.stringify(weights()) === '[100,0]', {
      what: 'the route back at 100/0',
      timeoutMs: 10_000,
    });
    expect(selectorHash('web-stable')).toBe(h2);
    const history = await env.history('web');
    expect(history.events.filter((e) => e.reason === 'RolloutAborted')).toHaveLength(1);
  }, 120_000);

  it.skipIf(!hasChromium() && !process.env.CI)(
    "should say that the router carries no traffic of a Rollout on the cluster: the API's stats and traffic answer 409, the dashboard says why (a real browser)",
    async () => {
      for (const path of ['/api/v1/rollouts/web/stats', '/api/v1/rollouts/web/traffic']) {
        const res = await request(`http://127.0.0.1:${env.apiPort()}${path}`, {
          headers: { authorization: `Bearer ${env.apiToken()}` },
        });
        expect(res.statusCode).toBe(409);
        expect(await res.body.json()).toMatchObject({
          code: 'CUTOVER_E_BUILTIN_METRICS_UNAVAILABLE',
          message: expect.stringContaining('Rollout web runs on the kubernetes platform'),
        });
      }
      const browser = await launchChromium();
      try {
        const page = await (await browser.newContext()).newPage();
        const errors = watchConsole(page);
        await signIn(page, `http://127.0.0.1:${env.apiPort()}/ui/#/rollouts/web`, env.apiToken());
        const note = page.locator('section[aria-labelledby="traffic-h"] .no-traffic');
        await note.waitFor({ timeout: 10_000 });
        expect(await note.textContent()).toContain("builtin metrics come from cutover's router");
        expect(await page.locator('.error[role="alert"]').count()).toBe(0);
        // The browser logs the 409 answer itself; nothing else.
        expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it('should run Argo Job-form analysis as Kubernetes Jobs in the Rollout namespace: a complete Job passes, a failed Job aborts', async () => {
    await gatewayObjects(objects, NS, 'api');
    const jobTemplate = (name: string, outcome: 'Complete' | 'Failed') => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name, namespace: NS },
      spec: {
        metrics: [
          {
            name: 'smoke',
            provider: {
              job: {
                metadata: { annotations: { [JOB_OUTCOME_ANNOTATION]: outcome } },
                spec: {
                  backoffLimit: 0,
                  template: {
                    spec: {
                      containers: [
                        { name: 'check', image: 'alpine:3.8', command: ['sh', '-c'], args: ['exit 0'] },
                      ],
                      restartPolicy: 'Never',
                    },
                  },
                },
              },
            },
          },
        ],
      },
    });
    const rollout = (image: string) => {
      const r = webRollout(image) as {
        metadata: { name: string };
        spec: Record<string, unknown> & { template: { metadata: { labels: Record<string, string> } } };
      };
      r.metadata.name = 'api';
      r.spec['selector'] = { matchLabels: { app: 'api' } };
      r.spec.template.metadata.labels = { app: 'api' };
      r.spec['strategy'] = {
        canary: {
          stableService: 'api-stable',
          canaryService: 'api-canary',
          trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'api', namespace: NS } } },
          steps: [
            { setWeight: 20 },
            { analysis: { templates: [{ templateName: 'job-passes' }] } },
            { setWeight: 50 },
            { analysis: { templates: [{ templateName: 'job-fails' }] } },
          ],
        },
      };
      return r;
    };
    const docs = (image: string) =>
      [jobTemplate('job-passes', 'Complete'), jobTemplate('job-fails', 'Failed'), rollout(image)]
        .map((d) => stringify(d))
        .join('---\n');
    await env.applyOk(docs('registry.example.com/api:1'), 'api.yaml');
    await env.waitForRollout('api', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 1, {
      what: 'api Healthy on revision 1',
    });
    await env.applyOk(docs('registry.example.com/api:2'), 'api.yaml');
    await env.waitForRollout('api', (r) => r.status.abort && r.status.phase === 'Degraded', {
      what: 'api aborted by the failed Job',
      timeoutMs: 60_000,
    });
    const routeWeights = () =>
      (
        api.get('httproutes.gateway.networking.k8s.io', NS, 'api') as HttpRoute | undefined
      )?.spec?.rules?.[0]?.backendRefs?.map((b) => b.weight);
    await waitUntil(() => JSON.stringify(routeWeights()) === '[100,0]', {
      what: 'api back at 100/0',
      timeoutMs: 10_000,
    });
    const jobs = api
      .objects('jobs.batch', NS)
      .filter((j) => j.metadata.annotations?.['analysisrun.argoproj.io/name']?.startsWith('api-'));
    const outcomes = jobs.map((j) => [
      j.metadata.annotations?.[JOB_OUTCOME_ANNOTATION],
      (j.status as { conditions?: { type: string }[] })?.conditions?.[0]?.type,
    ]);
    expect(outcomes).toEqual([
      ['Complete', 'Complete'],
      ['Failed', 'Failed'],
    ]);
    const history = await env.history('api');
    const aborted = history.events.find((e) => e.reason === 'RolloutAborted');
    expect(aborted?.message).toContain('failed');
    // The image is pulled on this platform: no JobImageNotPulled event.
    expect(history.events.some((e) => e.reason === 'JobImageNotPulled')).toBe(false);
  }, 120_000);

  it('should run an Argo blue-green Rollout: the preview Service on the new hash, promote switches the active Service', async () => {
    for (const name of ['chat-active', 'chat-preview'])
      await objects.upsert<V1Service>({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: NS },
        spec: { selector: { app: 'chat' }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    const rollout = (image: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'chat', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'chat' } },
        template: {
          metadata: { labels: { app: 'chat' } },
          spec: { containers: [{ name: 'chat', image, ports: [{ containerPort: 8080 }] }] },
        },
        strategy: {
          blueGreen: {
            activeService: 'chat-active',
            previewService: 'chat-preview',
            autoPromotionEnabled: false,
            scaleDownDelaySeconds: 1,
          },
        },
      },
    });
    await env.applyOk(stringify(rollout('registry.example.com/chat:1')), 'chat.yaml');
    await env.waitForRollout('chat', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 1, {
      what: 'chat Healthy on revision 1',
    });
    const h1 = hashOf(1, 'chat');
    expect(selectorHash('chat-active')).toBe(h1);
    await env.applyOk(stringify(rollout('registry.example.com/chat:2')), 'chat.yaml');
    await env.waitForRollout('chat', (r) => r.status.phase === 'Paused' && r.status.currentRevision === 2, {
      what: 'chat paused before promotion',
    });
    const h2 = hashOf(2, 'chat');
    expect(h2).not.toBe(h1);
    await waitUntil(() => selectorHash('chat-preview') === h2, {
      what: 'the preview Service on revision 2',
      timeoutMs: 10_000,
    });
    expect(selectorHash('chat-active')).toBe(h1);
    expect(replicaSets('chat')).toEqual([`chat-${h1}=2/2`, `chat-${h2}=2/2`].sort());
    await env.cliOk(['promote', 'chat']);
    await env.waitForRollout('chat', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'chat Healthy on revision 2',
    });
    await waitUntil(() => selectorHash('chat-active') === h2, {
      what: 'the active Service on revision 2',
      timeoutMs: 10_000,
    });
    await waitUntil(() => replicaSets('chat').every((rs) => rs === `chat-${h2}=2/2` || rs.endsWith('=0/0')), {
      what: 'the old ReplicaSet scaled down',
      timeoutMs: 20_000,
      describe: () => replicaSets('chat').join(' '),
    });
  }, 90_000);

  it("should take a workloadRef Deployment's pod template and selector, follow its new template as a new revision, and refuse one the cluster does not have", async () => {
    await gatewayObjects(objects, NS, 'docs');
    await objects.upsert<V1Deployment>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'docs', namespace: NS },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'docs' } },
        template: {
          metadata: { labels: { app: 'docs' } },
          spec: { containers: [{ name: 'docs', image: 'registry.example.com/docs:7' }] },
        },
      },
    });
    const rollout = (deployment: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'docs', namespace: NS },
      spec: {
        replicas: 2,
        workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
        strategy: {
          canary: {
            stableService: 'docs-stable',
            canaryService: 'docs-canary',
            trafficRouting: { plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'docs', namespace: NS } } },
            steps: [{ setWeight: 50 }, { pause: {} }],
          },
        },
      },
    });
    const missing = await env.apply(stringify(rollout('no-such-deployment')), 'docs.yaml');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('spec.workloadRef.name');
    expect(missing.stderr).toContain(`Deployment ${NS}/no-such-deployment not found`);
    expect((await env.cli(['get', 'rollout', 'docs'])).code).not.toBe(0);

    await env.applyOk(stringify(rollout('docs')), 'docs.yaml');
    await env.waitForRollout('docs', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 1, {
      what: 'docs Healthy on revision 1',
    });
    const rs = (api.objects('replicasets.apps', NS) as V1ReplicaSet[]).find((x) =>
      x.metadata?.name?.startsWith('docs-'),
    );
    expect(rs?.spec?.template?.spec?.containers[0]?.image).toBe('registry.example.com/docs:7');
    expect(rs?.spec?.selector?.matchLabels).toMatchObject({ app: 'docs' });
    expect(replicaSets('docs')).toEqual([`${rs?.metadata?.name}=2/2`]);

    // As Argo: a new image in the Deployment is a new revision of the Rollout, rolled out by its steps.
    await objects.update<V1Deployment>(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'docs' },
      (d) => {
        d.spec!.template.spec!.containers[0]!.image = 'registry.example.com/docs:8';
        return true;
      },
    );
    await env.waitForRollout('docs', (r) => r.status.phase === 'Paused' && r.status.currentRevision === 2, {
      what: "docs paused at 50 % on the Deployment's new template",
    });
    const h2 = hashOf(2, 'docs');
    const canary = api.get('replicasets.apps', NS, `docs-${h2}`) as V1ReplicaSet | undefined;
    expect(canary?.spec?.template?.spec?.containers[0]?.image).toBe('registry.example.com/docs:8');
    const created = (
      await env.apiGet<{ items: { reason: string; actor: string; message: string }[] }>(
        '/api/v1/events?rollout=docs',
      )
    ).items.filter((e) => e.reason === 'RevisionCreated');
    expect(created.map((e) => e.actor)).toEqual(expect.arrayContaining(['controller']));
    expect(created.some((e) => e.message.includes(`(${h2})`))).toBe(true);
    await env.cliOk(['promote', 'docs']);
    await env.waitForRollout('docs', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'docs Healthy on revision 2',
    });
    expect(selectorHash('docs-stable')).toBe(h2);
    // The Deployment unchanged since: no third revision.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await env.getRollout('docs')).status.currentRevision).toBe(2);
  }, 60_000);

  it("should apply the seed's NPA Argo Rollout and its four AnalysisTemplates unchanged, and run its pods", async () => {
    // The cluster's own objects the manifest names (a team has them before its first rollout).
    const ns = 'agent-mesh';
    await istioObjects(objects, ns, 'npa');
    const file = join(import.meta.dirname, 'fixtures', 'argo', 'npa-rollout.yaml');
    const text = readFileSync(file, 'utf8');
    const applied = await env.applyOk(text, 'npa-rollout.yaml');
    expect(applied.stdout).toContain('npa');
    const listed = await env.cliOk(['list', 'analysistemplates']);
    for (const name of ['npa-error-rate', 'npa-latency', 'npa-coordination-ready', 'npa-plan-quality'])
      expect(listed.stdout).toContain(name);
    await env.waitForRollout('npa', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 1, {
      what: 'npa Healthy on revision 1',
    });
    const npa = await env.getRollout('npa');
    expect(npa.spec['kubernetes']).toMatchObject({ namespace: ns, trafficRouting: { provider: 'istio' } });
    const hash = (api.objects('replicasets.apps', ns) as V1ReplicaSet[])[0]?.metadata?.labels?.[
      'rollouts-pod-template-hash'
    ];
    expect(replicaSets('npa', ns)).toEqual([`npa-${hash}=${npa.spec['replicas']}/${npa.spec['replicas']}`]);
    expect((api.get('services', ns, 'npa-stable') as V1Service).spec?.selector).toEqual({
      app: 'npa',
      'rollouts-pod-template-hash': hash,
    });
  }, 60_000);

  it('should refuse a cutover.dev Rollout on the kubernetes platform with the reason, storing nothing', async () => {
    const local = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'local-web' },
      spec: {
        port: 18080,
        template: { command: ['node', 'server.js'] },
        strategy: { canary: { steps: [{ setWeight: 50 }] } },
      },
    };
    const result = await env.apply(stringify(local), 'local.yaml');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('local.yaml');
    expect(result.stderr).toContain('kind');
    expect(result.stderr).toContain('on the kubernetes platform apply an Argo Rollout');
    const listed = await env.cli(['get', 'rollout', 'local-web']);
    expect(listed.code).not.toBe(0);

    // A flag key defined twice (the third document, behind an Argo Rollout): refused there, with nothing stored.
    const flags = (name: string) => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'FeatureFlags',
      metadata: { name },
      spec: {
        flags: { planner: { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' } },
      },
    });
    const revisions = async () =>
      (
        await env
          .apiGet<{ items: { number: number }[] }>('/api/v1/rollouts/web/revisions')
          .catch(() => ({ items: [] }))
      ).items.map((r) => r.number);
    const before = await revisions();
    const text = [webRollout('registry.example.com/web:9'), flags('flags-a'), flags('flags-b')]
      .map((d) => stringify(d))
      .join('---\n');
    const twice = await env.apply(text, 'flags.yaml');
    // The line of the third document's `planner:` key (document indexes as in the file, Argo Rollout included).
    const lines = text.split('\n');
    const third = lines.findIndex(
      (l, i) => l.includes('planner:') && lines.slice(0, i).filter((x) => x === '---').length === 2,
    );
    expect(twice.code).not.toBe(0);
    // The issue is located at the value of `planner:` (the line after the key).
    expect(twice.stderr).toContain(`flags.yaml:${third + 2}:`);
    expect(twice.stderr).toContain('is also defined by FeatureFlags "flags-a"');
    expect((await env.cli(['get', 'featureflags', 'flags-a'])).code).not.toBe(0);
    // The Argo Rollout of the file was not stored either: no new revision of web.
    expect(await revisions()).toEqual(before);

    // A release (its Rollouts are cutover.dev Rollouts): refused at create, located, nothing stored.
    await env.cliOk(['apply', '-f', join(REPO_ROOT, 'examples/release/environments.yaml')]);
    const release = await env.cli([
      'release',
      'create',
      '-f',
      join(REPO_ROOT, 'examples/release/shop-v1.yaml'),
    ]);
    expect(release.code).not.toBe(0);
    expect(release.stderr).toMatch(/shop-v1\.yaml:\d+:\d+/);
    expect(release.stderr).toContain('spec.rollouts');
    expect(release.stderr).toContain('releases are not supported on --platform kubernetes yet');
    expect((await env.cli(['release', 'get', 'shop-v1'])).code).not.toBe(0);
  });

  it('should refuse --rollout-threads the platform cannot take before the server holds anything', async () => {
    const fresh = CutoverEnv.create('cutover-k8s-threads-');
    try {
      const local = await fresh.cli(['server', '--port', '0', '--rollout-threads', '4'], {
        env: { CUTOVER_PLATFORM: 'local' },
      });
      expect(local.code).not.toBe(0);
      expect(local.stderr).toContain(
        '--rollout-threads: the local platform reconciles one Rollout at a time (1), got 4',
      );
      const bad = await fresh.cli(['server', '--port', '0'], {
        env: {
          CUTOVER_PLATFORM: 'kubernetes',
          CUTOVER_ROLLOUT_THREADS: 'ten',
          KUBECONFIG: env.env['KUBECONFIG']!,
        },
      });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('CUTOVER_ROLLOUT_THREADS: expected an integer from 1 to 100, got "ten"');
      expect(fresh.serverPid()).toBeUndefined();
    } finally {
      await fresh.cleanup();
    }
  });
});
