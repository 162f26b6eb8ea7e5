import { randomUUID } from 'node:crypto';
import type { KindInfo, KubeObject } from './kinds.js';

/** A watch event as the API server streams it (one JSON object a line). */
export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject };

/** A stored event: the change, the resource it belongs to (`group/plural`) and its resourceVersion. */
type LoggedEvent = WatchEvent & { resource: string; namespace: string; resourceVersion: number };

/** `group/plural`: the key under which a kind's objects are stored (all versions of a group share it). */
export function resourceKey(info: Pick<KindInfo, 'group' | 'plural'>): string {
  return `${info.group}/${info.plural}`;
}

/** How many events the store keeps for watches by default; a watch from an older resourceVersion gets 410 Gone. */
const DEFAULT_EVENT_HISTORY = 1000;

/**
 * The simulated etcd: objects by resource and namespace/name, one global resourceVersion counter
 * (as etcd's revision: every write takes the next number), and the recent events for watches.
 * Writes here are unconditional; the REST layer checks preconditions (409s) before calling them.
 */
export class ObjectStore {
  #revision = 1;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #events: LoggedEvent[] = [];
  readonly #listeners = new Set<(event: LoggedEvent) => void>();

  /** @param eventHistory how many of the latest events watches can start from (count). @default 1000 */
  constructor(readonly eventHistory = DEFAULT_EVENT_HISTORY) {}

  /** The current resourceVersion (the last write's), as a number. */
  get revision(): number {
    return this.#revision;
  }

  /** The object, or undefined. The returned object is a copy. */
  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.#objects.get(resource)?.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  /**
   * Copies of the objects of a resource, in one namespace or all (`namespace` undefined), that
   * `where` accepts (all by default), by name. Only the accepted objects are copied and sorted.
   */
  list(resource: string, namespace?: string, where: (o: KubeObject) => boolean = () => true): KubeObject[] {
    const all = [...(this.#objects.get(resource)?.values() ?? [])];
    return all
      .filter((o) => (namespace === undefined || o.metadata.namespace === namespace) && where(o))
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      )
      .map((o) => structuredClone(o));
  }

  /**
   * Stores a new or changed object: sets `resourceVersion` (next global number), and on create
   * `uid`, `creationTimestamp` and `generation: 1`; emits ADDED or MODIFIED. Returns the stored copy.
   */
  put(resource: string, object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? '';
    const name = object.metadata.name ?? '';
    const existing = this.#objects.get(resource)?.get(`${namespace}/${name}`);
    const stored = structuredClone(object);
    this.#revision += 1;
    stored.metadata.resourceVersion = String(this.#revision);
    if (existing === undefined) {
      stored.metadata.uid = randomUUID();
      stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      stored.metadata.generation = 1;
    }
    let byName = this.#objects.get(resource);
    if (byName === undefined) {
      byName = new Map();
      this.#objects.set(resource, byName);
    }
    byName.set(`${namespace}/${name}`, stored);
    this.#emit({ type: existing === undefined ? 'ADDED' : 'MODIFIED', object: stored }, resource, namespace);
    return structuredClone(stored);
  }

  /** Removes an object; emits DELETED with a new resourceVersion. Returns the removed object, or undefined. */
  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const byName = this.#objects.get(resource);
    const existing = byName?.get(`${namespace}/${name}`);
    if (byName === undefined || existing === undefined) return undefined;
    byName.delete(`${namespace}/${name}`);
    this.#revision += 1;
    existing.metadata.resourceVersion = String(this.#revision);
    this.#emit({ type: 'DELETED', object: existing }, resource, namespace);
    return structuredClone(existing);
  }

  /**
   * Events of a resource (and namespace, if given) after `resourceVersion`, or `'gone'` when the
   * history no longer reaches back that far (the server answers 410 Gone, as etcd compaction does).
   */
  eventsAfter(
    resource: string,
    namespace: string | undefined,
    resourceVersion: number,
  ): WatchEvent[] | 'gone' {
    const oldest = this.#events[0];
    if (oldest !== undefined && resourceVersion < oldest.resourceVersion - 1) return 'gone';
    return this.#events
      .filter((e) => e.resourceVersion > resourceVersion && matches(e, resource, namespace))
      .map(({ type, object }) => ({ type, object: structuredClone(object) }));
  }

  /** Calls `listener` with every later event of the resource (and namespace); returns the unsubscribe function. */
  subscribe(
    resource: string,
    namespace: string | undefined,
    listener: (event: WatchEvent) => void,
  ): () => void {
    const filtered = (event: LoggedEvent) => {
      if (matches(event, resource, namespace))
        listener({ type: event.type, object: structuredClone(event.object) });
    };
    this.#listeners.add(filtered);
    return () => this.#listeners.delete(filtered);
  }

  #emit(event: WatchEvent, resource: string, namespace: string): void {
    const logged = {
      ...event,
      object: structuredClone(event.object),
      resource,
      namespace,
      resourceVersion: this.#revision,
    };
    this.#events.push(logged);
    if (this.#events.length > this.eventHistory) this.#events.shift();
    for (const listener of this.#listeners) listener(logged);
  }
}

function matches(event: LoggedEvent, resource: string, namespace: string | undefined): boolean {
  return event.resource === resource && (namespace === undefined || event.namespace === namespace);
}
