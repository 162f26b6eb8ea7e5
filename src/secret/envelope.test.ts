import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKek, openSecret, rewrapSecret, sealSecret } from './envelope.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cutover-kek-'));

describe('secret envelopes', () => {
  it('should create a 0600 key-encryption key once and load the same one after', () => {
    const path = join(dir(), 'keys', 'kek');
    const kek = loadOrCreateKek(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(loadOrCreateKek(path).id).toBe(kek.id);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should refuse a key file others can read, and a malformed one', () => {
    const open = join(dir(), 'kek');
    writeFileSync(open, `${randomBytes(32).toString('hex')}\n`, { mode: 0o644 });
    expect(() => loadOrCreateKek(open)).toThrow(/accessible by group or others \(mode 644\)/);
    const bad = join(dir(), 'kek');
    writeFileSync(bad, 'not-hex\n', { mode: 0o600 });
    expect(() => loadOrCreateKek(bad)).toThrow(/malformed: expected 64 hex digits/);
  });

  it('should seal each version under its own data key and open it only with its KEK', () => {
    const kek = loadOrCreateKek(join(dir(), 'kek'));
    const data = { API_KEY: 'sk-live-123', DB_PASSWORD: 'hunter2' };
    const a = sealSecret(kek, data);
    const b = sealSecret(kek, data);
    // Same values, different data keys and ciphertexts; no value in the envelope.
    expect(a.wrappedKey.data).not.toBe(b.wrappedKey.data);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain('sk-live-123');
    expect(openSecret(kek, a)).toEqual(data);
    const other = loadOrCreateKek(join(dir(), 'kek'));
    expect(() => openSecret(other, a)).toThrow(/encrypted under key-encryption key/);
  });

  it('should detect a tampered ciphertext', () => {
    const kek = loadOrCreateKek(join(dir(), 'kek'));
    const sealed = sealSecret(kek, { K: 'value' });
    const bytes = Buffer.from(sealed.data, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(() => openSecret(kek, { ...sealed, data: bytes.toString('base64') })).toThrow(/does not decrypt/);
  });

  it('should re-wrap a data key under a new KEK without changing the data', () => {
    const old = loadOrCreateKek(join(dir(), 'kek'));
    const next = loadOrCreateKek(join(dir(), 'kek'));
    const sealed = sealSecret(old, { K: 'value' });
    const rewrapped = rewrapSecret(old, next, sealed);
    expect(rewrapped.kek).toBe(next.id);
    expect(rewrapped.data).toBe(sealed.data);
    expect(openSecret(next, rewrapped)).toEqual({ K: 'value' });
    expect(() => openSecret(old, rewrapped)).toThrow();
  });
});
