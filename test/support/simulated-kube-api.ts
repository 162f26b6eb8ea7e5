/**
 * A simulated Kubernetes API server for the tests of the Kubernetes platform (issue 15): there is no
 * cluster on these machines. It speaks the API server's REST over plain HTTP on 127.0.0.1, so the
 * official client (`@kubernetes/client-node`) works against it unchanged.
 *
 * What it simulates:
 * - REST paths `/api/v1/namespaces/{ns}/{plural}[/{name}[/status|/scale]]` and
 *   `/apis/{group}/{version}/namespaces/{ns}/...`, lists across namespaces (`/api/v1/{plural}`),
 *   discovery (`/api`, `/apis`, `/apis/{group}`, `/api/v1`, `/apis/{group}/{version}`, `/version`).
 * - Kinds (all namespaced): v1 Service, Pod, ConfigMap, Secret; apps/v1 ReplicaSet (`/status`,
 *   `/scale`); batch/v1 Job; networking.k8s.io/v1 Ingress; gateway.networking.k8s.io/v1 HTTPRoute;
 *   networking.istio.io v1beta1 and v1alpha3 VirtualService, DestinationRule (the same objects in
 *   both versions); argoproj.io/v1alpha1 Rollout (`/status`, `/scale`), AnalysisTemplate,
 *   AnalysisRun; coordination.k8s.io/v1 Lease. Any other path: 404 Status.
 * - GET (404 NotFound), LIST (`labelSelector` with `=`, `==`, `!=`, existence; `fieldSelector` on
 *   `metadata.name` / `metadata.namespace`; the list's `metadata.resourceVersion`), POST (201; 409
 *   AlreadyExists; `generateName`), PUT (404 when absent; 409 Conflict when
 *   `metadata.resourceVersion` is stale), PATCH (`application/merge-patch+json`,
 *   `application/json-patch+json`, and `application/strategic-merge-patch+json` applied as a JSON
 *   merge patch: lists are replaced whole, never merged by key; server-side apply
 *   `application/apply-patch+yaml` is answered 415 as a server without it would), DELETE (200 with
 *   the deleted object; dependents named by `ownerReferences` are deleted at once unless
 *   `propagationPolicy=Orphan`).
 * - Metadata: `resourceVersion` from one global counter (a string, as etcd's revision), `uid`,
 *   `creationTimestamp`, `generation` (1 at create, +1 when anything but metadata and status
 *   changes). For kinds with a `/status` subresource, writes to the object ignore `status` and
 *   writes to `/status` change only `status`.
 * - Watch (`?watch=1|true` on a list path): newline-delimited `{"type":"ADDED|MODIFIED|DELETED",
 *   "object":...}`; from `resourceVersion` on, or all current objects as ADDED first when it is
 *   absent or `0`; a version older than the last 1,000 events (`watchEventHistory`) gets one ERROR event with a 410
 *   `Expired` Status; ends after `timeoutSeconds` or when the client closes.
 * - Validation: every object written (create, replace, patch, status) is validated against its
 *   published model (`kubernetes-models`, `@kubernetes-models/argo-rollouts`, `/istio`,
 *   `/gateway-api`); a failure is refused with 422 `Invalid` naming each field
 *   (`spec.ports[0].port: Invalid value: must be integer`), as the API server's schema validation.
 * - Errors are `kind: Status` bodies with `reason` (NotFound, AlreadyExists, Conflict, Invalid,
 *   BadRequest, UnsupportedMediaType, Unauthorized, Expired) and `code`.
 * - Authentication: a bearer token (the kubeconfig's); any other request gets 401.
 * - A ReplicaSet controller with a scheduler and kubelet reduced to Pod objects: see
 *   `ReplicaSetController` (Pods `<rs>-<random5>`, Ready after `podReadyDelayMs`, 100 ms by
 *   default; never Ready for ReplicaSets annotated `simulated-kube-api/pods-never-ready: "true"`).
 * - Jobs' status: `active: 1` at once, then after `jobDurationMs` (100 ms by default) the
 *   `Complete` condition and `succeeded: 1`, or `Failed` and `failed: 1`, or never, as the Job's
 *   `simulated-kube-api/job-outcome` annotation (`Complete`, `Failed`, `Running`) or the
 *   `jobOutcome` option says. No Job Pods are created.
 *
 * What it does not simulate: no scheduler, nodes or kubelet (no containers run, Pods get a made-up
 * podIP and nothing listens there); no controllers other than the ReplicaSet's and a Job status writer (no
 * Job's command runs, it ends as the test chose: see `JobController`; no Deployment, no Endpoints, no Argo Rollouts controller, Istio or Gateway implementation); no
 * admission webhooks, defaulting, immutable-field checks or RBAC; no finalizers or graceful deletion
 * (`deletionTimestamp`); no strategic merge by patch keys; no server-side apply or managed fields;
 * no `dryRun`; no pagination (`limit` / `continue` are ignored); no set-based label selectors; no
 * cluster-scoped kinds (Namespaces, CRDs); no protobuf or TLS; no bookmarks; a watch with a label
 * selector does not turn an object that stops matching into a DELETED event.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { route } from './kube/discovery.js';
import { JobController, type JobControllerOptions } from './kube/job-controller.js';
import type { KubeObject } from './kube/kinds.js';
import { ObjectStore } from './kube/object-store.js';
import { ReplicaSetController, type ReplicaSetControllerOptions } from './kube/replica-set-controller.js';
import { Rest, type RestResult } from './kube/rest.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './kube/selectors.js';
import { status } from './kube/status.js';
import { serveWatch } from './kube/watch.js';

export { JOB_OUTCOME_ANNOTATION } from './kube/job-controller.js';
export type { KubeObject } from './kube/kinds.js';
export { PODS_NEVER_READY_ANNOTATION } from './kube/replica-set-controller.js';

/** Options of `startSimulatedKubeApi`. */
export type SimulatedKubeApiOptions = ReplicaSetControllerOptions &
  JobControllerOptions & {
    /** The bearer token the server accepts (and `kubeconfig()` carries). @default 'simulated-kube-api-token' */
    token?: string;
    /** How many of the latest events a watch can start from (count); an older resourceVersion gets 410 Expired. @default 1000 */
    watchEventHistory?: number;
  };

/** One answered request, for assertions: method, path without query, query string, HTTP status. */
export type SimulatedKubeApiRequest = { method: string; path: string; query: string; status: number };

/** A running simulated API server. */
export type SimulatedKubeApi = {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every answered request in order (watches are logged when they start, with 200). */
  readonly requests: readonly SimulatedKubeApiRequest[];
  /** A kubeconfig (YAML) with one cluster, user (bearer token) and context, namespace `default`; for `KubeConfig.loadFromString`. */
  kubeconfig(): string;
  /** Stored objects of a resource named as kubectl does (`pods`, `replicasets.apps`, `virtualservices.networking.istio.io`), in one namespace or all, by name. */
  objects(resource: string, namespace?: string): KubeObject[];
  /** One stored object, or undefined. */
  get(resource: string, namespace: string, name: string): KubeObject | undefined;
  /** Ends the watches, stops the controller and closes the server. */
  close(): Promise<void>;
};

/** The default bearer token. */
export const DEFAULT_SIMULATED_KUBE_API_TOKEN = 'simulated-kube-api-token';

/** Largest request body accepted, in bytes (the API server's limit is 3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Starts a simulated Kubernetes API server on 127.0.0.1 with a free port (see the module header for
 * what it does and does not simulate). Who may call it: anyone with the bearer token; tests only.
 * @example
 * const api = await startSimulatedKubeApi();
 * const kc = new KubeConfig();
 * kc.loadFromString(api.kubeconfig());
 * // ... kc.makeApiClient(AppsV1Api) ...
 * await api.close();
 */
export async function startSimulatedKubeApi(
  options: SimulatedKubeApiOptions = {},
): Promise<SimulatedKubeApi> {
  const token = options.token ?? DEFAULT_SIMULATED_KUBE_API_TOKEN;
  const store = new ObjectStore(options.watchEventHistory);
  const rest = new Rest(store);
  const controllers = [new ReplicaSetController(store, options), new JobController(store, options)];
  const requests: SimulatedKubeApiRequest[] = [];
  const watches = new Set<() => void>();

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const answer = (result: RestResult) => {
      requests.push({
        method: request.method ?? '',
        path: url.pathname,
        query: url.search,
        status: result.code,
      });
      response
        .writeHead(result.code, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(result.body));
    };
    if (request.headers.authorization !== `Bearer ${token}`) {
      answer({
        code: 401,
        body: { ...status('BadRequest', 'Unauthorized'), reason: 'Unauthorized', code: 401 },
      });
      return;
    }
    readBody(request).then(
      (body) => {
        const result = handle(request, response, url, body);
        if (result !== undefined) answer(result);
      },
      (error: Error) => answer({ code: 400, body: status('BadRequest', error.message) }),
    );
  });

  /** Routes one request; undefined when a watch has taken over the response. */
  function handle(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: unknown,
  ): RestResult | undefined {
    const target = route(url.pathname);
    const method = request.method ?? 'GET';
    if (target.type === 'discovery' && method === 'GET') return { code: 200, body: target.body };
    if (target.type !== 'resource')
      return {
        code: 404,
        body: status('NotFound', 'the server could not find the requested resource'),
      };
    const { info, namespace, name, subresource } = target;
    const query = url.searchParams;
    if (name === undefined) {
      if (method === 'POST' && namespace !== undefined) return rest.create(info, namespace, body);
      if (method !== 'GET')
        return {
          code: 405,
          body: status('MethodNotAllowed', `${method} is not supported on a collection here`),
        };
      let filter: (o: KubeObject) => boolean;
      try {
        const labels = parseLabelSelector(query.get('labelSelector'));
        const fields = parseFieldSelector(query.get('fieldSelector'));
        filter = (o) => labels(o) && fields(o);
      } catch (error) {
        if (error instanceof SelectorError) return { code: 400, body: status('BadRequest', error.message) };
        throw error;
      }
      const watch = query.get('watch');
      if (watch === '1' || watch === 'true') {
        requests.push({ method, path: url.pathname, query: url.search, status: 200 });
        const timeout = query.get('timeoutSeconds');
        const stop = serveWatch(
          store,
          {
            info,
            namespace,
            filter,
            resourceVersion: query.get('resourceVersion'),
            timeoutSeconds: timeout === null ? undefined : Number(timeout),
          },
          response,
        );
        watches.add(stop);
        response.on('close', () => watches.delete(stop));
        return undefined; // the watch answers on its own
      }
      return rest.list(info, namespace, filter);
    }
    const ns = namespace ?? '';
    switch (method) {
      case 'GET':
        return rest.read(info, ns, name, subresource);
      case 'PUT':
        return rest.replace(info, ns, name, subresource, body);
      case 'PATCH':
        return rest.patch(info, ns, name, subresource, request.headers['content-type'] ?? '', body);
      case 'DELETE':
        if (subresource !== undefined) break;
        return rest.delete(info, ns, name, query.get('propagationPolicy') ?? propagationOf(body));
    }
    return { code: 405, body: status('MethodNotAllowed', `${method} is not supported here`) };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const storeKey = (resource: string) => {
    const dot = resource.indexOf('.');
    return dot === -1 ? `/${resource}` : `${resource.slice(dot + 1)}/${resource.slice(0, dot)}`;
  };
  return {
    url,
    requests,
    kubeconfig: () =>
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        // client-node refuses plain http unless TLS verification is off (there is no TLS to verify)
        clusters: [{ name: 'simulated', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'simulated', user: { token } }],
        contexts: [
          { name: 'simulated', context: { cluster: 'simulated', user: 'simulated', namespace: 'default' } },
        ],
        'current-context': 'simulated',
      }),
    objects: (resource, namespace) => store.list(storeKey(resource), namespace),
    get: (resource, namespace, name) => store.get(storeKey(resource), namespace, name),
    close: async () => {
      for (const controller of controllers) controller.stop();
      for (const stop of watches) stop();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** `propagationPolicy` from a DeleteOptions body (client-node sends it there), or null. */
function propagationOf(body: unknown): string | null {
  const policy = (body as { propagationPolicy?: unknown } | undefined)?.propagationPolicy;
  return typeof policy === 'string' ? policy : null;
}

/**
 * The request body parsed as JSON (undefined when empty; the text for a YAML content type, which
 * only server-side apply sends and which is answered 415); rejects when over the limit or not JSON.
 */
async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  if (request.headers['content-type']?.includes('yaml')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the request body is not valid JSON');
  }
}
