import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { AnalysisRun, Measurement } from '../src/analysis/index.js';
import { JobSandboxError, measurementFromValue, protectFromSandbox } from '../src/analysis/index.js';
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
    // The host's /tmp is not the job's: a write there lands in the job's own /tmp, removed with it.
    await measure({ command: ['sh', '-c', `echo x > ${outside}`] });
    expect(existsSync(outside)).toBe(false);
    // The system directories are visible read-only.
    const denied = await measure({ command: ['sh', '-c', 'echo x > /usr/cutover-x'] });
    expect(denied.phase).toBe('Failed');
    expect(denied.message).toMatch(/Read-only file system/);
    expect(existsSync('/usr/cutover-x')).toBe(false);

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
    expect([home, tmp]).toEqual([cwd, '/tmp']);
    expect(existsSync(cwd!)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('should see neither the data directory nor the home nor host files outside its inputs, and publish no token', async () => {
    // Regression (issue 9): under `--ro-bind / /` a job read $CUTOVER_HOME/token and the database,
    // listed the user's files, and its output (published to viewers) carried the token.
    const home = mkdtempSync(join(tmpdir(), 'cutover-job-data-'));
    const token = `cut_0123456789abcdef_${'A'.repeat(21)}b${'c'.repeat(21)}`;
    writeFileSync(join(home, 'token'), `${token}\n`);
    writeFileSync(join(home, 'cutover.db'), 'SQLite format 3');
    protectFromSandbox(home);
    const userFile = join(homedir(), `cutover-user-file-${process.pid}`);
    writeFileSync(userFile, 'private');
    try {
      const probe = (path: string) =>
        `if cat ${path} >/dev/null 2>&1 || ls ${path} >/dev/null 2>&1; then echo OPEN ${path}; fi`;
      const seen = await measure({
        command: [
          'sh',
          '-c',
          [home, `${home}/token`, `${home}/cutover.db`, userFile, homedir(), '/etc/shadow', REPO_ROOT]
            .map(probe)
            .join('; '),
        ],
      });
      expect(seen).toMatchObject({ phase: 'Successful' });
      expect(seen.message).not.toContain('OPEN');
      // A job that has the token (say, in its env) cannot publish it: its output is scrubbed.
      const leak = await measure({
        command: ['sh', '-c', 'echo "token: $T"; echo "$T" >&2; exit 1'],
        env: { T: token },
      });
      expect(leak.message).toBe('job exit code 1; stderr: *****; stdout: token: *****');
      // An input cannot expose the data directory, nor be the whole filesystem or the home.
      for (const input of [home, join(home, 'logs'), dirname(home), '/', homedir()]) {
        const refused = await measure({ command: ['true'], inputs: [input] }).catch((e: Error) => e);
        expect(refused instanceof Error ? refused.message : '', input).toMatch(/inputs\[0\]/);
      }
    } finally {
      rmSync(userFile, { force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('should hold its memory limit and see its declared inputs read-only', async () => {
    // Regression (issue 9): a validation suite allocated 3 GiB.
    const big = await measure({
      command: [
        process.execPath,
        '-e',
        'const a = []; for (let i = 0; i < 30; i++) a.push(Buffer.alloc(100 * 2 ** 20, 1)); console.log("allocated 3 GiB")',
      ],
      resources: { memory: '512Mi' },
    });
    expect(big.phase).toBe('Failed');
    expect(big.message).not.toContain('allocated 3 GiB');
    const data = mkdtempSync(join(tmpdir(), 'cutover-job-input-'));
    writeFileSync(join(data, 'expected.txt'), 'v2');
    onTestFinished(() => rmSync(data, { recursive: true, force: true }));
    const read = await measure({
      command: ['sh', '-c', `cat ${data}/expected.txt && echo x > ${data}/new.txt`],
      inputs: [data],
    });
    expect(read.phase).toBe('Failed');
    expect(read.message).toMatch(/Read-only file system.*stdout: v2$/s);
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

  /** Argo's Kubernetes Job form: one container, `backoffLimit` failed pods tolerated. */
  const argoJob = (args: string[], spec: Record<string, unknown>, command = ['sh', '-c']) => ({
    spec: {
      ...spec,
      template: {
        spec: {
          containers: [{ name: 'check', image: 'alpine:3.8', command, args }],
          restartPolicy: 'Never',
        },
      },
    },
  });

  it("should run an Argo Job's pods until backoffLimit + 1 have failed, one after another", async () => {
    const started = Date.now();
    const failed = await measure(argoJob(['sleep 0.4; echo "attempt" >&2; exit 2'], { backoffLimit: 2 }));
    expect(failed).toMatchObject({ phase: 'Failed', value: '2' });
    expect(failed.message).toBe(
      'Job failed: BackoffLimitExceeded: 3 failed pods (backoffLimit 2), the last: exit code 2; stderr: attempt',
    );
    // Three pods of 0.4 s each ran, not one.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
    // A command that cannot start fails its pod, as a container that cannot start on Kubernetes.
    const missing = await measure(argoJob(['1'], { backoffLimit: 0 }, ['exit']));
    expect(missing.phase).toBe('Failed');
    expect(missing.message).toMatch(
      /^Job failed: BackoffLimitExceeded: 1 failed pod \(backoffLimit 0\), the last: cannot start: exit: not found on the sandbox.s PATH/,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('should fail an Argo Job active longer than activeDeadlineSeconds, retries included, and kill it', async () => {
    const started = Date.now();
    const late = await measure(argoJob(['echo started; sleep 30'], { activeDeadlineSeconds: 1 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(late).toMatchObject({ phase: 'Failed' });
    expect(late.message).toBe(
      'Job failed: DeadlineExceeded: active longer than activeDeadlineSeconds (1 s), killed; stdout: started',
    );
    expect(
      provider.timeoutMs?.({ name: 'j', provider: { job: argoJob([], { activeDeadlineSeconds: 7 }) } }),
    ).toBe(7_000);
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
