/**
 * The audit chain's anchors outside the database: the installation's audit key (HMAC key of the
 * chain) and the head checkpoint (id and hash of the newest entry). Both are small files of the
 * data directory, readable by their owner only (mode 0600), written atomically.
 */
import { randomBytes } from 'node:crypto';
import type { AuditHead } from './audit-chain.js';
import { AuthError } from './errors.js';
import { readPrivateText, writePrivateFile } from './private-file.js';

/** The audit key file's content. */
export interface AuditKey {
  /** 32 random bytes. */
  key: Buffer;
  /** Id of the first entry sealed with the key: entries before it predate it (unkeyed sha256). */
  keyedFrom: number;
}

const readPrivateFile = (path: string, what: string) => readPrivateText(path, what, 'CUTOVER_E_AUDIT_KEY');

/**
 * Reads the audit key, creating it (32 random bytes, mode 0600) when the file does not exist: an
 * installation's first start, or the first start of an installation whose chain predates keys.
 * @param nextId - id the next audit entry will get: the new key seals entries from it on.
 * @throws AuthError `CUTOVER_E_AUDIT_KEY` when the file is unreadable, too open or malformed.
 */
export function loadOrCreateAuditKey(path: string, nextId: number): AuditKey {
  const text = readPrivateFile(path, 'audit key file');
  if (text === undefined) {
    const created = { key: randomBytes(32), keyedFrom: nextId };
    writePrivateFile(
      path,
      `${JSON.stringify({ key: created.key.toString('hex'), keyedFrom: created.keyedFrom })}\n`,
    );
    return created;
  }
  try {
    const parsed = JSON.parse(text) as { key?: unknown; keyedFrom?: unknown };
    if (
      typeof parsed.key === 'string' &&
      /^[0-9a-f]{64}$/.test(parsed.key) &&
      Number.isSafeInteger(parsed.keyedFrom) &&
      (parsed.keyedFrom as number) >= 1
    ) {
      return { key: Buffer.from(parsed.key, 'hex'), keyedFrom: parsed.keyedFrom as number };
    }
  } catch {}
  throw new AuthError(
    'CUTOVER_E_AUDIT_KEY',
    `audit key file ${path} is malformed: expected {"key": "<64 hex digits>", "keyedFrom": <id>}`,
  );
}

/**
 * Reads the head checkpoint; `undefined` when none was written.
 * @throws AuthError `CUTOVER_E_AUDIT_KEY` when the file is unreadable, too open or malformed.
 */
export function readAuditHead(path: string): AuditHead | undefined {
  const text = readPrivateFile(path, 'audit head file');
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { id?: unknown; hash?: unknown };
    if (Number.isSafeInteger(parsed.id) && typeof parsed.hash === 'string') {
      return { id: parsed.id as number, hash: parsed.hash };
    }
  } catch {}
  throw new AuthError(
    'CUTOVER_E_AUDIT_KEY',
    `audit head file ${path} is malformed: expected {"id": <id>, "hash": "<hex>"}`,
  );
}

/** Writes the head checkpoint atomically (mode 0600). @throws the file system's error (ENOSPC...). */
export function writeAuditHead(path: string, head: AuditHead): void {
  writePrivateFile(path, `${JSON.stringify({ id: head.id, hash: head.hash })}\n`);
}
