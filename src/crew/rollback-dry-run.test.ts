import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rollbackDryRun } from './rollback-dry-run.js';

/** Whether `pid` is a live process (a zombie, waiting for a reaper that is not us, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  // Field 3 of /proc/<pid>/stat, after the parenthesised command name, is the state.
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

const SERVER = `const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/ready' ? 200 : 404).end();
});
// Ignores SIGTERM, so the dry run has to escalate to SIGKILL.
if (process.env.STUBBORN === '1') process.on('SIGTERM', () => {});
setTimeout(() => server.listen(Number(process.argv[2]), '127.0.0.1'), Number(process.env.DELAY_MS ?? 0));
`;

describe('rollbackDryRun', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-rollback-dry-run-test-'));
  writeFileSync(join(dir, 'server.cjs'), SERVER);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should report a node server ready on its httpGet probe and stop it', async () => {
    const result = await rollbackDryRun({
      template: {
        command: [process.execPath, 'server.cjs', '$(PORT)'],
        env: { DELAY_MS: '300' },
        readinessProbe: { httpGet: { path: '/ready' } },
      },
      cwd: dir,
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ started: true, ready: true });
    expect(result.detail).toBe(`ready (httpGet /ready) on port ${result.port}; stopped`);
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(result.pid).not.toBeNull();
    expect(alive(result.pid ?? 0)).toBe(false);
  });

  it('should report python3 -m http.server ready on the port without a probe', async () => {
    const result = await rollbackDryRun({
      template: { command: ['python3', '-m', 'http.server', '$(PORT)', '--bind', '127.0.0.1'], cwd: '.' },
      cwd: dir,
      timeoutMs: 15_000,
    });
    expect(result).toMatchObject({ started: true, ready: true });
    expect(result.detail).toMatch(/^ready \(tcpSocket\)/);
    expect(alive(result.pid ?? 0)).toBe(false);
  });

  it('should report started and ready false with the exit code for a command that exits at once', async () => {
    const result = await rollbackDryRun({
      template: { command: ['sh', '-c', 'echo "missing config" >&2; exit 3'] },
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ started: false, ready: false });
    expect(result.detail).toBe('exited with exit code 3 before it was ready; output: missing config');
    expect(result.durationMs).toBeLessThan(5000);
  });

  it('should report a command that cannot be spawned', async () => {
    const result = await rollbackDryRun({ template: { command: ['/nonexistent/server'] }, timeoutMs: 5000 });
    expect(result).toMatchObject({ started: false, ready: false, pid: null });
    expect(result.detail).toMatch(/^cannot start \/nonexistent\/server: .*ENOENT/);
  });

  it('should stop a revision that never becomes ready at the timeout, with SIGKILL when it ignores SIGTERM, children included', async () => {
    const pidFile = join(dir, 'child.pid');
    const result = await rollbackDryRun({
      template: {
        // A shell that starts the server in the background: the server is a grandchild of the dry run.
        command: ['sh', '-c', `${process.execPath} server.cjs $(PORT) & echo $! > child.pid; wait`],
        env: { STUBBORN: '1' },
        readinessProbe: { httpGet: { path: '/never' } },
      },
      cwd: dir,
      timeoutMs: 1000,
    });
    expect(result).toMatchObject({ started: true, ready: false });
    expect(result.detail).toBe(`not ready (httpGet /never on port ${result.port}) within 1000 ms; stopped`);
    expect(result.durationMs).toBeLessThan(6000);
    expect(alive(result.pid ?? 0)).toBe(false);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});
