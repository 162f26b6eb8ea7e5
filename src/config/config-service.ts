import { createHash } from 'node:crypto';
import type { ConfigReader, ConfigView } from '../api/views.js';
import { Mutex } from '../controller/mutex.js';
import {
  type KeyEncryptionKey,
  openSecret,
  rewrapSecret,
  type SecretEnvelope,
  sealSecret,
} from '../secret/envelope.js';
import { SecretValue } from '../secret/index.js';
import type { ConfigMap, FileData, LocalTemplate, Secret } from '../spec/index.js';
import type { ConfigKind, SecretRotation, Store, StoredConfigVersion } from '../store/index.js';
import { rotationDueAt } from './rotation-due.js';

/** Variable names Kubernetes' `envFrom` takes; other keys are skipped. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A reference of a template to a ConfigMap or Secret, with where it is in the template. */
export interface TemplateRef {
  kind: ConfigKind;
  name: string;
  /**
   * Path from the template, e.g. `['envFrom', 0, 'configMapRef', 'name']`; an `env` entry with
   * `valueFrom` is `['env', VARIABLE, 'valueFrom', 'secretKeyRef']` (its normalised form: the list
   * index is the spec text's to find).
   */
  path: (string | number)[];
  /** The one key taken (`configMapKeyRef`, `secretKeyRef`); absent: every key. */
  key?: string;
  /** Kubernetes' `optional`: a missing resource or key is no error. @default false */
  optional?: boolean;
}

/** A reference {@link ConfigService.missing} refuses, and what is missing. */
export interface MissingRef extends TemplateRef {
  /** `resource`: no such ConfigMap or Secret; `key`: it has no such key. */
  missing: 'resource' | 'key';
}

/** What storing one ConfigMap or Secret did. */
export interface ConfigChange {
  kind: ConfigKind;
  name: string;
  version: number;
  /** False when the values equal the latest version's (nothing stored). */
  created: boolean;
}

/** The canonical JSON of a data map (keys sorted), the input of its fingerprint. */
function canonical(data: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(data).sort(([a], [b]) => a.localeCompare(b))));
}

/** The references of a template, in order: `envFrom`, then `env` entries with `valueFrom`. Pure. */
export function templateRefs(template: LocalTemplate): TemplateRef[] {
  const fromEnvFrom = (template.envFrom ?? []).flatMap((source, i): TemplateRef[] => {
    if (source.configMapRef !== undefined)
      return [
        { kind: 'ConfigMap', name: source.configMapRef.name, path: ['envFrom', i, 'configMapRef', 'name'] },
      ];
    if (source.secretRef !== undefined)
      return [{ kind: 'Secret', name: source.secretRef.name, path: ['envFrom', i, 'secretRef', 'name'] }];
    return [];
  });
  const fromEnv = Object.entries(template.envValueFrom ?? {}).flatMap(([variable, source]): TemplateRef[] => {
    const field = source.configMapKeyRef !== undefined ? 'configMapKeyRef' : 'secretKeyRef';
    const selector = source.configMapKeyRef ?? source.secretKeyRef;
    if (selector === undefined) return [];
    return [
      {
        kind: field === 'configMapKeyRef' ? 'ConfigMap' : 'Secret',
        name: selector.name,
        path: ['env', variable, 'valueFrom', field],
        key: selector.key,
        ...(selector.optional === true ? { optional: true } : {}),
      },
    ];
  });
  const fromFiles = (template.files ?? []).flatMap((file, i): TemplateRef[] => {
    const field = file.configMapRef !== undefined ? 'configMapRef' : 'secretRef';
    const name = file.configMapRef?.name ?? file.secretRef?.name;
    if (name === undefined) return [];
    const kind: ConfigKind = field === 'configMapRef' ? 'ConfigMap' : 'Secret';
    return [
      { kind, name, path: ['files', i, field, 'name'], ...(file.key !== undefined ? { key: file.key } : {}) },
    ];
  });
  return [...fromEnvFrom, ...fromEnv, ...fromFiles];
}

/**
 * The name a ConfigMap or Secret is stored under: `NAME`, or `NAME@ENVIRONMENT` for one of an
 * environment (a DNS label holds no `@`), so the same name in two environments are two resources.
 */
export function storedConfigName(name: string, environment?: string): string {
  return environment === undefined ? name : `${name}@${environment}`;
}

/**
 * The stored names a reference resolves to in `environment`, first match wins: the environment's
 * own, then the one of every environment. Pure.
 */
export function refCandidates(ref: TemplateRef, environment?: string): string[] {
  return environment === undefined ? [ref.name] : [storedConfigName(ref.name, environment), ref.name];
}

/** Mode of a file written from a Secret (owner only) and from a ConfigMap. */
const SECRET_FILE_MODE = 0o600;
const CONFIG_FILE_MODE = 0o644;

/**
 * ConfigMaps and Secrets (issue 14): stores their versions (a Secret sealed under the installation's
 * key-encryption key), pins the versions a Rollout's template takes (`refVersions`, part of its
 * hash: a new version is a new revision, as Flagger) and, for the data plane only, turns a
 * template's `envFrom` into the replica's environment.
 */
export class ConfigService {
  /** Keys that may open an envelope besides the current one (a rotation interrupted by a crash). */
  #others: KeyEncryptionKey[];
  /** Writes of Secret versions and rotations, one at a time (a version sealed mid-rotation is not missed). */
  readonly #writes = new Mutex();

  constructor(
    private readonly store: Store,
    private kek: KeyEncryptionKey,
    others: readonly KeyEncryptionKey[] = [],
  ) {
    this.#others = [...others];
  }

  /**
   * Stores a ConfigMap or a Secret as a new version when its values changed, with an event that
   * names it, its version and fingerprint (never a value).
   */
  async put(resource: ConfigMap | Secret, actor: string, now: number): Promise<ConfigChange> {
    const data = resource.kind === 'ConfigMap' ? (resource.data ?? {}) : resource.stringData;
    const { name, environment } = resource.metadata;
    const stored = storedConfigName(name, environment);
    if (resource.kind === 'Secret')
      await this.store.putSecretRotation(
        stored,
        resource.rotationSchedule === undefined
          ? null
          : { schedule: resource.rotationSchedule, notifications: resource.notifications ?? [] },
      );
    return this.#put(resource.kind, stored, data, actor, now);
  }

  /**
   * Sets one key of a Secret (creating the Secret when absent): a new version with the other keys
   * kept (`cutover secret set NAME KEY --from-file F`). `name` is the stored name
   * ({@link storedConfigName}: `NAME@ENVIRONMENT` for an environment's Secret).
   */
  async setSecretKey(
    name: string,
    key: string,
    value: string,
    actor: string,
    now: number,
  ): Promise<ConfigChange> {
    const latest = await this.store.getConfigVersion('Secret', name);
    const data = latest === undefined ? {} : this.#open(latest);
    return this.#put('Secret', name, { ...data, [key]: value }, actor, now);
  }

  #put(kind: ConfigKind, name: string, data: Record<string, string>, actor: string, now: number) {
    return this.#writes.run(() => this.#store(kind, name, data, actor, now));
  }

  async #store(
    kind: ConfigKind,
    name: string,
    data: Record<string, string>,
    actor: string,
    now: number,
  ): Promise<ConfigChange> {
    const sha256 = createHash('sha256').update(canonical(data)).digest('hex');
    const stored = kind === 'Secret' ? JSON.stringify(sealSecret(this.kek, data)) : canonical(data);
    const { version, created } = await this.store.putConfigVersion(
      { kind, name, data: stored, sha256, keys: Object.keys(data).sort(), createdAt: now, actor },
      (v) => [
        {
          time: now,
          rollout: null,
          type: 'Normal',
          reason: kind === 'Secret' ? 'SecretVersionCreated' : 'ConfigMapVersionCreated',
          message: `${kind} ${name} version ${v} (keys ${Object.keys(data).sort().join(', ') || 'none'}; sha256 ${sha256.slice(0, 12)})`,
          actor,
        },
      ],
    );
    return { kind, name, version, created };
  }

  /** The latest version of every ConfigMap and Secret, as the API shows them, with its readers. */
  async list(kind?: ConfigKind, now = Date.now()): Promise<ConfigView[]> {
    const readers = await this.#readers();
    const rotations = await this.#rotations();
    return (await this.store.listConfigVersions(kind === undefined ? {} : { kind })).map((v) =>
      withRotation(view(v, readers), v, rotations, now),
    );
  }

  async #rotations(): Promise<Map<string, SecretRotation>> {
    return new Map((await this.store.listSecretRotations()).map((r) => [r.name, r]));
  }

  /**
   * The Secrets due for rotation at `now` whose due period was not notified yet: each gets a
   * `SecretRotationDue` event and is handed to `notify` (its channels), then marked, so a due
   * period is told once; a new version starts the next period. Meant to run every 30 s or so.
   * @returns the Secrets notified now (stored names).
   */
  async checkRotations(
    now: number,
    notify: (due: {
      name: string;
      version: number;
      dueAt: number;
      rotation: SecretRotation;
    }) => Promise<void>,
  ): Promise<string[]> {
    const out: string[] = [];
    for (const rotation of await this.store.listSecretRotations()) {
      const latest = await this.store.getConfigVersion('Secret', rotation.name);
      if (latest === undefined || rotation.notifiedVersion === latest.version) continue;
      const dueAt = rotationDueAt(rotation.schedule, latest.createdAt);
      if (dueAt === undefined || dueAt > now) continue;
      await this.store.appendEvents([
        {
          time: now,
          rollout: null,
          type: 'Warning',
          reason: 'SecretRotationDue',
          message: `Secret ${rotation.name} version ${latest.version} (sha256 ${latest.sha256.slice(0, 12)}) is due for rotation since ${new Date(dueAt).toISOString()} (rotationSchedule ${rotation.schedule}); cutover secret set makes a new version`,
          actor: 'controller',
        },
      ]);
      await notify({ name: rotation.name, version: latest.version, dueAt, rotation });
      await this.store.markSecretRotationNotified(rotation.name, latest.version);
      out.push(rotation.name);
    }
    return out;
  }

  /**
   * Which revisions take which version: from every stored revision's `refVersions` (a revision is
   * immutable, so this is the record of who was given each version), keyed `KIND/STORED_NAME#VERSION`.
   */
  async #readers(): Promise<Map<string, ConfigReader[]>> {
    const out = new Map<string, ConfigReader[]>();
    for (const rollout of await this.store.listRollouts()) {
      for (const revision of rollout.revisions) {
        for (const [ref, version] of Object.entries(revision.template.refVersions ?? {})) {
          const key = `${ref}#${version}`;
          const list = out.get(key) ?? [];
          list.push({ rollout: rollout.name, revision: revision.number });
          out.set(key, list);
        }
      }
    }
    return out;
  }

  /** One ConfigMap or Secret's latest version (of `environment`; absent: of every environment), or undefined. */
  async get(kind: ConfigKind, name: string, environment?: string): Promise<ConfigView | undefined> {
    const stored = storedConfigName(name, environment);
    const all = (await this.store.listConfigVersions({ kind, all: true })).filter((v) => v.name === stored);
    const latest = all.at(-1);
    if (latest === undefined) return undefined;
    const readers = await this.#readers();
    return {
      ...withRotation(view(latest, readers), latest, await this.#rotations(), Date.now()),
      versions: all.map((v) => ({
        version: v.version,
        keys: v.keys,
        sha256: v.sha256,
        createdAt: v.createdAt,
        createdBy: v.actor,
        readers: readers.get(`${v.kind}/${v.name}#${v.version}`) ?? [],
      })),
    };
  }

  /**
   * One key's value of a Secret version (`cutover secret get NAME KEY --reveal`: the API route is
   * admin-only and audited; nothing else ever returns a value).
   * @param name - the stored name ({@link storedConfigName})
   * @param version - @default the latest
   * @returns the value with its version and the version's fingerprint, or undefined when the Secret,
   *   the version or the key does not exist.
   */
  async reveal(
    name: string,
    key: string,
    version?: number,
  ): Promise<{ version: number; sha256: string; value: SecretValue } | undefined> {
    const stored = await this.store.getConfigVersion('Secret', name, version);
    if (stored === undefined || !stored.keys.includes(key)) return undefined;
    const value = this.#open(stored)[key];
    return value === undefined
      ? undefined
      : { version: stored.version, sha256: stored.sha256, value: new SecretValue(value) };
  }

  /**
   * The references of `template` that name no stored ConfigMap or Secret (nor one in `pending`,
   * applied in the same file, given with its keys), or a key it does not have (Secret keys are
   * stored in clear, values never: nothing is decrypted), each with its field path: the apply
   * refuses them. An `optional` reference is never missing (Kubernetes).
   */
  async missing(
    template: LocalTemplate,
    pending: ReadonlyMap<string, readonly string[]>,
    environment?: string,
  ): Promise<MissingRef[]> {
    const out: MissingRef[] = [];
    for (const ref of templateRefs(template)) {
      if (ref.optional === true) continue;
      let keys: readonly string[] | undefined;
      for (const name of refCandidates(ref, environment)) {
        keys =
          pending.get(`${ref.kind}/${name}`) ?? (await this.store.getConfigVersion(ref.kind, name))?.keys;
        if (keys !== undefined) break;
      }
      if (keys === undefined) out.push({ ...ref, missing: 'resource' });
      else if (ref.key !== undefined && !keys.includes(ref.key)) out.push({ ...ref, missing: 'key' });
    }
    return out;
  }

  /**
   * `template` with `refVersions`: the latest version of each ConfigMap and Secret it takes (none
   * when it takes none; an `optional` one that does not exist is left out, so creating it later
   * re-pins). Its hash then changes with any new version of them.
   * @throws Error when a reference that is not optional names nothing (check {@link missing} first).
   */
  async pin(template: LocalTemplate, environment = template.refEnvironment): Promise<LocalTemplate> {
    const { refVersions: _old, refEnvironment: _env, ...rest } = template;
    const refs = templateRefs(rest);
    if (refs.length === 0) return rest;
    const refVersions: Record<string, number> = {};
    for (const ref of refs) {
      const found = await this.#resolve(ref, environment);
      if (found === undefined && ref.optional === true) continue;
      if (found === undefined) throw new Error(`${ref.kind} ${ref.name} not found`);
      refVersions[`${ref.kind}/${found.name}`] = found.version;
    }
    return {
      ...rest,
      ...(Object.keys(refVersions).length === 0 ? {} : { refVersions }),
      ...(environment === undefined ? {} : { refEnvironment: environment }),
    };
  }

  /** The latest version `ref` resolves to in `environment` (its own first), or undefined. */
  async #resolve(
    ref: TemplateRef,
    environment: string | undefined,
  ): Promise<StoredConfigVersion | undefined> {
    for (const name of refCandidates(ref, environment)) {
      const latest = await this.store.getConfigVersion(ref.kind, name);
      if (latest !== undefined) return latest;
    }
    return undefined;
  }

  /**
   * The template as a replica runs it: `envFrom` sources (at their pinned versions, a Secret
   * decrypted) merged into `env` in order, keys that are not variable names skipped; then `env`'s
   * `valueFrom` entries (one key each; an optional one whose resource or key is absent left unset)
   * and its literal values, both winning over `envFrom`; `files` turned into `fileData` (a Secret's
   * 0600, a ConfigMap's 0644; a whole source as one file per key under its path). `envFrom`,
   * `envValueFrom`, `files`, `refVersions` and `refEnvironment` removed. Only the data plane gets it.
   * @throws Error when a pinned version is gone, or a Secret does not decrypt.
   */
  async materialize(template: LocalTemplate): Promise<LocalTemplate> {
    if (template.envFrom === undefined && template.envValueFrom === undefined && template.files === undefined)
      return template;
    const { envFrom, envValueFrom: _valueFrom, files, refVersions, refEnvironment, ...rest } = template;
    const opened = new Map<string, Record<string, string> | undefined>();
    const data = async (ref: TemplateRef): Promise<Record<string, string> | undefined> => {
      // The pinned one: the environment's own when the pin found it, else the one of every environment.
      const name =
        refCandidates(ref, refEnvironment).find((n) => refVersions?.[`${ref.kind}/${n}`] !== undefined) ??
        ref.name;
      const id = `${ref.kind}/${name}`;
      if (!opened.has(id)) {
        const version = refVersions?.[id];
        const stored =
          version === undefined && ref.optional === true
            ? undefined
            : await this.store.getConfigVersion(ref.kind, name, version);
        if (stored === undefined && ref.optional !== true)
          throw new Error(`${id} version ${version ?? 'latest'} not found`);
        opened.set(
          id,
          stored === undefined
            ? undefined
            : ref.kind === 'Secret'
              ? this.#open(stored)
              : (JSON.parse(stored.data) as Record<string, string>),
        );
      }
      return opened.get(id);
    };
    const env: Record<string, string> = {};
    const fileData: FileData[] = [];
    for (const ref of templateRefs(template)) {
      const values = (await data(ref)) ?? {};
      if (ref.path[0] === 'files') {
        const mode = ref.kind === 'Secret' ? SECRET_FILE_MODE : CONFIG_FILE_MODE;
        const path = files?.[ref.path[1] as number]?.path ?? '';
        if (ref.key !== undefined) {
          const value = values[ref.key];
          if (value !== undefined) fileData.push({ path, data: value, mode });
        } else {
          for (const [key, value] of Object.entries(values))
            fileData.push({ path: `${path}/${key}`, data: value, mode });
        }
        continue;
      }
      if (ref.key !== undefined) {
        const value = values[ref.key];
        if (value !== undefined) env[ref.path[1] as string] = value;
        continue;
      }
      const prefix = envFrom?.[ref.path[1] as number]?.prefix ?? '';
      for (const [name, value] of Object.entries(values))
        if (ENV_NAME.test(prefix + name)) env[prefix + name] = value;
    }
    return {
      ...rest,
      env: { ...env, ...rest.env },
      ...(files === undefined ? {} : { fileData }),
    };
  }

  /**
   * Re-wraps every Secret version's data key under `next` (`cutover secret rotate-key`), checks that
   * each opens with it, then makes it the only key; the values and their versions are unchanged.
   * @returns how many versions were re-wrapped.
   * @throws AuthError `CUTOVER_E_SECRET_KEY` when a version opens with no known key (nothing is
   *   switched then; the versions re-wrapped so far open with `next`, kept as an extra key).
   */
  async rotateKey(next: KeyEncryptionKey): Promise<number> {
    return this.#writes.run(async () => {
      if (!this.#others.some((k) => k.id === next.id) && next.id !== this.kek.id) this.#others.push(next);
      let count = 0;
      for (const v of await this.store.listConfigVersions({ kind: 'Secret', all: true })) {
        const envelope = JSON.parse(v.data) as SecretEnvelope;
        if (envelope.kek === next.id) continue;
        const rewrapped = rewrapSecret(this.#keyOf(envelope), next, envelope);
        openSecret(next, rewrapped);
        await this.store.replaceConfigData('Secret', v.name, v.version, JSON.stringify(rewrapped));
        count++;
      }
      this.kek = next;
      this.#others = [];
      return count;
    });
  }

  #keyOf(envelope: SecretEnvelope): KeyEncryptionKey {
    return [this.kek, ...this.#others].find((k) => k.id === envelope.kek) ?? this.kek;
  }

  #open(stored: StoredConfigVersion): Record<string, string> {
    const envelope = JSON.parse(stored.data) as SecretEnvelope;
    return openSecret(this.#keyOf(envelope), envelope);
  }
}

/** A Secret view with its rotation schedule, when it is due and whether it is now. */
function withRotation(
  shown: ConfigView,
  v: StoredConfigVersion,
  rotations: ReadonlyMap<string, SecretRotation>,
  now: number,
): ConfigView {
  const rotation = v.kind === 'Secret' ? rotations.get(v.name) : undefined;
  if (rotation === undefined) return shown;
  const dueAt = rotationDueAt(rotation.schedule, v.createdAt);
  return {
    ...shown,
    rotationSchedule: rotation.schedule,
    ...(dueAt === undefined ? {} : { rotationDueAt: dueAt }),
    due: dueAt !== undefined && dueAt <= now,
  };
}

function view(v: StoredConfigVersion, readers: ReadonlyMap<string, ConfigReader[]>): ConfigView {
  const [name = v.name, environment] = v.name.split('@');
  return {
    kind: v.kind,
    name,
    ...(environment === undefined ? {} : { environment }),
    version: v.version,
    keys: v.keys,
    sha256: v.sha256,
    updatedAt: v.createdAt,
    updatedBy: v.actor,
    ...(v.kind === 'ConfigMap' ? { data: JSON.parse(v.data) as Record<string, string> } : {}),
    readers: readers.get(`${v.kind}/${v.name}#${v.version}`) ?? [],
  };
}
