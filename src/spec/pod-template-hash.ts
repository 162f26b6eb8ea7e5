/**
 * Argo Rollouts' `rollouts-pod-template-hash`: the label that names a Rollout's ReplicaSets and
 * selects their pods, as Argo's `utils/hash.ComputePodTemplateHash`: the FNV-32a hash of the pod
 * template's JSON as Go's `encoding/json` writes a `corev1.PodTemplateSpec` (fields in struct
 * order, empty `omitempty` fields left out, map keys sorted, quantities canonical), then, when the
 * Rollout has a `status.collisionCount`, of its 4 little-endian bytes padded to 8 with zeros; the
 * decimal sum encoded with Kubernetes' `rand.SafeEncodeString`.
 */
import type { PodTemplateSpec } from './argo-rollout-types.js';
import { type GoFieldType, goFields } from './pod-spec-fields.js';
import { canonicalQuantity } from './quantity.js';

/** Kubernetes' `rand.SafeEncodeString` alphabet: no vowels, no 0/1/3 (no words, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * The hash Argo Rollouts gives a pod template (`rollouts-pod-template-hash`, the suffix of the
 * ReplicaSet's name). Pure.
 *
 * Fields Kubernetes' core/v1 does not define are left out, as Go's decoder drops them (the schema
 * refuses them before this runs).
 *
 * @param collisionCount - the Rollout's `status.collisionCount`, when it has one (Argo bumps it
 *   when a ReplicaSet of that name exists with another template)
 * @returns 8 to 10 characters of `bcdfghjklmnpqrstvwxz2456789`
 * @example podTemplateHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [...] } }) // '674d8cf959'
 */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let hash = fnv32a(FNV_OFFSET, Buffer.from(podTemplateJson(template), 'utf8'));
  if (collisionCount !== undefined) {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32LE(collisionCount >>> 0, 0);
    hash = fnv32a(hash, bytes);
  }
  return [...String(hash)].map((digit) => SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/**
 * The JSON Go's `encoding/json` writes for the template as a `corev1.PodTemplateSpec`: the bytes
 * {@link podTemplateHash} hashes. Pure.
 */
export function podTemplateJson(template: PodTemplateSpec): string {
  return renderStruct('PodTemplateSpec', template) ?? '{}';
}

function fnv32a(seed: number, bytes: Uint8Array): number {
  let hash = seed;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON string as Go writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped (HTML-safe). */
function goString(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function renderStruct(name: string, value: unknown): string | undefined {
  const fields = goFields(name);
  if (fields === undefined) return undefined;
  const object = isRecord(value) ? value : {};
  const parts: string[] = [];
  for (const field of fields) {
    const rendered = renderField(object[field.json], field.type);
    if (rendered !== undefined) parts.push(`${goString(field.json)}:${rendered}`);
  }
  return `{${parts.join(',')}}`;
}

/** A field's JSON, or undefined when `omitempty` leaves it out. */
function renderField(value: unknown, type: GoFieldType): string | undefined {
  const absent = value === undefined || value === null;
  if (type.list || type.map) {
    const empty = absent || (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0);
    if (empty) return type.always ? (absent ? 'null' : type.list ? '[]' : '{}') : undefined;
    if (type.list) {
      const items = Array.isArray(value) ? value : [];
      return `[${items.map((item) => renderValue(item, type.base)).join(',')}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${goString(key)}:${renderValue(item, type.base)}`).join(',')}}`;
  }
  if (type.pointer) return absent ? (type.always ? 'null' : undefined) : renderValue(value, type.base);
  // A struct value is never empty for `omitempty`; a scalar is when it is its zero value.
  const rendered = renderValue(absent ? undefined : value, type.base);
  const zero = rendered === '""' || rendered === '0' || rendered === 'false';
  return zero && !type.always && goFields(type.base) === undefined ? undefined : rendered;
}

function renderValue(value: unknown, base: string): string {
  switch (base) {
    case 'string':
      return goString(value === undefined ? '' : String(value));
    case 'int':
      return String(typeof value === 'number' ? Math.trunc(value) : 0);
    case 'bool':
      return value === true ? 'true' : 'false';
    case 'IntOrString':
      return typeof value === 'string' ? goString(value) : String(typeof value === 'number' ? value : 0);
    case 'Quantity':
      return goString(canonicalQuantity(value ?? '0') ?? '0');
    default:
      return renderStruct(base, value) ?? 'null';
  }
}
