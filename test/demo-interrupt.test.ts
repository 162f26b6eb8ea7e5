import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, waitUntil } from './support/cutover-env.js';

/** Pids of processes whose working directory is `dir` or inside it. */
function pidsIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const cwd = readlinkSync(`/proc/${entry}/cwd`);
        return cwd === dir || cwd.startsWith(`${dir}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Issue 9 (3): an interrupted `demo` left its data plane, replicas and temporary directory behind.
 * On SIGINT it now stops what it started and removes its directory.
 */
describe('cutover demo, interrupted', () => {
  const parent = mkdtempSync(join(tmpdir(), 'cutover-demo-int-'));
  const started: number[] = [];

  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    rmSync(parent, { recursive: true, force: true });
  });

  it('should stop its data plane and replicas and remove its directory on SIGINT', async () => {
    const child = spawn(process.execPath, ['bin/cutover.js', 'demo', '--rate', '20'], {
      env: { ...process.env, TMPDIR: parent },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitUntil(() => output.includes('load started'), {
      timeoutMs: 45_000,
      what: 'the demo to start its load',
      describe: () => output,
    });
    const home = /data in (\S+);/.exec(output)?.[1] ?? '';
    const dataPlane = JSON.parse(readFileSync(join(home, 'dataplane.json'), 'utf8')) as { pid: number };
    const replicas = pidsIn(home).filter((pid) => pid !== dataPlane.pid);
    started.push(dataPlane.pid, ...replicas);
    expect(replicas.length).toBeGreaterThan(0);

    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(code, output).toBe(130);
    expect(isAlive(dataPlane.pid)).toBe(false);
    await waitUntil(() => replicas.every((pid) => !isAlive(pid)), {
      timeoutMs: 5_000,
      what: 'the replicas to be gone',
    });
    expect(existsSync(home)).toBe(false);
  });
});
