import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSandboxError } from '../../errors.js';
import { findOnPath, isExecutable, sandboxArgv } from './sandbox.js';

/** Values of `sandbox`: `auto` sandboxes when bubblewrap is installed, `required` refuses to run without it. */
export const JOB_SANDBOX_MODES = ['auto', 'required', 'none'] as const;
/** One of {@link JOB_SANDBOX_MODES}. */
export type JobSandboxMode = (typeof JOB_SANDBOX_MODES)[number];

/** Address-space limit when none is given, bytes (1 GiB). */
const DEFAULT_SANDBOX_MEMORY_BYTES = 2 ** 30;
/** Bytes of stdout and of stderr kept by {@link runSandboxed} when `tailBytes` is unset. */
const DEFAULT_SANDBOX_TAIL_BYTES = 2048;

/** What {@link runSandboxed} runs, and how. */
export interface RunSandboxedOptions {
  /** argv; resolved on `$PATH`. */
  command: readonly string[];
  /** Absolute directory the command starts in (read-only under the sandbox). @default the private work directory */
  cwd?: string;
  /** Extra environment variables; `HOME` and `TMPDIR` are always the work directory. */
  env?: Record<string, string>;
  /** Wall-clock limit, ms; the whole job is killed when it is reached. */
  timeoutMs: number;
  /** Keep the host's network namespace. @default false */
  network?: boolean;
  /** @default "auto" */
  sandbox?: JobSandboxMode;
  /** RLIMIT_AS, bytes. @default 1 GiB */
  memoryBytes?: number;
  /** RLIMIT_CPU, s. @default timeoutMs / 1000 */
  cpuSeconds?: number;
  /** bwrap to use; `null` as if it were not installed. @default `bwrap` on `$PATH` */
  bwrap?: string | null;
  /** prlimit to use; `null` to run without resource limits. @default `prlimit` on `$PATH` */
  prlimit?: string | null;
  /** Parent of the private work directory. @default os.tmpdir() */
  tmpDir?: string;
  /** Kills the job when aborted. */
  signal?: AbortSignal;
  /** Bytes kept of stdout and of stderr in the result (0: none). @default 2048 */
  tailBytes?: number;
  /** Called with every chunk of output, in arrival order (for callers that need more than the tail). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
}

/** How a sandboxed job ended. */
export interface SandboxedRun {
  /** The argv actually spawned (prlimit / bwrap wrappers included). */
  argv: string[];
  /** Whether bubblewrap confined the job. */
  sandboxed: boolean;
  /** Exit code, or `null` when killed by a signal or not started. */
  code: number | null;
  /** Signal that ended the job, or `null`. */
  signal: NodeJS.Signals | null;
  /** Killed because `timeoutMs` elapsed. */
  timedOut: boolean;
  /** Killed because `options.signal` was aborted. */
  aborted: boolean;
  /** The spawn failure (program not found, ...), or `undefined` when it started. */
  spawnError: Error | undefined;
  /** Last `tailBytes` of stdout, trimmed. */
  stdout: string;
  /** Last `tailBytes` of stderr, trimmed. */
  stderr: string;
  /** Wall-clock time from spawn to exit, ms. */
  durationMs: number;
}

/** Keeps the last `limit` bytes of a stream. */
class Tail {
  #buffer = Buffer.alloc(0);
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  push(chunk: Buffer): void {
    if (this.#limit <= 0) return;
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    if (this.#buffer.length > this.#limit) this.#buffer = this.#buffer.subarray(-this.#limit);
  }
  toString(): string {
    return this.#buffer.toString('utf8').trim();
  }
}

/**
 * Runs `command` in the job sandbox and waits for it to end; the job provider's runner, reusable by
 * anything that runs untrusted commands (test suites, smoke tests).
 *
 * The sandbox (bubblewrap, when installed; `sandbox: "required"` makes it mandatory, `"none"` skips
 * it): read-only host filesystem, a fresh private work directory (`$HOME`, `$TMPDIR` and the default
 * cwd, removed afterwards), no network unless `network`, no capabilities, its own PID namespace;
 * prlimit (util-linux) limits address space and CPU time. Only `PATH`, `LANG` and `env` reach the
 * job. The job leads its own process group, so a timeout or an abort kills everything it started.
 *
 * Never rejects because of the job itself (a spawn failure, exit code, timeout or abort is data in
 * the result).
 *
 * @throws JobSandboxError when `sandbox` is `"required"` and bubblewrap is not installed.
 * @example
 * ```ts
 * const run = await runSandboxed({ command: ['python3', 'check.py'], timeoutMs: 20_000 });
 * if (run.code === 0) ...
 * ```
 */
export async function runSandboxed(options: RunSandboxedOptions): Promise<SandboxedRun> {
  const locate = (name: 'bwrap' | 'prlimit'): string | undefined => {
    const given = options[name];
    if (given === null) return undefined;
    if (given !== undefined) return isExecutable(given) ? given : undefined;
    return findOnPath(name, process.env.PATH);
  };
  const mode = options.sandbox ?? 'auto';
  const bwrap = mode === 'none' ? undefined : locate('bwrap');
  if (mode === 'required' && bwrap === undefined) {
    throw new JobSandboxError(
      `sandbox: required, but bubblewrap is not installed${typeof options.bwrap === 'string' ? ` at ${options.bwrap}` : ' (no bwrap on $PATH)'}: install the bubblewrap package (apt-get install bubblewrap)`,
    );
  }
  const workDir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'cutover-job-'));
  try {
    const argv = sandboxArgv({
      command: options.command,
      workDir,
      cwd: options.cwd ?? workDir,
      network: options.network ?? false,
      bwrap,
      prlimit: locate('prlimit'),
      memoryBytes: options.memoryBytes ?? DEFAULT_SANDBOX_MEMORY_BYTES,
      cpuSeconds: options.cpuSeconds ?? options.timeoutMs / 1000,
    });
    const outcome = await run(argv, {
      cwd: bwrap === undefined ? (options.cwd ?? workDir) : workDir,
      // Only PATH of the caller's environment: its secrets stay out of the job.
      env: {
        PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
        LANG: 'C.UTF-8',
        ...options.env,
        HOME: workDir,
        TMPDIR: workDir,
      },
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      tailBytes: options.tailBytes ?? DEFAULT_SANDBOX_TAIL_BYTES,
      onOutput: options.onOutput,
    });
    return { argv, sandboxed: bwrap !== undefined, ...outcome };
  } finally {
    rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function run(
  argv: readonly string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    signal: AbortSignal | undefined;
    tailBytes: number;
    onOutput: RunSandboxedOptions['onOutput'];
  },
): Promise<Omit<SandboxedRun, 'argv' | 'sandboxed'>> {
  return new Promise((resolve) => {
    const [file, ...args] = argv as [string, ...string[]];
    const stdout = new Tail(options.tailBytes);
    const stderr = new Tail(options.tailBytes);
    const started = performance.now();
    let timedOut = false;
    let aborted = false;
    let spawnError: Error | undefined;
    // detached: the job leads its own process group, so a kill reaches what it started (without
    // bubblewrap; with it, --die-with-parent and the PID namespace end everything).
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted === true) onAbort();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      options.onOutput?.('stdout', chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      options.onOutput?.('stderr', chunk);
    });
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        code,
        signal,
        timedOut,
        aborted,
        spawnError,
        stdout: stdout.toString(),
        stderr: stderr.toString(),
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
}
