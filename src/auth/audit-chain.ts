import { createHash, createHmac } from 'node:crypto';

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
  /**
   * HMAC-SHA256 (hex), keyed by the installation's audit key, of `prevHash` + canonical JSON of the
   * entry's other fields ({@link auditHmac}); entries older than the key (written before cutover
   * keyed its chain) hold the unkeyed sha256 of the same text ({@link auditHash}).
   */
  hash: string;
}

/** The newest entry as last written to the head checkpoint, outside the database. */
export interface AuditHead {
  id: number;
  /** That entry's `hash`. */
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

/** The `summary` of a request body: canonical JSON when short and not `secret`, else its sha256. Pure. */
export function summarizeBody(body: unknown, secret = false): string {
  if (body === undefined || body === null) return '';
  const json = canonicalJson(body);
  if (json.length <= SUMMARY_MAX && !secret) return json;
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The text an entry's hash covers: prevHash + canonical JSON of every field but `hash`. Pure. */
function sealedText(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  const { prevHash, hash: _own, ...fields } = entry;
  return prevHash + canonicalJson(fields);
}

/**
 * The unkeyed hash of an entry: sha256(prevHash + canonical JSON of every field but `hash`). Only
 * entries written before the installation had an audit key carry it; anyone can recompute it, so
 * it proves nothing against someone who can write the database. Pure.
 */
export function auditHash(entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  return createHash('sha256').update(sealedText(entry)).digest('hex');
}

/**
 * The keyed hash of an entry: HMAC-SHA256 (RFC 2104) of the same text as {@link auditHash}, keyed
 * by the installation's audit key, which lives outside the database (`$CUTOVER_HOME/audit.key`).
 * Without the key an edited entry cannot be re-sealed. Pure.
 */
export function auditHmac(key: Buffer, entry: Omit<AuditEntry, 'hash'> & { hash?: string }): string {
  return createHmac('sha256', key).update(sealedText(entry)).digest('hex');
}

/** What {@link verifyAuditChain} checks beyond the chain's own hashes. */
export interface AuditAnchors {
  /** The audit key: entries with id >= `keyedFrom` must carry its HMAC. */
  key: Buffer;
  /** Id of the first entry sealed with the key (1 for an installation keyed from the start). */
  keyedFrom: number;
  /** The head checkpoint, when one was written. */
  head?: AuditHead;
}

/** What {@link verifyAuditChain} found. */
export interface AuditVerification {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** Id of the first HMAC-sealed entry (older ones carry the unkeyed sha256); absent without a key. */
  keyedFrom?: number;
  /** Id of the entry the head checkpoint names; absent when no checkpoint was written. */
  head?: number;
  /** The first broken entry: its id and what is wrong with it. */
  broken?: { id: number; reason: string };
}

/**
 * Recomputes the chain, oldest first, and reports the first entry that was edited (its hash does
 * not match its content), or that follows a deleted entry (its id skips one, or its prevHash is not
 * the hash of the entry before it).
 *
 * With `anchors`, entries from `keyedFrom` on must carry the HMAC of the audit key, so an entry
 * edited and re-hashed by someone without the key is named (`HMAC does not match`); and the head
 * checkpoint must name an entry that exists with that hash, so deleting the newest entries (or
 * rewriting the tail) is named too. Without `anchors` only the unkeyed chain is checked: deleting
 * the newest entries leaves a valid, shorter chain. Pure.
 */
export function verifyAuditChain(entries: readonly AuditEntry[], anchors?: AuditAnchors): AuditVerification {
  const found = (broken?: { id: number; reason: string }): AuditVerification => ({
    ok: broken === undefined,
    entries: entries.length,
    ...(anchors ? { keyedFrom: anchors.keyedFrom } : {}),
    ...(anchors?.head ? { head: anchors.head.id } : {}),
    ...(broken ? { broken } : {}),
  });
  let prev: AuditEntry | undefined;
  for (const e of entries) {
    const expectedId = prev ? prev.id + 1 : 1;
    if (e.id !== expectedId) {
      const missing = e.id - expectedId;
      return found({
        id: e.id,
        reason: `entry ${e.id} follows entry ${prev?.id ?? 0}: ${missing} entr${missing === 1 ? 'y' : 'ies'} before it deleted`,
      });
    }
    const expectedPrev = prev?.hash ?? GENESIS_HASH;
    if (e.prevHash !== expectedPrev) {
      return found({
        id: e.id,
        reason: `entry ${e.id}: prevHash is not the hash of entry ${expectedId - 1}`,
      });
    }
    if (anchors && e.id >= anchors.keyedFrom) {
      if (auditHmac(anchors.key, e) !== e.hash) {
        return found({
          id: e.id,
          reason: `entry ${e.id}: HMAC does not match (edited or re-hashed without the audit key)`,
        });
      }
    } else if (auditHash(e) !== e.hash) {
      return found({ id: e.id, reason: `entry ${e.id}: content does not match its hash (edited)` });
    }
    prev = e;
  }
  const head = anchors?.head;
  if (head) {
    const last = prev?.id ?? 0;
    if (head.id > last) {
      return found({
        id: last + 1,
        reason: `the head checkpoint names entry ${head.id} but the log ends at entry ${last}: entries ${last + 1}..${head.id} deleted`,
      });
    }
    if (entries[head.id - 1]?.hash !== head.hash) {
      return found({
        id: head.id,
        reason: `entry ${head.id} is not the entry the head checkpoint names (rewritten)`,
      });
    }
  } else if (anchors && (prev?.id ?? 0) >= anchors.keyedFrom) {
    return found({
      id: prev?.id ?? 0,
      reason: 'the head checkpoint is missing although HMAC-sealed entries exist (deleted?)',
    });
  }
  return found();
}
