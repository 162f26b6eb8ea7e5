import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KubeConfig,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutDataPlaneSpec, RolloutDataPlaneStatus } from '../src/dataplane/protocol.js';
import { applyCommand } from '../src/engine/commands.js';
import { initialStatus, reconcile } from '../src/engine/reconcile.js';
import type { ObservedAnalysisRun, Revision, RolloutStatus } from '../src/engine/types.js';
import { bindingFor } from '../src/platform/kubernetes/binding.js';
import { KubeObjects, ListedObjects } from '../src/platform/kubernetes/kube-objects.js';
import {
  type KubernetesBinding,
  KubernetesDataPlane,
} from '../src/platform/kubernetes/kubernetes-data-plane.js';
import { gatewayApiProvider, type HttpRoute } from '../src/platform/kubernetes/traffic/gateway-api.js';
import {
  type DestinationRule,
  istioProvider,
  type VirtualService,
} from '../src/platform/kubernetes/traffic/istio.js';
import { nginxProvider } from '../src/platform/kubernetes/traffic/nginx.js';
import { replicaRatioProvider } from '../src/platform/kubernetes/traffic/replica-ratio.js';
import {
  type ArgoRollout,
  convertArgoRollout,
  parseKubernetesSpecs,
  podTemplateHash,
} from '../src/spec/index.js';
import type { RolloutSpec } from '../src/spec/types.js';
import { gatewayObjects, istioObjects } from './support/kube/cluster-objects.js';
import { type SimulatedKubeApi, startSimulatedKubeApi } from './support/simulated-kube-api.js';

const NS = 'agents';

/**
 * The pure engine (`reconcile`, the same the controller runs) carried out on Kubernetes objects by
 * the KubernetesDataPlane, against the simulated API server: each tick reconciles with what the
 * cluster holds, applies the desired state, and moves time.
 */
class EngineOnKubernetes {
  now = 1_000_000;
  status: RolloutStatus = initialStatus(this.now);
  revisions: Revision[] = [];
  runs: Record<string, ObservedAnalysisRun> = {};
  observed: RolloutDataPlaneStatus | undefined;
  /** The desired state of the last tick. */
  desired: RolloutDataPlaneSpec | undefined;
  readonly events: string[] = [];
  /** The phase every AnalysisRun the engine starts is observed in (the analysis itself is not run here). */
  analysisPhase: ObservedAnalysisRun['phase'] = 'Running';

  readonly plane: KubernetesDataPlane;

  constructor(
    readonly spec: RolloutSpec,
    readonly objects: KubeObjects,
    readonly binding: KubernetesBinding,
  ) {
    this.plane = new KubernetesDataPlane(objects);
  }

  addRevision(hash: string): void {
    // The engine's revision: on Kubernetes only its number and hash matter (the pod template is the binding's).
    this.revisions.push({
      number: this.revisions.length + 1,
      hash,
      template: { command: ['unused-on-kubernetes'] },
      createdAt: this.now,
    });
  }

  /** Engine time per tick, ms. */
  stepMs = 500;

  /** As the controller's pass: observe (one `ListedObjects`), reconcile, write from that observation. */
  async tick(stepMs = this.stepMs): Promise<void> {
    const observation = new ListedObjects(this.objects);
    if (this.desired !== undefined)
      this.observed = await this.plane.status(
        this.desired,
        this.binding,
        this.status.stableRevision,
        observation,
      );
    const result = reconcile(
      { name: 'npa', spec: this.spec, revisions: this.revisions, status: this.status },
      { dataPlane: this.observed, analysisRuns: this.runs, flagRamps: [] },
      this.now,
    );
    this.status = result.status;
    this.events.push(...result.events.map((e) => `${e.reason}: ${e.message}`));
    for (const action of result.actions)
      if (action.type === 'createAnalysisRun') this.runs[action.name] = { phase: this.analysisPhase };
    this.desired = result.desired;
    await this.plane.apply(result.desired, this.binding, this.status.stableRevision, {
      observed: observation,
    });
    this.now += stepMs;
  }

  async until(what: string, predicate: () => boolean | Promise<boolean>, ticks = 40): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      await this.tick();
      if (await predicate()) return;
      await new Promise((r) => setTimeout(r, 60)); // the simulated pods get ready in real time
    }
    throw new Error(`${what}: not reached; status ${JSON.stringify(this.status)}`);
  }

  command(command: 'promote' | 'abort'): void {
    const result = applyCommand(
      { name: 'npa', spec: this.spec, revisions: this.revisions, status: this.status },
      command,
      {},
      this.now,
    );
    this.status = result.status;
  }
}

const spec: RolloutSpec = {
  replicas: 4,
  port: 8080,
  template: { command: ['unused-on-kubernetes'] },
  strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }] } },
};

describe('Kubernetes platform on the simulated Kubernetes API server', () => {
  let api: SimulatedKubeApi;
  let objects: KubeObjects;
  beforeAll(async () => {
    api = await startSimulatedKubeApi();
    const config = new KubeConfig();
    config.loadFromString(api.kubeconfig());
    objects = new KubeObjects(config);
  });
  afterAll(async () => {
    await api.close();
  });

  const service = (name: string): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS },
    spec: { selector: { app: 'npa' }, ports: [{ port: 80, targetPort: 8080 }] },
  });
  const binding = (provider: KubernetesBinding['provider']): KubernetesBinding => ({
    workload: { name: 'npa', namespace: NS, selector: { app: 'npa' } },
    podTemplate: (revision) => ({
      metadata: { labels: { app: 'npa' } },
      spec: {
        containers: [
          { name: 'npa', image: `registry.example/npa:v${revision}`, ports: [{ containerPort: 8080 }] },
        ],
      },
    }),
    strategy: { canary: { stableService: 'npa-stable', canaryService: 'npa-canary' } },
    provider,
  });
  const replicaSets = async () =>
    (await objects.list<V1ReplicaSet>('apps/v1', 'ReplicaSet', NS, { app: 'npa' }))
      .map((rs) => `${rs.metadata?.name}=${rs.spec?.replicas}`)
      .sort();
  const selectorHashIn = async (namespace: string, name: string) =>
    (await objects.read<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace, name }))?.spec?.selector?.[
      'rollouts-pod-template-hash'
    ];
  const selectorHash = async (name: string) =>
    (await objects.read<V1Service>({ apiVersion: 'v1', kind: 'Service', namespace: NS, name }))?.spec
      ?.selector?.['rollouts-pod-template-hash'];

  /** A Gateway API canary of `app` in `ns` (its cluster objects created), paused at 20 % on its second revision. */
  /** An engine on a Gateway API canary of `app` in `ns` (its cluster objects created), 2 replicas. */
  const gatewayCanary = async (
    ns: string,
    app: string,
    extra: Partial<KubernetesBinding> = {},
  ): Promise<EngineOnKubernetes> => {
    await gatewayObjects(objects, ns, app);
    const b: KubernetesBinding = {
      ...binding(gatewayApiProvider(objects, { httpRoutes: [app] })),
      workload: { name: app, namespace: ns, selector: { app } },
      podTemplate: (revision) => ({
        metadata: { labels: { app } },
        spec: { containers: [{ name: app, image: `registry.example/${app}:v${revision}` }] },
      }),
      strategy: { canary: { stableService: `${app}-stable`, canaryService: `${app}-canary` } },
      ...extra,
    };
    return new EngineOnKubernetes({ ...spec, replicas: 2 }, objects, b);
  };

  const pausedGatewayCanary = async (ns: string, app: string): Promise<EngineOnKubernetes> => {
    const engine = await gatewayCanary(ns, app);
    engine.addRevision(`${app}0001`);
    await engine.until('Healthy on revision 1', () => engine.status.phase === 'Healthy');
    engine.addRevision(`${app}0002`);
    await engine.until('paused at 20 %', () => engine.status.phase === 'Paused');
    return engine;
  };

  it('should walk a canary with Gateway API HTTPRoute weights, abort it back to stable, and promote the next one', async () => {
    await objects.upsert(service('npa-stable'));
    await objects.upsert(service('npa-canary'));
    const route: HttpRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'npa', namespace: NS },
      spec: {
        parentRefs: [{ name: 'agents-gateway' }],
        rules: [
          {
            backendRefs: [
              { name: 'npa-stable', port: 80, weight: 100 },
              { name: 'npa-canary', port: 80, weight: 0 },
            ],
          },
        ],
      } as HttpRoute['spec'],
    };
    await objects.upsert(route);
    const weights = async () =>
      (
        await objects.read<HttpRoute>({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          namespace: NS,
          name: 'npa',
        })
      )?.spec?.rules?.[0]?.backendRefs?.map((b) => b.weight);
    const engine = new EngineOnKubernetes(
      spec,
      objects,
      binding(gatewayApiProvider(objects, { httpRoutes: ['npa'] })),
    );
    engine.addRevision('aaa111');
    await engine.until('Healthy on revision 1', () => engine.status.phase === 'Healthy');
    expect(await replicaSets()).toEqual(['npa-aaa111=4']);
    expect(await selectorHash('npa-stable')).toBe('aaa111');

    // Revision 2: 20 %, paused; the route holds 80/20, the canary Service selects revision 2.
    engine.addRevision('bbb222');
    await engine.until('paused at 20 %', () => engine.status.phase === 'Paused');
    expect(await weights()).toEqual([80, 20]);
    expect(await selectorHash('npa-canary')).toBe('bbb222');
    expect(await selectorHash('npa-stable')).toBe('aaa111');
    expect(await replicaSets()).toEqual(['npa-aaa111=4', 'npa-bbb222=1']);

    // Abort: all traffic back to stable.
    engine.command('abort');
    await engine.until('aborted', () => engine.status.abort === true && engine.status.phase === 'Degraded');
    expect(await weights()).toEqual([100, 0]);

    // Revision 3 promoted through both pauses to Healthy: the stable Service and the route follow.
    engine.addRevision('ccc333');
    await engine.until(
      'paused at 20 % again',
      () => engine.status.phase === 'Paused' && engine.status.currentRevision === 3,
    );
    expect(await weights()).toEqual([80, 20]);
    engine.command('promote');
    await engine.until(
      'paused at 50 %',
      () => engine.status.phase === 'Paused' && engine.status.currentStepIndex === 3,
    );
    expect(await weights()).toEqual([50, 50]);
    engine.command('promote');
    await engine.until(
      'Healthy on revision 3',
      () => engine.status.phase === 'Healthy' && engine.status.stableRevision === 3,
    );
    expect(await selectorHash('npa-stable')).toBe('ccc333');
    expect(await weights()).toEqual([100, 0]);
    // Argo's default scaleDownDelaySeconds (30 s of engine time) later, the old ReplicaSets are
    // scaled to 0 and kept (revisionHistoryLimit, 10 by default).
    await engine.until(
      'old ReplicaSets scaled to 0',
      async () => (await replicaSets()).every((rs) => rs === 'npa-ccc333=4' || rs.endsWith('=0')),
      120,
    );
    expect(await replicaSets()).toEqual(['npa-aaa111=0', 'npa-bbb222=0', 'npa-ccc333=4']);
  });

  it('should keep the newest revisionHistoryLimit old ReplicaSets scaled to 0 and delete older ones, as Argo', async () => {
    const engine = await gatewayCanary('history', 'hl', { revisionHistoryLimit: 1 });
    engine.stepMs = 5_000; // engine time: scaleDownDelaySeconds (30 s) passes in 6 ticks
    const sets = async () =>
      (await objects.list<V1ReplicaSet>('apps/v1', 'ReplicaSet', 'history', { app: 'hl' }))
        .map((rs) => `${rs.metadata?.name}=${rs.spec?.replicas}`)
        .sort();
    /** Revision `n` (hash `hl000n`) promoted step by step to Healthy, then its old ReplicaSets retired. */
    const ship = async (n: number, expected: string[]) => {
      engine.addRevision(`hl000${n}`);
      await engine.until(
        `Healthy on revision ${n}`,
        () => {
          if (engine.status.phase === 'Paused') engine.command('promote');
          return engine.status.phase === 'Healthy' && engine.status.stableRevision === n;
        },
        120,
      );
      await engine.until(
        `revision ${n}'s old ReplicaSets retired`,
        async () => JSON.stringify(await sets()) === JSON.stringify(expected),
        120,
      );
    };
    await ship(1, ['hl-hl0001=2']);
    await ship(2, ['hl-hl0001=0', 'hl-hl0002=2']);
    // Only the newest old one is kept: revision 1's ReplicaSet is deleted.
    await ship(3, ['hl-hl0002=0', 'hl-hl0003=2']);
  });

  it('should observe the Rollouts of a namespace with one ReplicaSet list and one HTTPRoute list (ListedObjects), seeing what per-Rollout reads see', async () => {
    const ns = 'listed';
    const apps = ['la', 'lb', 'lc'];
    const engines = await Promise.all(apps.map((app) => pausedGatewayCanary(ns, app)));
    // Someone else moves lb's route: the observation must see the route, not the desired weight.
    await objects.update<HttpRoute>(
      { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: ns, name: 'lb' },
      (route) => {
        const refs = route.spec?.rules?.[0]?.backendRefs ?? [];
        for (const ref of refs) ref.weight = ref.name === 'lb-canary' ? 35 : 65;
        return true;
      },
    );
    const plane = new KubernetesDataPlane(objects);
    const observe = (reader?: ListedObjects) =>
      Promise.all(engines.map((e) => plane.status(e.desired!, e.binding, e.status.stableRevision, reader)));
    const before = api.requests.length;
    const listed = await observe(new ListedObjects(objects));
    expect(
      api.requests
        .slice(before)
        .filter((r) => r.path.includes('/namespaces/'))
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual([
      `GET /apis/apps/v1/namespaces/${ns}/replicasets`,
      `GET /apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`,
    ]);
    expect(listed).toEqual(await observe());
    expect(listed.map((s) => s.listeners[0]?.backends.map((b) => b.weight))).toEqual([
      [80, 20],
      [65, 35],
      [80, 20],
    ]);
    expect(listed.map((s) => s.replicaSets.map((rs) => `${rs.hash}=${rs.replicas}`).sort())).toEqual(
      apps.map((app) => [`${app}0001=2`, `${app}0002=1`]),
    );
  });

  it("should write a Rollout from the pass's observation: nothing for a Rollout that holds its desired state, one write per changed object, and a fresh read after a 409 when another writer changed it since", async () => {
    const ns = 'writes';
    const app = 'wa';
    const engine = await pausedGatewayCanary(ns, app);
    const b = engine.binding;
    const desired = engine.desired!;
    const stable = engine.status.stableRevision;
    const plane = new KubernetesDataPlane(objects);
    const routeRef = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      namespace: ns,
      name: app,
    };
    const withWeight = (weight: number): RolloutDataPlaneSpec => ({
      ...desired,
      listeners: desired.listeners.map((l, i) =>
        i > 0
          ? l
          : {
              ...l,
              backends: l.backends.map((be) => ({
                ...be,
                weight: be.revision === stable ? 100 - weight : weight,
              })),
            },
      ),
    });
    /** The requests `write` makes after the pass's observation (`status` through a fresh ListedObjects). */
    const writes = async (write: (observed: ListedObjects) => Promise<void>) => {
      const observed = new ListedObjects(objects);
      await plane.status(desired, b, stable, observed);
      const before = api.requests.length;
      await write(observed);
      return api.requests
        .slice(before)
        .filter((r) => r.path.includes(`/namespaces/${ns}/`))
        .map((r) => `${r.method} ${r.path.replace(/^.*\/namespaces\/[^/]+\//, '')} ${r.status}`);
    };
    // Holding its desired state: the Services are listed once (for the pins), nothing is written.
    expect(await writes((observed) => plane.apply(desired, b, stable, { observed }))).toEqual([
      'GET services 200',
    ]);
    // A new weight: one write, the route's, without reading it first.
    expect(await writes((observed) => plane.apply(withWeight(40), b, stable, { observed }))).toEqual([
      'GET services 200',
      `PUT httproutes/${app} 200`,
    ]);
    // Another writer changes the route after the observation: the write's 409 reads it again.
    expect(
      await writes(async (observed) => {
        await objects.update<HttpRoute>(routeRef, (route) => {
          route.metadata = { ...route.metadata, annotations: { 'example.com/owner': 'someone-else' } };
          return true;
        });
        await plane.apply(withWeight(60), b, stable, { observed });
      }),
    ).toEqual([
      `GET httproutes/${app} 200`,
      `PUT httproutes/${app} 200`,
      'GET services 200',
      `PUT httproutes/${app} 409`,
      `GET httproutes/${app} 200`,
      `PUT httproutes/${app} 200`,
    ]);
    const route = await objects.read<HttpRoute>(routeRef);
    expect(route?.spec?.rules?.[0]?.backendRefs?.map((r) => r.weight)).toEqual([40, 60]);
    expect(route?.metadata?.annotations?.['example.com/owner']).toBe('someone-else');
  });

  it('should walk a canary with Istio VirtualService weights and DestinationRule subsets, abort it, and promote the next one', async () => {
    const ns = 'istio-agents';
    await istioObjects(objects, ns, 'wpa');
    const istio = istioProvider(objects, {
      virtualServices: [{ name: 'wpa', routes: ['primary'] }],
      destinationRule: { name: 'wpa', canarySubsetName: 'canary', stableSubsetName: 'stable' },
    });
    const b: KubernetesBinding = {
      ...binding(istio),
      workload: { name: 'wpa', namespace: ns, selector: { app: 'wpa' } },
      podTemplate: (revision) => ({
        metadata: { labels: { app: 'wpa' } },
        spec: { containers: [{ name: 'wpa', image: `registry.example/wpa:v${revision}` }] },
      }),
      strategy: { canary: { stableService: 'wpa-stable', canaryService: 'wpa-canary' } },
    };
    const read = async () => ({
      weights: (
        await objects.read<VirtualService>({
          apiVersion: 'networking.istio.io/v1beta1',
          kind: 'VirtualService',
          namespace: ns,
          name: 'wpa',
        })
      )?.spec?.http?.[0]?.route?.map((d) => d.weight),
      subsets: (
        await objects.read<DestinationRule>({
          apiVersion: 'networking.istio.io/v1beta1',
          kind: 'DestinationRule',
          namespace: ns,
          name: 'wpa',
        })
      )?.spec?.subsets?.map((s) => `${s.name}=${s.labels?.['rollouts-pod-template-hash']}`),
    });
    const engine = new EngineOnKubernetes({ ...spec, replicas: 2 }, objects, b);
    engine.addRevision('ddd444');
    await engine.until('Healthy on revision 1', () => engine.status.phase === 'Healthy');
    engine.addRevision('eee555');
    await engine.until('paused at 20 %', () => engine.status.phase === 'Paused');
    expect(await read()).toEqual({ weights: [80, 20], subsets: ['stable=ddd444', 'canary=eee555'] });
    engine.command('abort');
    await engine.until('aborted', () => engine.status.abort === true && engine.status.phase === 'Degraded');
    expect((await read()).weights).toEqual([100, 0]);
    engine.addRevision('fff666');
    await engine.until(
      'paused at 20 % again',
      () => engine.status.phase === 'Paused' && engine.status.currentRevision === 3,
    );
    expect(await read()).toEqual({ weights: [80, 20], subsets: ['stable=ddd444', 'canary=fff666'] });
    engine.command('promote');
    await engine.until(
      'paused at 50 %',
      () => engine.status.phase === 'Paused' && engine.status.currentStepIndex === 3,
    );
    expect((await read()).weights).toEqual([50, 50]);
    engine.command('promote');
    await engine.until(
      'Healthy on revision 3',
      () => engine.status.phase === 'Healthy' && engine.status.stableRevision === 3,
    );
    expect(await read()).toEqual({ weights: [100, 0], subsets: ['stable=fff666', 'canary=fff666'] });
  });

  it('should keep an NGINX canary Ingress beside the stable one at the step weights, and carry a replica-ratio canary in the pod counts', async () => {
    const ns = 'edge';
    const svc = (name: string): V1Service => ({ ...service(name), metadata: { name, namespace: ns } });
    await objects.upsert(svc('web-stable'));
    await objects.upsert(svc('web-canary'));
    await objects.upsert({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: ns, annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
      spec: {
        rules: [
          {
            host: 'web.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web-stable', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    const canaryWeight = async () =>
      (
        await objects.read({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          namespace: ns,
          name: 'web-web-canary',
        })
      )?.metadata?.annotations?.['nginx.ingress.kubernetes.io/canary-weight'];
    const web = (provider: KubernetesBinding['provider'], name: string): KubernetesBinding => ({
      ...binding(provider),
      workload: { name, namespace: ns, selector: { app: name } },
      podTemplate: () => ({
        metadata: { labels: { app: name } },
        spec: { containers: [{ name, image: `registry.example/${name}` }] },
      }),
      strategy: { canary: { stableService: 'web-stable', canaryService: 'web-canary' } },
    });
    const engine = new EngineOnKubernetes(
      spec,
      objects,
      web(nginxProvider(objects, { stableIngress: 'web' }), 'web'),
    );
    engine.addRevision('aaa000');
    await engine.until('Healthy', () => engine.status.phase === 'Healthy');
    engine.addRevision('bbb000');
    await engine.until('paused at 20 %', () => engine.status.phase === 'Paused');
    expect(await canaryWeight()).toBe('20');
    engine.command('promote');
    await engine.until(
      'paused at 50 %',
      () => engine.status.phase === 'Paused' && engine.status.currentStepIndex === 3,
    );
    expect(await canaryWeight()).toBe('50');
    engine.command('abort');
    await engine.until('aborted', () => engine.status.phase === 'Degraded');
    expect(await canaryWeight()).toBe('0');

    // Without traffic routing the pods carry the split: 4 replicas at 50 % are 2 canary and 2 stable pods.
    const ratio = new EngineOnKubernetes(spec, objects, {
      ...web(replicaRatioProvider(), 'api'),
      strategy: { canary: {} },
    });
    ratio.addRevision('ccc000');
    await ratio.until('Healthy', () => ratio.status.phase === 'Healthy');
    ratio.addRevision('ddd000');
    await ratio.until('paused at 20 %', () => ratio.status.phase === 'Paused');
    ratio.command('promote');
    await ratio.until(
      'paused at 50 %',
      () => ratio.status.phase === 'Paused' && ratio.status.currentStepIndex === 3,
    );
    const pods = (await objects.list<V1ReplicaSet>('apps/v1', 'ReplicaSet', ns, { app: 'api' }))
      .map((rs) => `${rs.metadata?.name}=${rs.spec?.replicas}/${rs.status?.availableReplicas}`)
      .sort();
    expect(pods).toEqual(['api-ccc000=2/2', 'api-ddd000=2/2']);
  });

  // The NPA manifest is a reconstruction (test/fixtures/argo/npa-rollout.yaml says so): the seed's files are not public.
  it('should run the NPA Argo Rollout manifest unchanged: its Istio canary walks every step to Healthy, its four AnalysisTemplates validate', async () => {
    const file = join(import.meta.dirname, 'fixtures', 'argo', 'npa-rollout.yaml');
    const docs = parseKubernetesSpecs([{ text: readFileSync(file, 'utf8'), file }]).flat();
    const argo = docs.find(
      (d): d is ArgoRollout => d.apiVersion === 'argoproj.io/v1alpha1' && d.kind === 'Rollout',
    );
    expect(argo).toBeDefined();
    expect(docs.filter((d) => d.kind === 'AnalysisTemplate')).toHaveLength(4);
    const converted = convertArgoRollout(argo!);
    const { kubernetes: target } = converted;
    const ns = target.namespace ?? 'default';
    expect(target.trafficRouting.provider).toBe('istio');
    const v1 = target.template as V1PodTemplateSpec;
    const v2 = structuredClone(v1);
    const container = v2.spec?.containers[0];
    if (container) container.image = 'registry.example.com/agent-mesh/npa:2.5.0';
    const hashes = [target.podTemplateHash ?? '', podTemplateHash(v2 as never)];
    expect(hashes[0]).toMatch(/^[0-9a-z]{6,10}$/);
    expect(hashes[1]).not.toBe(hashes[0]);

    await istioObjects(objects, ns, 'npa');
    const engineSpec = {
      ...converted.spec,
      port: 8080,
      template: { command: ['unused-on-kubernetes'] },
    } as RolloutSpec;
    const engine = new EngineOnKubernetes(
      engineSpec,
      objects,
      bindingFor(target, objects, (revision) => (revision === 1 ? v1 : v2)),
    );
    engine.analysisPhase = 'Successful';
    engine.stepMs = 15_000; // the manifest's 2m and 5m pauses in a few ticks of engine time
    engine.addRevision(hashes[0]!);
    await engine.until('Healthy on 2.4.0', () => engine.status.phase === 'Healthy');
    engine.addRevision(hashes[1]!);
    await engine.until(
      'paused at the indefinite pause (50 %)',
      () => engine.status.phase === 'Paused' && engine.status.currentStepIndex === 7,
      80,
    );
    const vs = await objects.read<VirtualService>({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'VirtualService',
      namespace: ns,
      name: 'npa',
    });
    expect(vs?.spec?.http?.[0]?.route?.map((d) => d.weight)).toEqual([50, 50]);
    const dr = await objects.read<DestinationRule>({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'DestinationRule',
      namespace: ns,
      name: 'npa',
    });
    expect(dr?.spec?.subsets?.map((x) => x.labels?.['rollouts-pod-template-hash'])).toEqual(hashes);
    engine.command('promote');
    await engine.until(
      'Healthy on 2.5.0',
      () => engine.status.phase === 'Healthy' && engine.status.stableRevision === 2,
    );
    expect(await selectorHashIn(ns, 'npa-stable')).toBe(hashes[1]);
  });
});
