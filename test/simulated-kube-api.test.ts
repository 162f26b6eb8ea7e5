import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ReplicaSet,
  Watch,
} from '@kubernetes/client-node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SIMULATED_KUBE_API_TOKEN,
  JOB_OUTCOME_ANNOTATION,
  type KubeObject,
  PODS_NEVER_READY_ANNOTATION,
  type SimulatedKubeApi,
  type SimulatedKubeApiRequest,
  startSimulatedKubeApi,
} from './support/simulated-kube-api.js';

const NS = 'default';

let api: SimulatedKubeApi;
let kc: KubeConfig;

beforeEach(async () => {
  api = await startSimulatedKubeApi({ podReadyDelayMs: 50 });
  kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig());
});
afterEach(async () => {
  await api.close();
});

/** The Status body and code of a refused call (the test fails if the call succeeds). */
async function refusal(call: Promise<unknown>): Promise<{ code: number; reason: string; message: string }> {
  const error = await call.then(
    () => expect.fail('expected the API server to refuse the call'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  const { code, body } = error as ApiException<unknown>;
  const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as {
    reason: string;
    message: string;
    code: number;
    kind: string;
  };
  expect(parsed.kind).toBe('Status');
  expect(parsed.code).toBe(code);
  return { code, reason: parsed.reason, message: parsed.message };
}

/** Polls `check` every 20 ms until it returns true; fails after `timeoutMs`. */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) expect.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function replicaSet(name: string, replicas: number, annotations: Record<string, string> = {}): V1ReplicaSet {
  const labels = { app: 'web', 'rollouts-pod-template-hash': `${name}-hash` };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, labels, annotations },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

/** Where CustomObjectsApi finds HTTPRoutes and VirtualServices. */
const gateway = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: NS, plural: 'httproutes' };
const rollouts = { group: 'argoproj.io', version: 'v1alpha1', namespace: NS, plural: 'rollouts' };
const istio = { group: 'networking.istio.io', version: 'v1beta1', namespace: NS, plural: 'virtualservices' };

const httpRoute = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web' },
  spec: {
    parentRefs: [{ name: 'gateway' }],
    rules: [
      {
        backendRefs: [
          { name: 'web-stable', port: 80, weight: 100 },
          { name: 'web-canary', port: 80, weight: 0 },
        ],
      },
    ],
  },
};

const virtualService = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: 'web' },
  spec: {
    hosts: ['web'],
    http: [
      {
        name: 'primary',
        route: [
          { destination: { host: 'web', subset: 'stable' }, weight: 100 },
          { destination: { host: 'web', subset: 'canary' }, weight: 0 },
        ],
      },
    ],
  },
};

describe('simulated Kubernetes API server', () => {
  it('should create, read, replace, patch and delete a ReplicaSet on the simulated Kubernetes API server', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedReplicaSet({ namespace: NS, body: replicaSet('web-1', 0) });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.namespace).toBe(NS);
    // the simulated ReplicaSet controller writes the status once (a new resourceVersion)
    await waitFor(() => api.get('replicasets.apps', NS, 'web-1')?.status !== undefined);
    const read = await apps.readNamespacedReplicaSet({ name: 'web-1', namespace: NS });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const replaced = await apps.replaceNamespacedReplicaSet({
      name: 'web-1',
      namespace: NS,
      body: { ...read, metadata: { ...read.metadata, labels: { ...read.metadata?.labels, tier: 'front' } } },
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(read.metadata?.resourceVersion),
    );
    expect(replaced.metadata?.generation).toBe(1); // a metadata change is not a spec change
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);

    const merged = await apps.patchNamespacedReplicaSet(
      { name: 'web-1', namespace: NS, body: { spec: { minReadySeconds: 5 } } },
      mergePatch,
    );
    expect(merged.spec?.minReadySeconds).toBe(5);
    expect(merged.metadata?.generation).toBe(2);
    expect(merged.metadata?.labels?.tier).toBe('front');

    // client-node's default patch type is a JSON patch (RFC 6902)
    const patched = await apps.patchNamespacedReplicaSet({
      name: 'web-1',
      namespace: NS,
      body: [{ op: 'replace', path: '/spec/minReadySeconds', value: 7 }],
    });
    expect(patched.spec?.minReadySeconds).toBe(7);
    expect(patched.metadata?.generation).toBe(3);

    await apps.deleteNamespacedReplicaSet({ name: 'web-1', namespace: NS, propagationPolicy: 'Foreground' });
    const gone = await refusal(apps.readNamespacedReplicaSet({ name: 'web-1', namespace: NS }));
    expect(gone).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'replicasets.apps "web-1" not found',
    });
    expect(api.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      'POST 201',
      'GET 200',
      'PUT 200',
      'PATCH 200',
      'PATCH 200',
      'DELETE 200',
      'GET 404',
    ]);
  });

  it('should answer 409 Conflict to a replace with a stale resourceVersion and 409 AlreadyExists to a duplicate create on the simulated Kubernetes API server', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const service = {
      metadata: { name: 'web-stable' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    };
    const created = await core.createNamespacedService({ namespace: NS, body: service });
    const first = await core.replaceNamespacedService({
      name: 'web-stable',
      namespace: NS,
      body: {
        ...created,
        spec: { ...created.spec, selector: { app: 'web', 'rollouts-pod-template-hash': 'abc' } },
      },
    });
    expect(first.spec?.selector).toEqual({ app: 'web', 'rollouts-pod-template-hash': 'abc' });
    expect(first.metadata?.generation).toBe(2);

    const stale = await refusal(
      core.replaceNamespacedService({
        name: 'web-stable',
        namespace: NS,
        body: { ...created, spec: { ...created.spec, selector: { app: 'other' } } },
      }),
    );
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toContain('the object has been modified');
    expect((await core.readNamespacedService({ name: 'web-stable', namespace: NS })).spec?.selector).toEqual(
      first.spec?.selector,
    );

    const duplicate = await refusal(core.createNamespacedService({ namespace: NS, body: service }));
    expect(duplicate).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'services "web-stable" already exists',
    });

    const absent = await refusal(
      core.replaceNamespacedService({
        name: 'nope',
        namespace: NS,
        body: { ...service, metadata: { name: 'nope' } },
      }),
    );
    expect(absent.code).toBe(404);

    const patched = await core.patchNamespacedService(
      { name: 'web-stable', namespace: NS, body: { metadata: { annotations: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.metadata?.annotations).toEqual({ a: 'b' });
    const deleted = await core.deleteNamespacedService({ name: 'web-stable', namespace: NS });
    expect(deleted.metadata?.name).toBe('web-stable');
    expect(api.objects('services', NS)).toEqual([]);
  });

  it('should create, read, replace, patch and delete an HTTPRoute and a VirtualService on the simulated Kubernetes API server', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const created = await custom.createNamespacedCustomObject({ ...gateway, body: httpRoute });
    expect(created.metadata.generation).toBe(1);
    const route = await custom.getNamespacedCustomObject({ ...gateway, name: 'web' });
    route.spec.rules[0].backendRefs[0].weight = 80;
    route.spec.rules[0].backendRefs[1].weight = 20;
    const replaced = await custom.replaceNamespacedCustomObject({ ...gateway, name: 'web', body: route });
    expect(replaced.metadata.generation).toBe(2);
    expect(api.get('httproutes.gateway.networking.k8s.io', NS, 'web')?.spec).toMatchObject({
      rules: [{ backendRefs: [{ weight: 80 }, { weight: 20 }] }],
    });
    await custom.deleteNamespacedCustomObject({ ...gateway, name: 'web' });
    expect(api.objects('httproutes.gateway.networking.k8s.io')).toEqual([]);

    await custom.createNamespacedCustomObject({ ...istio, body: virtualService });
    const patched = await custom.patchNamespacedCustomObject(
      {
        ...istio,
        name: 'web',
        body: [
          { op: 'replace', path: '/spec/http/0/route/0/weight', value: 90 },
          { op: 'replace', path: '/spec/http/0/route/1/weight', value: 10 },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(patched.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
    // the same object is served at v1alpha3, with that apiVersion
    const older = await custom.getNamespacedCustomObject({ ...istio, version: 'v1alpha3', name: 'web' });
    expect(older.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(older.metadata.resourceVersion).toBe(patched.metadata.resourceVersion);
    await custom.deleteNamespacedCustomObject({ ...istio, name: 'web' });
    expect((await refusal(custom.getNamespacedCustomObject({ ...istio, name: 'web' }))).code).toBe(404);
  });

  it('should refuse objects that fail their published model with 422 Invalid naming the field on the simulated Kubernetes API server', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const badService = { metadata: { name: 'bad' }, spec: { ports: [{ port: 'x' }] } } as never;
    const service = await refusal(core.createNamespacedService({ namespace: NS, body: badService }));
    expect(service).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(service.message).toBe(
      'Service "bad" is invalid: spec.ports[0].port: Invalid value: must be integer',
    );

    const custom = kc.makeApiClient(CustomObjectsApi);
    const badVs = await refusal(
      custom.createNamespacedCustomObject({ ...istio, body: { ...virtualService, spec: { hosts: 'web' } } }),
    );
    expect(badVs.code).toBe(422);
    expect(badVs.message).toContain('spec.hosts: Invalid value: must be array');
    expect(api.objects('services')).toEqual([]);
    expect(api.objects('virtualservices.networking.istio.io')).toEqual([]);

    // a patch that makes a stored object invalid is refused and leaves it unchanged
    await custom.createNamespacedCustomObject({ ...istio, body: virtualService });
    const badPatch = await refusal(
      custom.patchNamespacedCustomObject(
        {
          ...istio,
          name: 'web',
          body: { spec: { http: [{ route: [{ destination: { host: 'web' }, weight: 'all' }] }] } },
        },
        mergePatch,
      ),
    );
    expect(badPatch.code).toBe(422);
    expect(badPatch.message).toContain('spec.http[0].route[0].weight');
    expect(api.get('virtualservices.networking.istio.io', NS, 'web')?.spec).toEqual(virtualService.spec);

    const badRollout = await refusal(
      custom.createNamespacedCustomObject({
        ...rollouts,
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Rollout',
          metadata: { name: 'r' },
          spec: { replicas: 'three' },
        },
      }),
    );
    expect(badRollout.message).toContain('spec.replicas');
  });

  it('should stream ADDED, MODIFIED and DELETED in order to client-node Watch on the simulated Kubernetes API server', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'before' }, data: { a: '1' } },
    });
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const events: string[] = [];
    let ended: unknown = 'not yet';
    const request = await new Watch(kc).watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { resourceVersion: list.metadata?.resourceVersion },
      (type, object) => events.push(`${type} ${object.metadata.name} ${JSON.stringify(object.data)}`),
      (error) => {
        ended = error;
      },
    );
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: 'flags' }, data: { a: '1' } },
    });
    await core.patchNamespacedConfigMap(
      { name: 'flags', namespace: NS, body: { data: { a: '2' } } },
      mergePatch,
    );
    await core.deleteNamespacedConfigMap({ name: 'flags', namespace: NS });
    await waitFor(() => events.length >= 3);
    expect(events).toEqual(['ADDED flags {"a":"1"}', 'MODIFIED flags {"a":"2"}', 'DELETED flags {"a":"2"}']);
    request.abort();
    await waitFor(() => ended !== 'not yet');

    // without a resourceVersion the watch starts with the current objects; it ends after timeoutSeconds
    const initial: string[] = [];
    let closed = false;
    await new Watch(kc).watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { timeoutSeconds: 1 },
      (type, object) => initial.push(`${type} ${object.metadata.name}`),
      () => {
        closed = true;
      },
    );
    await waitFor(() => closed, 3000);
    expect(initial).toEqual(['ADDED before']);
  });

  it('should make a ReplicaSet scaled 0 to 3 report 3 ready Pods and delete 2 when scaled to 1 on the simulated Kubernetes API server', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    await apps.createNamespacedReplicaSet({ namespace: NS, body: replicaSet('web-2', 0) });
    await waitFor(
      async () =>
        (await apps.readNamespacedReplicaSet({ name: 'web-2', namespace: NS })).status?.observedGeneration ===
        1,
    );
    expect(api.objects('pods')).toEqual([]);

    await apps.patchNamespacedReplicaSet(
      { name: 'web-2', namespace: NS, body: { spec: { replicas: 3 } } },
      mergePatch,
    );
    await waitFor(
      async () =>
        (await apps.readNamespacedReplicaSet({ name: 'web-2', namespace: NS })).status?.readyReplicas === 3,
    );
    const rs = await apps.readNamespacedReplicaSet({ name: 'web-2', namespace: NS });
    expect(rs.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 2,
    });
    const pods = await core.listNamespacedPod({
      namespace: NS,
      labelSelector: 'rollouts-pod-template-hash=web-2-hash',
    });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.metadata?.name).toMatch(/^web-2-[0-9a-f]{5}$/);
      expect(pod.metadata?.labels).toEqual({ app: 'web', 'rollouts-pod-template-hash': 'web-2-hash' });
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: 'web-2',
        uid: rs.metadata?.uid,
      });
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
      expect(pod.status?.conditions).toContainEqual(
        expect.objectContaining({ type: 'Ready', status: 'True' }),
      );
    }
    // the Pods the simulated controller writes are valid against the published Pod model
    for (const pod of api.objects('pods', NS)) {
      expect(() => new Pod(pod as ConstructorParameters<typeof Pod>[0]).validate()).not.toThrow();
    }
    expect(
      (
        await core.listNamespacedPod({
          namespace: NS,
          labelSelector: 'rollouts-pod-template-hash!=web-2-hash',
        })
      ).items,
    ).toEqual([]);

    const scale = await apps.readNamespacedReplicaSetScale({ name: 'web-2', namespace: NS });
    expect(scale.spec?.replicas).toBe(3);
    await apps.replaceNamespacedReplicaSetScale({
      name: 'web-2',
      namespace: NS,
      body: { ...scale, spec: { replicas: 1 } },
    });
    await waitFor(
      async () =>
        (await apps.readNamespacedReplicaSet({ name: 'web-2', namespace: NS })).status?.replicas === 1,
    );
    const left: KubeObject[] = api.objects('pods', NS);
    expect(left).toHaveLength(1);
    expect(pods.items.map((p) => p.metadata?.name)).toContain(left[0]?.metadata.name);
    expect((await apps.readNamespacedReplicaSet({ name: 'web-2', namespace: NS })).status).toMatchObject({
      readyReplicas: 1,
      observedGeneration: 3,
    });

    // a deleted Pod is replaced; deleting the ReplicaSet deletes its Pods
    await core.deleteNamespacedPod({ name: left[0]?.metadata.name ?? '', namespace: NS });
    await waitFor(
      () =>
        api.objects('pods').length === 1 && api.objects('pods')[0]?.metadata.name !== left[0]?.metadata.name,
    );
    await apps.deleteNamespacedReplicaSet({ name: 'web-2', namespace: NS });
    expect(api.objects('pods')).toEqual([]);
  });

  it('should keep the Pods of a ReplicaSet annotated pods-never-ready Pending on the simulated Kubernetes API server', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    await apps.createNamespacedReplicaSet({
      namespace: NS,
      body: replicaSet('web-3', 2, { [PODS_NEVER_READY_ANNOTATION]: 'true' }),
    });
    await waitFor(() => api.objects('pods').length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300)); // six times the ready delay
    expect((await apps.readNamespacedReplicaSet({ name: 'web-3', namespace: NS })).status).toMatchObject({
      replicas: 2,
      readyReplicas: 0,
    });
    expect(api.objects('pods').map((p) => (p.status as { phase: string }).phase)).toEqual([
      'Pending',
      'Pending',
    ]);
  });

  it('should serve discovery so that client-node KubernetesObjectApi resolves Argo kinds on the simulated Kubernetes API server', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'npa', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'npa' } },
        template: {
          metadata: { labels: { app: 'npa' } },
          spec: { containers: [{ name: 'npa', image: 'npa:1' }] },
        },
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }] } },
      },
    };
    await client.create(rollout);
    const read = await client.read({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'npa', namespace: NS },
    });
    expect(read.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const patched = await client.patch({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'npa', namespace: NS },
      spec: { paused: true },
    });
    expect((patched as unknown as { spec: { paused: boolean; replicas: number } }).spec).toMatchObject({
      paused: true,
      replicas: 2,
    });
    const list = await client.list('argoproj.io/v1alpha1', 'Rollout', NS);
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['npa']);
    await client.delete({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'npa', namespace: NS },
    });
    expect(api.objects('rollouts.argoproj.io')).toEqual([]);
    // one discovery request, cached by the client for the later calls
    const discovery: SimulatedKubeApiRequest = {
      method: 'GET',
      path: '/apis/argoproj.io/v1alpha1',
      query: '',
      status: 200,
    };
    expect(api.requests.filter((r) => r.path === discovery.path)).toEqual([discovery]);

    const services = await client.list('v1', 'Service', NS);
    expect(services.items).toEqual([]);
    const unknown = await refusal(
      client.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: NS } }),
    );
    expect(unknown.code).toBe(404);
  });

  it('should send a 410 Expired ERROR event to a watch from a resourceVersion older than its history on the simulated Kubernetes API server', async () => {
    const small = await startSimulatedKubeApi({ watchEventHistory: 2 });
    try {
      const config = new KubeConfig();
      config.loadFromString(small.kubeconfig());
      const core = config.makeApiClient(CoreV1Api);
      const created = await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: 'c' }, data: { n: '0' } },
      });
      for (const n of ['1', '2', '3']) {
        await core.patchNamespacedConfigMap({ name: 'c', namespace: NS, body: { data: { n } } }, mergePatch);
      }
      const watch = (resourceVersion: string | undefined) =>
        new Promise<{ type: string; object: { code?: number; reason?: string; data?: { n: string } } }[]>(
          (resolve, reject) => {
            const seen: { type: string; object: { code?: number; reason?: string; data?: { n: string } } }[] =
              [];
            void new Watch(config).watch(
              `/api/v1/namespaces/${NS}/configmaps`,
              { resourceVersion, timeoutSeconds: 1 },
              (type, object) => seen.push({ type, object }),
              (error) => (error ? reject(error) : resolve(seen)),
            );
          },
        );
      const expired = await watch(created.metadata?.resourceVersion);
      expect(expired).toEqual([
        { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
      ]);
      // the latest resourceVersion is still within the history: no error, no event until something changes
      const current = await core.readNamespacedConfigMap({ name: 'c', namespace: NS });
      expect(await watch(current.metadata?.resourceVersion)).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('should write status only through the /status subresource of a Rollout on the simulated Kubernetes API server', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const rollout = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'web:1' }] },
        },
      },
      status: { phase: 'Healthy' },
    };
    const created = await custom.createNamespacedCustomObject({ ...rollouts, body: rollout });
    expect(created.status).toBeUndefined();
    const replaced = await custom.replaceNamespacedCustomObject({
      ...rollouts,
      name: 'web',
      body: { ...created, status: { phase: 'Degraded' } },
    });
    expect(replaced.status).toBeUndefined();
    expect(replaced.metadata.generation).toBe(1);

    const withStatus = await custom.replaceNamespacedCustomObjectStatus({
      ...rollouts,
      name: 'web',
      body: {
        ...replaced,
        spec: { ...replaced.spec, replicas: 5 },
        status: { phase: 'Progressing', replicas: 1 },
      },
    });
    expect(withStatus.status).toEqual({ phase: 'Progressing', replicas: 1 });
    expect(withStatus.spec.replicas).toBe(1); // a /status write ignores the spec
    expect(withStatus.metadata.generation).toBe(1);
    const patched = await custom.patchNamespacedCustomObjectStatus(
      { ...rollouts, name: 'web', body: { status: { phase: 'Paused' } } },
      mergePatch,
    );
    expect(patched.status).toEqual({ phase: 'Paused', replicas: 1 });
  });

  it('should end Jobs as Complete or Failed as their annotation says on the simulated Kubernetes API server', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const job = (name: string, outcome: string) => ({
      metadata: { name, annotations: { [JOB_OUTCOME_ANNOTATION]: outcome } },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'check', image: 'busybox', command: ['sh', '-c', 'exit 0'] }],
          },
        },
      },
    });
    await batch.createNamespacedJob({ namespace: NS, body: job('passes', 'Complete') });
    await batch.createNamespacedJob({ namespace: NS, body: job('fails', 'Failed') });
    await batch.createNamespacedJob({ namespace: NS, body: job('hangs', 'Running') });
    const statusOf = async (name: string) => (await batch.readNamespacedJob({ name, namespace: NS })).status;
    await waitFor(
      async () => (await statusOf('passes'))?.succeeded === 1 && (await statusOf('fails'))?.failed === 1,
    );
    expect((await statusOf('passes'))?.conditions).toEqual([
      expect.objectContaining({ type: 'Complete', status: 'True' }),
    ]);
    expect((await statusOf('passes'))?.completionTime).toBeInstanceOf(Date);
    expect((await statusOf('fails'))?.conditions).toEqual([
      expect.objectContaining({ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }),
    ]);
    expect(await statusOf('hangs')).toMatchObject({ active: 1 });
    expect((await statusOf('hangs'))?.conditions).toBeUndefined();
  });

  it('should answer 401 without the bearer token and 415 to server-side apply on the simulated Kubernetes API server', async () => {
    expect((await fetch(`${api.url}/api/v1/namespaces/default/pods`)).status).toBe(401);
    const headers = { authorization: `Bearer ${DEFAULT_SIMULATED_KUBE_API_TOKEN}` };
    expect((await fetch(`${api.url}/api/v1/namespaces/default/widgets`, { headers })).status).toBe(404);
    const apply = await fetch(`${api.url}/api/v1/namespaces/default/configmaps/x`, {
      method: 'PATCH',
      headers: { ...headers, 'content-type': 'application/apply-patch+yaml' },
      body: 'data: {}',
    });
    expect(apply.status).toBe(415);
    expect(await apply.json()).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });
});
