import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprint } from './fingerprint.js';
import { type DirectoryChecksum, DirectoryHasher } from './workdir.js';

const dirs: string[] = [];
function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-workdir-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function checksum(hasher: DirectoryHasher, dir: string): Promise<DirectoryChecksum> {
  const c = await hasher.checksum(dir);
  if ('error' in c) throw new Error(c.error);
  return c;
}

describe('DirectoryHasher', () => {
  it('should fingerprint every file and link by relative path', async () => {
    const dir = directory();
    writeFileSync(join(dir, 'server.js'), 'console.log(1)\n');
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'system.txt'), 'be careful\n');
    symlinkSync('prompts/system.txt', join(dir, 'current'));
    const c = await checksum(new DirectoryHasher(), dir);
    expect(c).toMatchObject({
      files: 3,
      bytes: 26,
      manifest: {
        current: 'symlink:prompts/system.txt',
        'prompts/system.txt': fingerprint('be careful\n'),
        'server.js': fingerprint('console.log(1)\n'),
      },
    });
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The same content elsewhere gives the same checksum.
    const copy = directory();
    writeFileSync(join(copy, 'server.js'), 'console.log(1)\n');
    mkdirSync(join(copy, 'prompts'));
    writeFileSync(join(copy, 'prompts', 'system.txt'), 'be careful\n');
    symlinkSync('prompts/system.txt', join(copy, 'current'));
    expect((await checksum(new DirectoryHasher(), copy)).sha256).toBe(c.sha256);
  });

  it('should see an edit of the same size with its mtime put back (the stat cache keys on ctime too)', async () => {
    const dir = directory();
    const file = join(dir, 'prompt.txt');
    writeFileSync(file, 'aaaa');
    const hasher = new DirectoryHasher();
    const before = await checksum(hasher, dir);
    const { atime, mtime } = statSync(file);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, 'bbbb');
    utimesSync(file, atime, mtime);
    const after = await checksum(hasher, dir);
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.manifest?.['prompt.txt']).toBe(fingerprint('bbbb'));
  });

  it('should leave out what it is told to', async () => {
    const dir = directory();
    writeFileSync(join(dir, 'app.js'), 'x');
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'server.log'), 'changes all the time');
    const c = await checksum(new DirectoryHasher((path) => path === join(dir, 'logs')), dir);
    expect(Object.keys(c.manifest ?? {})).toEqual(['app.js']);
  });

  it('should say why a directory cannot be checked', async () => {
    const missing = join(directory(), 'gone');
    expect(await new DirectoryHasher().checksum(missing)).toEqual({
      error: `cannot read ${missing}: ENOENT`,
    });
  });
});
