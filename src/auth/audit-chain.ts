import { createHash } from 'node:crypto';

/** One entry of the hash-chained audit log. */
export interface AuditEntry {
  /** 1, 2, 3... without gaps. */
  id: number;
  /** ms since the epoch. */
  time: number;
  /** `user:<name>` or `agent:<name>`. */
  actor: string;
  role: string;
  method: string;
  /** Request path with its query string. */
  path: string;
  /** The request body as canonical JSON when short, else `sha256:<hex>` of it; '' without a body. */
  summary: string;
  /** HTTP status of the answer. */
  status: number;
  /** Hash of the previous entry; 64 zeros for the first. */
  prevHash: string;
  /** sha256 (hex) of `prevHash` + canonical JSON of the entry's other fields. */
  hash: string;
}

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** Longest body kept verbatim in `summary`, characters. */
const SUMMARY_MAX = 256;

/**
 * JSON with object keys sorted at every level, so equal values always serialize alike
 * (the idea of RFC 8785, without its number formatting rules). Pure.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The `summary` of a request body: canonical JSON when short, else its sha256. Pure. */
export function summarizeBody(body: unknown): string {
  if (body === undefined || body === null) return '';
  const json = canonicalJson(body);
  if (json.length <= SUMMARY_MAX) return json;
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The hash of an entry: sha256(prevHash + canonical JSON of every field but `hash`). Pure. */
export function auditHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { prevHash, hash: _own, ...fields } = entry;
  return createHash('sha256')
    .update(prevHash + canonicalJson(fields))
    .digest('hex');
}

/** What {@link verifyAuditChain} found. */
export interface AuditVerification {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** The first broken entry: its id and what is wrong with it. */
  broken?: { id: number; reason: string };
}

/**
 * Recomputes the chain, oldest first, and reports the first entry that was edited (its hash does
 * not match its content), or that follows a deleted entry (its id skips one, or its prevHash is not
 * the hash of the entry before it). Deleting the newest entries leaves a valid, shorter chain: the
 * chain proves order and integrity, not completeness at the tail. Pure.
 */
export function verifyAuditChain(entries: readonly AuditEntry[]): AuditVerification {
  let prev: AuditEntry | undefined;
  for (const e of entries) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (e.id !== expectedId) {
      return {
        ok: false,
        entries: entries.length,
        broken: {
          id: e.id,
          reason: `entry ${e.id} follows entry ${prev?.id ?? 0}: ${e.id - expectedId} entr${e.id - expectedId === 1 ? 'y' : 'ies'} before it deleted`,
        },
      };
    }
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (e.prevHash !== expectedPrev) {
      return {
        ok: false,
        entries: entries.length,
        broken: { id: e.id, reason: `entry ${e.id}: prevHash is not the hash of entry ${expectedId - 1}` },
      };
    }
    if (auditHash(e) !== e.hash) {
      return {
        ok: false,
        entries: entries.length,
        broken: { id: e.id, reason: `entry ${e.id}: content does not match its hash (edited)` },
      };
    }
    prev = e;
  }
  return { ok: true, entries: entries.length };
}
