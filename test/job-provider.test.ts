import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisRun, Measurement } from '../src/analysis/index.js';
import { JobSandboxError, measurementFromValue } from '../src/analysis/index.js';
import { createJobProvider } from '../src/analysis/providers/job/index.js';
import type { Metric } from '../src/spec/types.js';

/**
 * The job metric provider against the real bubblewrap and prlimit of this machine (Debian packages
 * bubblewrap and util-linux): exit codes decide the phase, and the sandbox really confines the job.
 */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const run: AnalysisRun = {
  name: 'r',
  rollout: 'app',
  revision: 2,
  revisions: { stable: 1, canary: 2 },
  kind: 'step',
  spec: { metrics: [] },
  status: { phase: 'Running', startedAt: 0, metricResults: [] },
};

describe('job provider', () => {
  const parent = mkdtempSync(join(tmpdir(), 'cutover-job-test-'));
  const provider = createJobProvider({ tmpDir: parent });
  let listener: Server;
  let listeningPort = 0;
  const outside = join(tmpdir(), `outside-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    listener = createServer((socket) => socket.end());
    await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok));
    const address = listener.address();
    listeningPort = typeof address === 'object' && address !== null ? address.port : 0;
  });

  afterAll(async () => {
    await new Promise<void>((ok) => listener.close(() => ok()));
    rmSync(parent, { recursive: true, force: true });
    rmSync(outside, { force: true });
  });

  async function measure(
    job: Record<string, unknown>,
    options: { provider?: typeof provider; signal?: AbortSignal } = {},
  ): Promise<Measurement> {
    const metric: Metric = { name: 'job', successCondition: 'false', provider: { job } };
    const value = await (options.provider ?? provider).measure(metric, {
      run,
      signal: options.signal ?? new AbortController().signal,
      stats: () => Promise.reject(new Error('unused')),
    });
    // The provider decides the phase: successCondition "false" must not turn an exit 0 into Failed.
    return measurementFromValue(metric, value, 0, 1);
  }

  const connect = (port: number) => [
    'python3',
    '-c',
    `import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=3); print("connected")`,
  ];

  it('should map exit 0 to Successful and another exit code to Failed, with the output tail', async () => {
    expect(await measure({ command: ['true'] })).toMatchObject({ phase: 'Successful', value: '0' });
    const failed = await measure({ command: ['sh', '-c', 'echo checking; echo "p95 too high" >&2; exit 3'] });
    expect(failed).toMatchObject({ phase: 'Failed', value: '3' });
    expect(failed.message).toMatch(/^job exit code 3; stderr: p95 too high; stdout: checking$/);
  });

  it('should refuse a socket without network: true, and allow it with it', async () => {
    const blocked = await measure({ command: connect(listeningPort) });
    expect(blocked.phase).toBe('Failed');
    expect(blocked.message).toMatch(/Connection refused|Network is unreachable/);
    const allowed = await measure({ command: connect(listeningPort), network: true });
    expect(allowed).toMatchObject({ phase: 'Successful' });
    expect(allowed.message).toMatch(/stdout: connected/);
  });

  it('should not write outside its work directory, which is its cwd, HOME and TMPDIR and is removed afterwards', async () => {
    const denied = await measure({ command: ['sh', '-c', `echo x > ${outside}`] });
    expect(denied.phase).toBe('Failed');
    expect(denied.message).toMatch(/Read-only file system/);
    expect(existsSync(outside)).toBe(false);

    const repoFile = join(REPO_ROOT, `escaped-${process.pid}`);
    expect((await measure({ command: ['sh', '-c', `echo x > ${repoFile}`] })).phase).toBe('Failed');
    expect(existsSync(repoFile)).toBe(false);
    // Root in the sandbox has no capabilities left: it cannot make / writable again.
    expect(
      (await measure({ command: ['sh', '-c', 'mount -o remount,rw / && echo x > /etc/cutover-x'] })).phase,
    ).toBe('Failed');
    expect(existsSync('/etc/cutover-x')).toBe(false);

    const inside = await measure({
      command: ['sh', '-c', 'echo data > result.txt && cat result.txt && echo "$PWD $HOME $TMPDIR"'],
    });
    expect(inside.phase).toBe('Successful');
    const [, cwd, home, tmp] = /stdout: data\n(\S+) (\S+) (\S+)$/.exec(inside.message ?? '') ?? [];
    expect(cwd).toMatch(new RegExp(`^${parent}/cutover-job-`));
    expect([home, tmp]).toEqual([cwd, cwd]);
    expect(existsSync(cwd!)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("should pass only PATH and the metric's env, not the server's environment", async () => {
    process.env.CUTOVER_TEST_SECRET = 's3cret';
    try {
      const seen = await measure({
        command: ['sh', '-c', 'echo "[$CUTOVER_TEST_SECRET] [$GREETING]"'],
        env: { GREETING: 'hi' },
      });
      expect(seen.message).toMatch(/stdout: \[\] \[hi\]$/);
    } finally {
      delete process.env.CUTOVER_TEST_SECRET;
    }
  });

  it('should record a timeout as Error and kill the job', async () => {
    const marker = `${30 + Math.random()}`.slice(0, 8);
    const started = Date.now();
    const timedOut = await measure({
      command: ['sh', '-c', `echo started; sleep ${marker}`],
      timeoutSeconds: 0.5,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(timedOut).toMatchObject({ phase: 'Error' });
    expect(timedOut.message).toMatch(/^job timed out after 0\.5 s and was killed; stdout: started$/);
    const survivors = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
    expect(survivors).toEqual([]);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('should kill a job over its memory or CPU limit', async () => {
    const allocate = ['python3', '-c', 'x = bytearray(400 * 1024 * 1024); print(len(x))'];
    const over = await measure({ command: allocate, resources: { memory: '256Mi' } });
    expect(over.phase).toBe('Failed');
    expect(over.message).toMatch(/MemoryError/);
    // The same job fits under a larger limit: the limit, not the job, made it fail.
    expect((await measure({ command: allocate, resources: { memory: '1Gi' } })).phase).toBe('Successful');

    const started = Date.now();
    const spin = await measure({
      command: ['sh', '-c', 'while :; do :; done'],
      resources: { cpu: 1 },
      timeoutSeconds: 20,
    });
    expect(spin.phase).toBe('Failed');
    expect(spin.message).toMatch(/signal 9/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('should fail with a clear error when sandbox: required and bubblewrap is missing', async () => {
    const noBwrap = createJobProvider({ bwrap: '/nonexistent/bwrap', tmpDir: parent });
    const pending = measure({ command: ['true'], sandbox: 'required' }, { provider: noBwrap });
    await expect(pending).rejects.toBeInstanceOf(JobSandboxError);
    await expect(pending).rejects.toMatchObject({
      code: 'CUTOVER_E_JOB_SANDBOX',
      message: expect.stringMatching(
        /bubblewrap is not installed at \/nonexistent\/bwrap: install the bubblewrap package/,
      ),
    });
    // auto runs it anyway, without the sandbox, and says so.
    const unsandboxed = await measure({ command: connect(listeningPort) }, { provider: noBwrap });
    expect(unsandboxed.phase).toBe('Successful');
    expect(unsandboxed.message).toMatch(/not sandboxed/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('should validate the configuration with field paths', () => {
    expect(
      provider.validate({ command: ['python3', 'check.py'], cwd: '/srv', env: { A: 'b' } }, 'p'),
    ).toEqual([]);
    expect(
      provider.validate(
        {
          command: 'true',
          cwd: 'relative',
          env: { 'BAD-NAME': 'x', N: 1 },
          timeoutSeconds: 0,
          network: 'maybe',
          sandbox: 'strict',
          resources: { memory: '1 GB', cpu: '500m', disk: 1 },
        },
        'spec.metrics[0].provider.job',
      ),
    ).toEqual([
      'spec.metrics[0].provider.job.command: expected a non-empty list of strings, e.g. [python3, check.py]',
      'spec.metrics[0].provider.job.cwd: expected an absolute directory, got "relative"',
      'spec.metrics[0].provider.job.env.BAD-NAME: not a valid variable name',
      'spec.metrics[0].provider.job.env.N: expected a string, got 1 (quote it)',
      'spec.metrics[0].provider.job.timeoutSeconds: expected a number of seconds > 0, got 0',
      'spec.metrics[0].provider.job.network: expected true or false, got "maybe"',
      'spec.metrics[0].provider.job.sandbox: expected one of auto, required, none, got "strict"',
      'spec.metrics[0].provider.job.resources.disk: unknown field (expected memory, cpu)',
      'spec.metrics[0].provider.job.resources.memory: expected a quantity such as 256Mi or 1Gi, got "1 GB"',
      'spec.metrics[0].provider.job.resources.cpu: expected CPU time in whole seconds >= 1 (cutover limits CPU time, not cores), got "500m"',
    ]);
  });
});
