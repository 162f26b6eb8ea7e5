import {
  ApiException,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type ResponseContext,
} from '@kubernetes/client-node';

/** Names an object: apiVersion, kind, namespace and name, as `kubectl get` does. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/**
 * What the platform observes with: one object by name, or the objects of a kind in a namespace with
 * labels. {@link KubeObjects} asks the API server each time; {@link ListedObjects} lists each kind
 * and namespace once and answers from that list.
 */
export interface ObjectReader {
  /** The object, or undefined when it does not exist. @throws the Kubernetes API's errors. */
  read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined>;
  /** Objects of a kind in a namespace whose labels include `labels`. @throws the Kubernetes API's errors. */
  list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    labels: Record<string, string>,
  ): Promise<T[]>;
}

/** Attempts of a read-modify-write before a conflict is given up (each a fresh read). */
const CONFLICT_ATTEMPTS = 5;

/**
 * Where a write's first read comes from. With `observed` (one observation's {@link ListedObjects},
 * as a Kubernetes controller writes from its informers' cache), the object as observed: no request
 * before the write, and none at all when nothing changed. The write carries the observed
 * `resourceVersion`, so an object changed since fails with 409 Conflict and is read again from the
 * API server; an object the observation does not hold is read from the API server.
 * @default observed none: every write reads the object first
 */
export interface WriteOptions {
  observed?: ObjectReader;
}

/**
 * client-node's generic object API answering with the API server's JSON as it is, without turning
 * it into client-node's typed models (`ObjectSerializer.deserialize`): the platform reads objects
 * as plain JSON, and that conversion of every list item was the control plane's largest CPU cost
 * at 1,000 Rollouts. Errors are client-node's (`ApiException`).
 */
class PlainObjectApi extends KubernetesObjectApi {
  /** As `KubernetesObjectApi.makeApiClient`: the kubeconfig's cluster, user and namespace. */
  static forConfig(config: KubeConfig): PlainObjectApi {
    const api = config.makeApiClient(PlainObjectApi);
    api.setDefaultNamespace(config);
    return api;
  }

  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299)
      return super.processResponse<T>(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

/** The HTTP status of a Kubernetes API error; undefined for any other error. */
function apiStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * The few object operations the Kubernetes platform makes, over client-node's generic
 * `KubernetesObjectApi` (so any kind, built-in or custom, goes through one path):
 * - {@link read}: the object, or undefined when the API server answers 404;
 * - {@link update}: read-modify-write with the object's `resourceVersion`, retried from a fresh read
 *   when another writer got in between (409 Conflict), as Kubernetes' controllers do
 *   (client-go's `retry.RetryOnConflict`);
 * - {@link upsert}: create, or replace what exists.
 */
export class KubeObjects implements ObjectReader {
  readonly #api: KubernetesObjectApi;

  constructor(config: KubeConfig) {
    this.#api = PlainObjectApi.forConfig(config);
  }

  async read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      return await this.#api.read<T>({
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.name, namespace: ref.namespace },
      });
    } catch (error) {
      if (apiStatus(error) === 404) return undefined;
      throw error;
    }
  }

  /**
   * Applies `mutate` to the object as read and replaces it, unless `mutate` returns false (nothing
   * to change). @returns the object as stored afterwards.
   * @throws KubeObjectNotFoundError when the object does not exist; the API's error otherwise
   *   (a 409 after {@link CONFLICT_ATTEMPTS} attempts).
   */
  async update<T extends KubernetesObject>(
    ref: ObjectRef,
    mutate: (object: T) => boolean,
    options: WriteOptions = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.current<T>(ref, attempt === 1 ? options.observed : undefined);
      if (current === undefined) throw new KubeObjectNotFoundError(ref);
      const next = structuredClone(current);
      if (!mutate(next)) return current;
      try {
        return await this.#api.replace<T>(next);
      } catch (error) {
        if (apiStatus(error) !== 409 || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Creates the object, or replaces the one of that name (keeping its `resourceVersion`).
   * @param options.unchanged - whether the object as it exists already holds what `object` would
   *   write: then nothing is written. @default never (always replaced)
   * @returns the object as stored afterwards.
   * @throws the API's error (a 409 after {@link CONFLICT_ATTEMPTS} attempts).
   */
  async upsert<T extends KubernetesObject>(
    object: T,
    options: WriteOptions & { unchanged?: (current: T) => boolean } = {},
  ): Promise<T> {
    const ref = refOf(object);
    for (let attempt = 1; ; attempt++) {
      const current = await this.current<T>(ref, attempt === 1 ? options.observed : undefined);
      if (current !== undefined && options.unchanged?.(current) === true) return current;
      try {
        if (current === undefined) return await this.#api.create<T>(object);
        return await this.#api.replace<T>({
          ...object,
          metadata: { ...object.metadata, resourceVersion: current.metadata?.resourceVersion },
        });
      } catch (error) {
        if (apiStatus(error) !== 409 || attempt >= CONFLICT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The object as `observed` (one observation, see `WriteOptions`) holds it, else as the API server
   * does; undefined when neither has it.
   */
  async current<T extends KubernetesObject>(
    ref: ObjectRef,
    observed: ObjectReader | undefined,
  ): Promise<T | undefined> {
    return (await observed?.read<T>(ref)) ?? this.read<T>(ref);
  }

  /** Objects of a kind in a namespace whose labels include `labels` (an equality label selector). */
  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    labels: Record<string, string>,
  ): Promise<T[]> {
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const list = await this.#api.list<T>(
      apiVersion,
      kind,
      namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      selector,
    );
    return list.items;
  }

  /**
   * Deletes the object; absent already is fine.
   * @param propagationPolicy - as Kubernetes' DeleteOptions; `Background` deletes a Job's pods too
   *   (the API's default for batch/v1 Jobs orphans them). @default the kind's default
   */
  async delete(ref: ObjectRef, propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.#api.delete(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        propagationPolicy,
      );
    } catch (error) {
      if (apiStatus(error) !== 404) throw error;
    }
  }
}

/**
 * One observation of the cluster (a reconcile pass's): each kind is listed once per namespace, on
 * first use, and every read and list of that kind and namespace is answered from that list, so
 * observing N Rollouts of a namespace costs one request per kind instead of one or two per Rollout
 * (as a Kubernetes controller reads from its informers' cache). Objects written after the list
 * are not seen: make a new one for each observation.
 */
export class ListedObjects implements ObjectReader {
  readonly #lists = new Map<string, Promise<Listed>>();

  constructor(private readonly objects: KubeObjects) {}

  async read<T extends KubernetesObject>(ref: ObjectRef): Promise<T | undefined> {
    const listed = await this.#listed(ref.apiVersion, ref.kind, ref.namespace);
    return listed.byName.get(ref.name) as T | undefined;
  }

  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    labels: Record<string, string>,
  ): Promise<T[]> {
    const listed = await this.#listed(apiVersion, kind, namespace);
    const selected = Object.entries(labels);
    // The fewest candidates: those holding the selector's rarest label (each Rollout's `app`).
    let candidates = listed.all;
    for (const [k, v] of selected) {
      const holding = listed.byLabel.get(`${k}=${v}`) ?? [];
      if (holding.length < candidates.length) candidates = holding;
    }
    return candidates.filter((o) => selected.every(([k, v]) => o.metadata?.labels?.[k] === v)) as T[];
  }

  #listed(apiVersion: string, kind: string, namespace: string): Promise<Listed> {
    const key = `${apiVersion}/${kind}/${namespace}`;
    let listed = this.#lists.get(key);
    if (listed === undefined) {
      // A list's items carry no apiVersion and kind (the API server leaves them out): set them, so
      // an object read here can be written back.
      listed = this.objects
        .list(apiVersion, kind, namespace, {})
        .then((items) => indexed(items.map((o) => ({ ...o, apiVersion, kind }))));
      this.#lists.set(key, listed);
    }
    return listed;
  }
}

/** One kind's objects in a namespace, by name and by each `key=value` label. */
interface Listed {
  all: KubernetesObject[];
  byName: Map<string, KubernetesObject>;
  byLabel: Map<string, KubernetesObject[]>;
}

function indexed(all: KubernetesObject[]): Listed {
  const byName = new Map<string, KubernetesObject>();
  const byLabel = new Map<string, KubernetesObject[]>();
  for (const o of all) {
    byName.set(o.metadata?.name ?? '', o);
    for (const [k, v] of Object.entries(o.metadata?.labels ?? {})) {
      const key = `${k}=${v}`;
      const holding = byLabel.get(key);
      if (holding === undefined) byLabel.set(key, [o]);
      else holding.push(o);
    }
  }
  return { all, byName, byLabel };
}

/** The reference of an object that carries its apiVersion, kind, namespace and name. */
function refOf(object: KubernetesObject): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace: object.metadata?.namespace ?? 'default',
    name: object.metadata?.name ?? '',
  };
}

/** A Kubernetes object the platform needs does not exist (a Service or route the spec names). */
export class KubeObjectNotFoundError extends Error {
  readonly code = 'CUTOVER_E_KUBE_OBJECT_NOT_FOUND';
  constructor(readonly ref: ObjectRef) {
    super(`${ref.kind} ${ref.namespace}/${ref.name} (${ref.apiVersion}) not found`);
    this.name = 'KubeObjectNotFoundError';
  }
}
