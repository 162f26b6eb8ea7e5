import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeReplicaFiles, writeReplicaFiles } from './replica-files.js';

describe('writeReplicaFiles', () => {
  it('should write each file with its mode, drop files no longer listed, and refuse a path that leaves the directory', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cutover-files-')), 'web', 'r1');
    writeReplicaFiles(dir, [
      { path: 'secrets/token', data: 's3cr3t', mode: 0o600 },
      { path: 'config/MODE', data: 'fast', mode: 0o644 },
    ]);
    expect(readFileSync(join(dir, 'secrets/token'), 'utf8')).toBe('s3cr3t');
    expect(statSync(join(dir, 'secrets/token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'config/MODE')).mode & 0o777).toBe(0o644);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    writeReplicaFiles(dir, [{ path: 'config/MODE', data: 'slow', mode: 0o644 }]);
    expect(readFileSync(join(dir, 'config/MODE'), 'utf8')).toBe('slow');
    expect(existsSync(join(dir, 'secrets/token'))).toBe(false);

    expect(() => writeReplicaFiles(dir, [{ path: '../../escape', data: 'x', mode: 0o600 }])).toThrow(
      /leaves the replica set's files directory/,
    );
    expect(existsSync(join(dir, '..', '..', 'escape'))).toBe(false);
    removeReplicaFiles(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
