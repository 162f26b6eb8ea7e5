/**
 * Secrets at rest, as a vault's envelope encryption: each secret version's data is encrypted with
 * AES-256-GCM under a data key of its own (32 random bytes), and the data key is stored wrapped
 * (AES-256-GCM) by the installation's key-encryption key (KEK), which lives outside the database
 * (`$CUTOVER_HOME/keys/kek`, mode 0600, or the file named by `CUTOVER_SECRET_KEK_FILE`). The
 * database holds only envelopes: a copy of it without the KEK reveals no value.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError } from '../auth/errors.js';
import { readPrivateText, writePrivateFile } from '../auth/private-file.js';

/** An encrypted secret version as stored; every field base64 but `kek`. */
export interface SecretEnvelope {
  /** Fingerprint of the KEK that wrapped the data key (first 16 hex digits of its sha256). */
  kek: string;
  /** The data key, encrypted by the KEK: IV, ciphertext, GCM tag. */
  wrappedKey: { iv: string; data: string; tag: string };
  /** The secret's JSON (`{key: value}`), encrypted by the data key: IV, ciphertext, GCM tag. */
  iv: string;
  data: string;
  tag: string;
}

/** The key-encryption key and its fingerprint. */
export interface KeyEncryptionKey {
  key: Buffer;
  /** First 16 hex digits of sha256(key). */
  id: string;
}

function encrypt(key: Buffer, plain: Buffer): { iv: string; data: string; tag: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    data: data.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

function decrypt(key: Buffer, box: { iv: string; data: string; tag: string }): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]);
}

/** A KEK from 32 bytes. */
function keyEncryptionKey(key: Buffer): KeyEncryptionKey {
  return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 16) };
}

/** Encrypts a secret's data under a new data key wrapped by `kek`. */
export function sealSecret(kek: KeyEncryptionKey, data: Record<string, string>): SecretEnvelope {
  const dataKey = randomBytes(32);
  const sealed = encrypt(dataKey, Buffer.from(JSON.stringify(data), 'utf8'));
  return { kek: kek.id, wrappedKey: encrypt(kek.key, dataKey), ...sealed };
}

/**
 * Decrypts a secret's data.
 * @throws AuthError `CUTOVER_E_SECRET_KEY` when the envelope was wrapped by another KEK or was
 *   tampered with (GCM authentication fails).
 */
export function openSecret(kek: KeyEncryptionKey, envelope: SecretEnvelope): Record<string, string> {
  if (envelope.kek !== kek.id) {
    throw new AuthError(
      'CUTOVER_E_SECRET_KEY',
      `the secret was encrypted under key-encryption key ${envelope.kek}, not the loaded ${kek.id}`,
    );
  }
  try {
    const dataKey = decrypt(kek.key, envelope.wrappedKey);
    return JSON.parse(decrypt(dataKey, envelope).toString('utf8')) as Record<string, string>;
  } catch (error) {
    throw new AuthError(
      'CUTOVER_E_SECRET_KEY',
      `a secret envelope does not decrypt: ${(error as Error).message}`,
    );
  }
}

/** Re-wraps an envelope's data key under `next` (`cutover secret rotate-key`); the data is unchanged. */
export function rewrapSecret(
  current: KeyEncryptionKey,
  next: KeyEncryptionKey,
  envelope: SecretEnvelope,
): SecretEnvelope {
  if (envelope.kek === next.id) return envelope;
  const dataKey = decrypt(current.key, envelope.wrappedKey);
  return { ...envelope, kek: next.id, wrappedKey: encrypt(next.key, dataKey) };
}

/**
 * The KEK `cutover secret rotate-key` moves to, written to `<path>.next` (0600) before any envelope
 * is re-wrapped under it, so a crash mid-rotation leaves both keys on disk ({@link loadKeks}); the
 * `.next` of an interrupted rotation is reused, never replaced (envelopes may be wrapped by it).
 */
export function createNextKek(path: string): KeyEncryptionKey {
  const pending = readPrivateText(`${path}.next`, 'key-encryption key', 'CUTOVER_E_SECRET_KEY');
  if (pending !== undefined) return parseKek(`${path}.next`, pending);
  const key = randomBytes(32);
  writePrivateFile(`${path}.next`, `${key.toString('hex')}\n`);
  return keyEncryptionKey(key);
}

/** Ends a rotation: `<path>.next` becomes the KEK; the previous key is gone. */
export function commitNextKek(path: string): void {
  renameSync(`${path}.next`, path);
}

/**
 * The KEK (created at the first start) and, after a rotation interrupted by a crash, the next one
 * (`<path>.next`): envelopes are opened with whichever wrapped them; run `secret rotate-key` again
 * to finish. @throws AuthError `CUTOVER_E_SECRET_KEY` as {@link loadOrCreateKek}.
 */
export function loadKeks(path: string): { current: KeyEncryptionKey; pending: KeyEncryptionKey | undefined } {
  const current = loadOrCreateKek(path);
  const next = readPrivateText(`${path}.next`, 'key-encryption key', 'CUTOVER_E_SECRET_KEY');
  return { current, pending: next === undefined ? undefined : parseKek(`${path}.next`, next) };
}

function parseKek(path: string, text: string): KeyEncryptionKey {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AuthError(
      'CUTOVER_E_SECRET_KEY',
      `key-encryption key ${path} is malformed: expected 64 hex digits`,
    );
  }
  return keyEncryptionKey(Buffer.from(hex, 'hex'));
}

/** Where the KEK lives: `CUTOVER_SECRET_KEK_FILE`, else `<home>/keys/kek`. */
export function kekPath(home: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['CUTOVER_SECRET_KEK_FILE'] ?? join(home, 'keys', 'kek');
}

/**
 * Reads the KEK (64 hex digits in a 0600 file), creating it with 32 random bytes at the first start.
 * @throws AuthError `CUTOVER_E_SECRET_KEY` when the file is too open, unreadable or malformed.
 */
export function loadOrCreateKek(path: string): KeyEncryptionKey {
  const text = readPrivateText(path, 'key-encryption key', 'CUTOVER_E_SECRET_KEY');
  if (text === undefined) {
    const key = randomBytes(32);
    writePrivateFile(path, `${key.toString('hex')}\n`);
    return keyEncryptionKey(key);
  }
  return parseKek(path, text);
}
