import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintToken, parseToken, secretMatches } from './token.js';
import { readTokenFile, writeTokenFile } from './token-file.js';

describe('mintToken', () => {
  it('should mint a token whose secret matches its stored hash, and only that one', () => {
    const minted = mintToken();
    const parsed = parseToken(minted.token);
    expect(parsed?.id).toBe(minted.id);
    expect(secretMatches(parsed!.secret, minted.hash)).toBe(true);
    const other = parseToken(mintToken().token)!;
    expect(secretMatches(other.secret, minted.hash)).toBe(false);
    expect(minted.token).not.toContain(minted.hash);
  });

  it('should not parse what is not a cutover token', () => {
    expect(parseToken('Bearer abc')).toBeUndefined();
    expect(parseToken(`${mintToken().token}x`)).toBeUndefined();
  });
});

describe('readTokenFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-token-'));

  it('should read a file written with mode 0600', () => {
    const file = join(dir, 'token');
    writeTokenFile(file, 'cut_x');
    expect(readTokenFile(file)).toBe('cut_x');
  });

  it('should refuse a token file readable by group or others', () => {
    const file = join(dir, 'open');
    writeFileSync(file, 'cut_x\n');
    chmodSync(file, 0o644);
    expect(() => readTokenFile(file)).toThrow(/accessible by group or others \(mode 644\); run chmod 600/);
  });

  it('should name a missing file', () => {
    expect(() => readTokenFile(join(dir, 'missing'))).toThrow(/cannot read token file .*ENOENT/);
  });
});
