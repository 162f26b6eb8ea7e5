import {
  ApiException,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';

/** Names an object: apiVersion, kind, namespace and name, as `kubectl get` does. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Attempts of a read-modify-write before a conflict is given up (each a fresh read). */
const CONFLICT_ATTEMPTS = 5;

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
export class KubeObjects {
  readonly #api: KubernetesObjectApi;

  constructor(config: KubeConfig) {
    this.#api = KubernetesObjectApi.makeApiClient(config);
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
  async update<T extends KubernetesObject>(ref: ObjectRef, mutate: (object: T) => boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.read<T>(ref);
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

  /** Creates the object, or replaces the one of that name (keeping its `resourceVersion`). */
  async upsert<T extends KubernetesObject>(object: T): Promise<T> {
    const ref = refOf(object);
    for (let attempt = 1; ; attempt++) {
      const current = await this.read<T>(ref);
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
