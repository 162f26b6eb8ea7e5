import { isAbsolute } from 'node:path';
import { parseMemory, runSandboxed, type SandboxedRun } from '../../analysis/index.js';
import { type Clock, systemClock } from '../../clock/index.js';
import { DEFAULT_SUITE_MEMORY, DEFAULT_SUITE_TIMEOUT_SECONDS, type SuiteSpec } from './suite-spec.js';
import { parseTapSummary, type TestCounts } from './tap-summary.js';

/** Bytes of a suite's combined stdout and stderr kept in the report (4 KiB). */
const OUTPUT_TAIL_BYTES = 4096;
/** Bytes of stdout kept for TAP parsing (16 MiB); beyond it the oldest output is dropped. */
const TAP_BUFFER_BYTES = 16 * 2 ** 20;

/** Results of one suite, as the validation report's table shows them. */
export const SUITE_RESULTS = ['Passed', 'Failed', 'Error'] as const;
/** One of {@link SUITE_RESULTS}: `Error` when the suite could not run or timed out. */
export type SuiteResult = (typeof SUITE_RESULTS)[number];

/** One row of the {@link ValidationReport}. */
export interface SuiteReport {
  name: string;
  /** `Passed` iff exit code 0 and no failed test; `Error` when it could not start, timed out or was aborted. */
  result: SuiteResult;
  /** Exit code, or `null` when it did not exit on its own. */
  exitCode: number | null;
  /** Wall-clock time, ms. */
  durationMs: number;
  /** Test counts from its TAP output, or `null` when it printed no TAP. */
  tests: TestCounts | null;
  /** Last 4 KiB of its stdout and stderr, interleaved as they arrived. */
  output: string;
  /** Names of the failed tests (`parent > child` when nested), from its TAP output. */
  failures: string[];
  /** One line on how it ended: exit code, timeout, spawn error, whether it was sandboxed. */
  detail: string;
}

/** What the VALIDATE stage found: one row per suite. */
export interface ValidationReport {
  /** ms since the epoch. */
  startedAt: number;
  /** ms since the epoch. */
  finishedAt: number;
  /** Whether every suite passed (true for no suites). */
  passed: boolean;
  suites: SuiteReport[];
}

/** Options of {@link runSuites}; tests inject the sandbox programs. */
export interface RunSuitesOptions {
  /** bwrap to use; `null` as if it were not installed. @default `bwrap` on `$PATH` */
  bwrap?: string | null;
  /** prlimit to use; `null` to run without resource limits. @default `prlimit` on `$PATH` */
  prlimit?: string | null;
  /** Parent of the suites' private work directories. @default os.tmpdir() */
  tmpDir?: string;
  /** Stops the running suite (reported as Error) and skips the rest (reported as Error). */
  signal?: AbortSignal;
  /** Source of `startedAt` / `finishedAt`. @default the system clock */
  clock?: Clock;
}

/** Keeps the last `limit` bytes of a byte stream. */
class ByteTail {
  #chunks: Buffer[] = [];
  #length = 0;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  push(text: string): void {
    const chunk = Buffer.from(text, 'utf8');
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    while (this.#length - (this.#chunks[0]?.length ?? 0) >= this.#limit && this.#chunks.length > 1) {
      this.#length -= this.#chunks.shift()?.length ?? 0;
    }
  }
  toString(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
  }
}

function errorRow(suite: SuiteSpec, detail: string): SuiteReport {
  return {
    name: suite.name,
    result: 'Error',
    exitCode: null,
    durationMs: 0,
    tests: null,
    output: '',
    failures: [],
    detail,
  };
}

function describeEnd(run: SandboxedRun, timeoutSeconds: number): string {
  const sandbox = run.sandboxed ? '' : ' (not sandboxed: bubblewrap not installed or sandbox: none)';
  if (run.spawnError !== undefined) return `cannot start ${run.argv[0]}: ${run.spawnError.message}`;
  if (run.timedOut) return `timed out after ${timeoutSeconds} s and was killed${sandbox}`;
  if (run.aborted) return `aborted; killed${sandbox}`;
  if (run.code !== null) {
    const limit = run.code > 128 ? ` (signal ${run.code - 128}: a resource limit or a kill)` : '';
    return `exit code ${run.code}${limit}${sandbox}`;
  }
  return `killed by ${run.signal ?? 'a signal'}${sandbox}`;
}

async function runSuite(suite: SuiteSpec, options: RunSuitesOptions): Promise<SuiteReport> {
  if (suite.command.length === 0 || suite.command[0] === '') {
    return errorRow(suite, 'command: expected [program, args...]');
  }
  if (suite.cwd !== undefined && !isAbsolute(suite.cwd)) {
    return errorRow(suite, `cwd: expected an absolute directory, got ${JSON.stringify(suite.cwd)}`);
  }
  const timeoutSeconds = suite.timeoutSeconds ?? DEFAULT_SUITE_TIMEOUT_SECONDS;
  const memoryBytes = parseMemory(suite.resources?.memory ?? DEFAULT_SUITE_MEMORY);
  if (memoryBytes === undefined) {
    return errorRow(suite, `resources.memory: expected a quantity such as 512Mi or 4Gi`);
  }
  const output = new ByteTail(OUTPUT_TAIL_BYTES);
  const stdout = new ByteTail(TAP_BUFFER_BYTES);
  let run: SandboxedRun;
  try {
    run = await runSandboxed({
      command: suite.command,
      ...(suite.cwd !== undefined ? { cwd: suite.cwd } : {}),
      ...(suite.inputs !== undefined ? { inputs: suite.inputs } : {}),
      ...(suite.env !== undefined ? { env: suite.env } : {}),
      timeoutMs: timeoutSeconds * 1000,
      network: suite.network ?? false,
      sandbox: suite.sandbox ?? 'auto',
      memoryBytes,
      cpuSeconds: suite.resources?.cpu ?? timeoutSeconds,
      ...(options.bwrap !== undefined ? { bwrap: options.bwrap } : {}),
      ...(options.prlimit !== undefined ? { prlimit: options.prlimit } : {}),
      ...(options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      tailBytes: 0,
      onOutput: (stream, chunk) => {
        output.push(chunk);
        if (stream === 'stdout') stdout.push(chunk);
      },
    });
  } catch (error) {
    // JobSandboxError: sandbox required but bubblewrap missing; or the work directory failed.
    return errorRow(suite, error instanceof Error ? error.message : String(error));
  }
  const tap = parseTapSummary(stdout.toString());
  const detail = describeEnd(run, timeoutSeconds);
  const couldNotRun = run.spawnError !== undefined || run.timedOut || run.aborted;
  const failedTests = tap.counts?.failed ?? 0;
  const result: SuiteResult = couldNotRun
    ? 'Error'
    : run.code === 0 && failedTests === 0 && tap.bailOut === undefined
      ? 'Passed'
      : 'Failed';
  return {
    name: suite.name,
    result,
    exitCode: run.code,
    durationMs: run.durationMs,
    tests: tap.counts,
    output: output.toString(),
    failures: tap.failures,
    detail: tap.bailOut === undefined ? detail : `${detail}; Bail out! ${tap.bailOut}`.trim(),
  };
}

/**
 * The release workflow's VALIDATE stage: runs each test suite, one after the other, as a sandboxed
 * job (the `job` metric provider's sandbox: read-only host, private work directory, no network
 * unless `network: true`, no capabilities, memory and CPU limits, a timeout) and reports a
 * passed / failed / skipped table per suite.
 *
 * A suite passes iff it exits 0 and its TAP output (if any) reports no failed test; a suite that
 * cannot start, times out or is aborted is `Error`. Never throws for a suite's sake: an invalid
 * suite, a missing required sandbox or a spawn failure is an `Error` row (per-step results, as
 * Kysely's Migrator). Suites after an abort are not started and are reported as `Error`.
 *
 * @example
 * ```ts
 * const report = await runSuites([
 *   { name: 'unit', command: ['node', '--test', '--test-reporter=tap'], cwd: '/srv/app' },
 * ]);
 * console.log(validationReportMarkdown(report));
 * ```
 */
export async function runSuites(
  suites: readonly SuiteSpec[],
  options: RunSuitesOptions = {},
): Promise<ValidationReport> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const rows: SuiteReport[] = [];
  for (const suite of suites) {
    if (options.signal?.aborted === true) rows.push(errorRow(suite, 'not started: validation aborted'));
    else rows.push(await runSuite(suite, options));
  }
  return {
    startedAt,
    finishedAt: clock.now(),
    passed: rows.every((row) => row.result === 'Passed'),
    suites: rows,
  };
}
