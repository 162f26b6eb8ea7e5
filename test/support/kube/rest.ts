import { randomBytes } from 'node:crypto';
import { apiVersionOf, type KindInfo, type KubeObject, type ModelError } from './kinds.js';
import { type ObjectStore, resourceKey } from './object-store.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { invalid, type KubeStatus, notFound, qualifiedResource, status } from './status.js';

/** An answer of the REST layer: HTTP status code and JSON body (an object, a list or a Status). */
export type RestResult = { code: number; body: unknown };

/** The patch content types the simulated server accepts (server-side apply is answered 415). */
const PATCH_TYPES = [
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
] as const;

/** Groups whose list items carry no `apiVersion` / `kind` (built-in types; custom resources keep them). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'networking.k8s.io', 'coordination.k8s.io']);

const fail = (s: KubeStatus): RestResult => ({ code: s.code, body: s });

/**
 * The API server's create / read / update / patch / delete of one kind, on the simulated etcd:
 * preconditions (404, 409 AlreadyExists, 409 Conflict on a stale `metadata.resourceVersion`),
 * schema validation against the published model (422 Invalid), `generation` bumped when anything
 * but `metadata` and `status` changes, `status` written only through the `/status` subresource for
 * kinds that have it, and `/scale` for ReplicaSets and Rollouts.
 */
export class Rest {
  constructor(readonly store: ObjectStore) {}

  /** GET of one object (or its `/status`, `/scale`). */
  read(info: KindInfo, namespace: string, name: string, subresource: string | undefined): RestResult {
    const found = this.store.get(resourceKey(info), namespace, name);
    if (found === undefined) return fail(notFound(info, name));
    return { code: 200, body: subresource === 'scale' ? scaleOf(found) : withVersion(found, info) };
  }

  /** LIST: the kind's objects in a namespace (or all) that pass `filter`, with the list's resourceVersion. */
  list(info: KindInfo, namespace: string | undefined, filter: (o: KubeObject) => boolean): RestResult {
    const builtIn = BUILT_IN_GROUPS.has(info.group);
    const items = this.store.list(resourceKey(info), namespace, filter).map((o) => {
      const item = withVersion(o, info);
      if (!builtIn) return item;
      const { apiVersion: _a, kind: _k, ...rest } = item;
      return rest;
    });
    return {
      code: 200,
      body: {
        apiVersion: apiVersionOf(info),
        kind: `${info.kind}List`,
        metadata: { resourceVersion: String(this.store.revision) },
        items,
      },
    };
  }

  /** POST: 409 AlreadyExists when the name is taken; `metadata.generateName` gets a random suffix. */
  create(info: KindInfo, namespace: string, body: unknown): RestResult {
    const object = asObject(body);
    if (typeof object === 'string') return fail(status('BadRequest', object));
    const mismatch = checkIdentity(info, namespace, object);
    if (mismatch !== undefined) return fail(mismatch);
    const metadata = { ...object.metadata, namespace };
    if (metadata.name === undefined && metadata.generateName !== undefined)
      metadata.name = `${metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    if (!metadata.name)
      return fail(
        status(
          'Invalid',
          `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        ),
      );
    const name = metadata.name;
    if (this.store.get(resourceKey(info), namespace, name) !== undefined) {
      return fail(
        status('AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`, {
          name,
          group: info.group,
          kind: info.plural,
        }),
      );
    }
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ts, generation: _g, ...kept } = metadata;
    const created: KubeObject = { ...object, metadata: kept };
    if (info.subresources.includes('status')) delete created.status;
    const problems = validate(info, created);
    if (problems !== undefined) return fail(invalid(info, name, problems));
    return { code: 201, body: withVersion(this.store.put(resourceKey(info), created), info) };
  }

  /** PUT of the object, its `/status` or its `/scale`: 404 when absent, 409 Conflict when `metadata.resourceVersion` is stale. */
  replace(
    info: KindInfo,
    namespace: string,
    name: string,
    subresource: string | undefined,
    body: unknown,
  ): RestResult {
    const existing = this.store.get(resourceKey(info), namespace, name);
    if (existing === undefined) return fail(notFound(info, name));
    const object = asObject(body);
    if (typeof object === 'string') return fail(status('BadRequest', object));
    if (object.metadata.name !== undefined && object.metadata.name !== name) {
      return fail(
        status(
          'BadRequest',
          `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
        ),
      );
    }
    const sent = object.metadata.resourceVersion;
    if (sent !== undefined && sent !== '' && sent !== existing.metadata.resourceVersion)
      return fail(conflict(info, name));
    if (subresource === 'scale') return this.#scale(info, existing, object);
    const mismatch = checkIdentity(info, namespace, object);
    if (mismatch !== undefined) return fail(mismatch);
    return this.#update(info, existing, object, subresource === 'status');
  }

  /** PATCH with a merge, strategic merge (applied as merge) or JSON patch; 415 for other types (server-side apply). */
  patch(
    info: KindInfo,
    namespace: string,
    name: string,
    subresource: string | undefined,
    contentType: string,
    body: unknown,
  ): RestResult {
    const type = PATCH_TYPES.find((t) => contentType.startsWith(t));
    if (type === undefined) {
      return fail(
        status(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
        ),
      );
    }
    const existing = this.store.get(resourceKey(info), namespace, name);
    if (existing === undefined) return fail(notFound(info, name));
    const target = subresource === 'scale' ? scaleOf(existing) : withVersion(existing, info);
    let patched: unknown;
    try {
      patched = type === 'application/json-patch+json' ? jsonPatch(target, body) : mergePatch(target, body);
    } catch (error) {
      if (error instanceof PatchError) return fail(status('Invalid', error.message));
      throw error;
    }
    return this.replace(info, namespace, name, subresource, patched);
  }

  /**
   * DELETE: 200 with the deleted object; its dependents (`ownerReferences` naming its uid) are deleted
   * too unless `propagationPolicy` is `Orphan` (at once: the simulated garbage collector has no delay).
   */
  delete(info: KindInfo, namespace: string, name: string, propagationPolicy: string | null): RestResult {
    const deleted = this.store.delete(resourceKey(info), namespace, name);
    if (deleted === undefined) return fail(notFound(info, name));
    if (propagationPolicy !== 'Orphan') this.#collectDependents(namespace, deleted.metadata.uid);
    return { code: 200, body: withVersion(deleted, info) };
  }

  #collectDependents(namespace: string, uid: string | undefined): void {
    for (const resource of ['/pods', 'apps/replicasets', 'batch/jobs', 'argoproj.io/analysisruns']) {
      const owned = (o: KubeObject) => o.metadata.ownerReferences?.some((r) => r.uid === uid) ?? false;
      for (const dependent of this.store.list(resource, namespace, owned)) {
        const removed = this.store.delete(resource, namespace, dependent.metadata.name ?? '');
        this.#collectDependents(namespace, removed?.metadata.uid);
      }
    }
  }

  #update(info: KindInfo, existing: KubeObject, object: KubeObject, statusOnly: boolean): RestResult {
    const hasStatus = info.subresources.includes('status');
    const next: KubeObject = statusOnly
      ? { ...existing, status: object.status }
      : {
          ...object,
          metadata: {
            ...object.metadata,
            namespace: existing.metadata.namespace,
            name: existing.metadata.name,
          },
        };
    if (!statusOnly && hasStatus) {
      if (existing.status === undefined) delete next.status;
      else next.status = existing.status;
    }
    const { uid, creationTimestamp, generation } = existing.metadata;
    next.metadata = {
      ...(statusOnly ? existing.metadata : next.metadata),
      uid,
      creationTimestamp,
      generation,
    };
    if (!statusOnly && specChanged(existing, next)) next.metadata.generation = (generation ?? 0) + 1;
    const problems = validate(info, { ...next, apiVersion: apiVersionOf(info) });
    if (problems !== undefined) return fail(invalid(info, existing.metadata.name ?? '', problems));
    return { code: 200, body: withVersion(this.store.put(resourceKey(info), next), info) };
  }

  #scale(info: KindInfo, existing: KubeObject, scale: KubeObject): RestResult {
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      return fail(
        invalid(info, existing.metadata.name ?? '', [
          { instancePath: '/spec/replicas', message: 'must be greater than or equal to 0' },
        ]),
      );
    }
    const spec = { ...(existing.spec as object), replicas };
    const result = this.#update(info, existing, { ...existing, spec }, false);
    return result.code === 200 ? { code: 200, body: scaleOf(result.body as KubeObject) } : result;
  }
}

/** 409 Conflict as the API server words it for a stale resourceVersion. */
function conflict(info: KindInfo, name: string): KubeStatus {
  return status(
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: info.group, kind: info.plural },
  );
}

/** The body as a Kubernetes object, or the reason it is not one. */
function asObject(body: unknown): KubeObject | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'the request body is not a JSON object';
  const object = body as KubeObject;
  return {
    ...object,
    metadata: typeof object.metadata === 'object' && object.metadata !== null ? { ...object.metadata } : {},
  };
}

/** 400 when the body's kind, apiVersion or namespace disagree with the URL (as the API server checks). */
function checkIdentity(info: KindInfo, namespace: string, object: KubeObject): KubeStatus | undefined {
  if (object.kind !== undefined && object.kind !== info.kind)
    return status('BadRequest', `the kind ${object.kind} does not match ${info.kind} on the URL`);
  const group = (object.apiVersion ?? '').includes('/') ? (object.apiVersion ?? '').split('/')[0] : '';
  if (object.apiVersion !== undefined && group !== info.group)
    return status('BadRequest', `the API version ${object.apiVersion} does not match the URL's group`);
  if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
    return status(
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  return undefined;
}

/** The object as served at the URL's version (v1beta1 and v1alpha3 VirtualServices are the same objects). */
function withVersion(object: KubeObject, info: KindInfo): KubeObject {
  return { ...object, apiVersion: apiVersionOf(info), kind: info.kind };
}

/** The model's validation errors, or undefined when the object is valid. */
function validate(info: KindInfo, object: KubeObject): ModelError[] | undefined {
  try {
    new info.model({ ...object, apiVersion: apiVersionOf(info), kind: info.kind }).validate();
    return undefined;
  } catch (error) {
    const errors = (error as { errors?: ModelError[] }).errors;
    return errors ?? [{ instancePath: '', message: String(error) }];
  }
}

function specChanged(before: KubeObject, after: KubeObject): boolean {
  const { metadata: _m1, status: _s1, apiVersion: _a1, kind: _k1, ...a } = before;
  const { metadata: _m2, status: _s2, apiVersion: _a2, kind: _k2, ...b } = after;
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** The `autoscaling/v1` Scale of a ReplicaSet or Rollout: `spec.replicas`, `status.replicas` and the selector. */
function scaleOf(object: KubeObject): KubeObject {
  const spec = object.spec as
    | { replicas?: number; selector?: { matchLabels?: Record<string, string> } }
    | undefined;
  const current = object.status as { replicas?: number } | undefined;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = object.metadata;
  const selector = Object.entries(spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: spec?.replicas ?? 1 },
    status: { replicas: current?.replicas ?? 0, selector },
  };
}
