import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PidRegistry } from './pid-registry.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('PidRegistry', () => {
  it('should stop the replicas a killed data plane left behind', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cutover-pids-')), 'replicas');
    const orphan = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => orphan.once('exit', () => resolve()));
    const pid = orphan.pid!;
    new PidRegistry(dir).add(pid, 'web-r1-0');
    expect(alive(pid)).toBe(true);

    const next = new PidRegistry(dir);
    expect(next.reapOrphans()).toEqual([pid]);
    await exited;
    expect(next.reapOrphans()).toEqual([]);
  });
});
