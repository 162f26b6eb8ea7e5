import { type Dispatcher, request } from 'undici';
import { parseMemory, runSandboxed } from '../../analysis/index.js';
import { DEFAULT_SUITE_MEMORY } from '../suites/index.js';
import {
  DEFAULT_SMOKE_HTTP_TIMEOUT_MS,
  DEFAULT_SMOKE_JOB_TIMEOUT_SECONDS,
  type HttpSmokeTest,
  type JobSmokeTest,
  type SmokeTestSpec,
} from './smoke-test-spec.js';

/** Bytes of a body kept to look for `bodyContains` (1 MiB). */
const MAX_BODY_BYTES = 2 ** 20;
/** Bytes of a job's stdout and of its stderr quoted in `detail`. */
const JOB_OUTPUT_TAIL_BYTES = 1024;

/** The result of one smoke test. */
export interface SmokeResult {
  name: string;
  passed: boolean;
  /** What was observed: status and time, the missing string, the job's exit code and output tail. */
  detail: string;
  /** Wall-clock time, ms. */
  durationMs: number;
}

/** What the smoke tests found. */
export interface SmokeReport {
  /** Whether every test passed (true for no tests). */
  passed: boolean;
  results: SmokeResult[];
}

/** Options of {@link runSmokeTests}. */
export interface RunSmokeTestsOptions {
  /** Where the revision under test answers, e.g. `http://127.0.0.1:8080`; HTTP paths are appended to it. */
  baseUrl: string;
  /** bwrap for job tests; `null` as if it were not installed. @default `bwrap` on `$PATH` */
  bwrap?: string | null;
  /** prlimit for job tests; `null` for no resource limits. @default `prlimit` on `$PATH` */
  prlimit?: string | null;
  /** Parent of job tests' work directories. @default os.tmpdir() */
  tmpDir?: string;
  /** Stops the running test; the rest fail as not run. */
  signal?: AbortSignal;
}

/** `base` and `path` joined with exactly one slash, keeping a path prefix of `base`. */
function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    length += buffer.length;
    if (length >= MAX_BODY_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
}

async function runHttp(
  test: HttpSmokeTest,
  options: RunSmokeTestsOptions,
): Promise<Omit<SmokeResult, 'name' | 'durationMs'>> {
  const method = test.http.method ?? 'GET';
  const url = joinUrl(options.baseUrl, test.http.path);
  const expectStatus = test.http.expectStatus ?? 200;
  const timeoutMs = test.http.timeoutMs ?? DEFAULT_SMOKE_HTTP_TIMEOUT_MS;
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal === undefined ? [] : [options.signal])];
  try {
    const response = await request(url, {
      method,
      headers: { 'user-agent': 'cutover-smoke/1', ...test.http.headers },
      signal: AbortSignal.any(signals),
      // A fresh connection per test: a keep-alive one could reach a replica that is already gone.
      reset: true,
    });
    const wanted = test.http.bodyContains;
    const body = wanted === undefined || method === 'HEAD' ? '' : await readLimited(response.body);
    if (wanted === undefined || method === 'HEAD') await response.body.dump();
    const what = `${method} ${test.http.path}`;
    if (response.statusCode !== expectStatus) {
      return { passed: false, detail: `${what}: status ${response.statusCode}, expected ${expectStatus}` };
    }
    if (wanted !== undefined && !body.includes(wanted)) {
      return {
        passed: false,
        detail: `${what}: status ${response.statusCode}, but the body does not contain ${JSON.stringify(wanted)}`,
      };
    }
    return { passed: true, detail: `${what}: status ${response.statusCode}` };
  } catch (error) {
    const timedOut = signals[0]?.aborted === true;
    return {
      passed: false,
      detail: timedOut
        ? `${method} ${test.http.path}: no answer within ${timeoutMs} ms`
        : `${method} ${test.http.path}: ${errorMessage(error)}`,
    };
  }
}

async function runJob(
  test: JobSmokeTest,
  options: RunSmokeTestsOptions,
): Promise<Omit<SmokeResult, 'name' | 'durationMs'>> {
  const job = test.job;
  const timeoutSeconds = job.timeoutSeconds ?? DEFAULT_SMOKE_JOB_TIMEOUT_SECONDS;
  try {
    const run = await runSandboxed({
      command: job.command,
      ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
      env: { ...job.env, SMOKE_BASE_URL: options.baseUrl },
      timeoutMs: timeoutSeconds * 1000,
      // The revision listens on the host's loopback: a private network namespace could not reach it.
      network: true,
      sandbox: job.sandbox ?? 'auto',
      memoryBytes: parseMemory(job.resources?.memory ?? DEFAULT_SUITE_MEMORY) ?? 16 * 2 ** 30,
      cpuSeconds: job.resources?.cpu ?? timeoutSeconds,
      ...(options.bwrap !== undefined ? { bwrap: options.bwrap } : {}),
      ...(options.prlimit !== undefined ? { prlimit: options.prlimit } : {}),
      ...(options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      tailBytes: JOB_OUTPUT_TAIL_BYTES,
    });
    const output = [
      ...(run.stderr === '' ? [] : [`stderr: ${run.stderr}`]),
      ...(run.stdout === '' ? [] : [`stdout: ${run.stdout}`]),
    ];
    const tail = output.length > 0 ? `; ${output.join('; ')}` : '';
    if (run.spawnError !== undefined) {
      return { passed: false, detail: `cannot start ${run.argv[0]}: ${run.spawnError.message}` };
    }
    if (run.timedOut)
      return { passed: false, detail: `timed out after ${timeoutSeconds} s and was killed${tail}` };
    if (run.aborted) return { passed: false, detail: 'aborted; killed' };
    const exit = run.code !== null ? `exit code ${run.code}` : `killed by ${run.signal ?? 'a signal'}`;
    return { passed: run.code === 0, detail: `${exit}${tail}` };
  } catch (error) {
    // JobSandboxError: sandbox required but bubblewrap missing.
    return { passed: false, detail: errorMessage(error) };
  }
}

/**
 * Runs smoke tests against one revision, one after the other: HTTP checks against
 * `options.baseUrl` (status, and optionally a string in the body) and commands run as sandboxed jobs
 * with `SMOKE_BASE_URL` in their environment and the host network (so they reach loopback). Never
 * throws: every problem is a failed result with its reason in `detail`.
 *
 * @example
 * ```ts
 * const report = await runSmokeTests(
 *   [{ name: 'health', http: { path: '/healthz', bodyContains: 'ok' } }],
 *   { baseUrl: 'http://127.0.0.1:8080' },
 * );
 * ```
 */
export async function runSmokeTests(
  tests: readonly SmokeTestSpec[],
  options: RunSmokeTestsOptions,
): Promise<SmokeReport> {
  const results: SmokeResult[] = [];
  for (const test of tests) {
    if (options.signal?.aborted === true) {
      results.push({ name: test.name, passed: false, detail: 'not run: smoke tests aborted', durationMs: 0 });
      continue;
    }
    const started = performance.now();
    const outcome = 'http' in test ? await runHttp(test, options) : await runJob(test, options);
    results.push({ name: test.name, ...outcome, durationMs: Math.round(performance.now() - started) });
  }
  return { passed: results.every((result) => result.passed), results };
}
