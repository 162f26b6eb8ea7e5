import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { JobSandboxError } from '../../errors.js';
import { OutputScrubber } from './output-scrubber.js';
import { findOnPath, isExecutable, SANDBOX_PATH, SANDBOX_SYSTEM_DIRS, sandboxArgv } from './sandbox.js';

/** Values of `sandbox`: `auto` sandboxes when bubblewrap is installed, `required` refuses to run without it. */
export const JOB_SANDBOX_MODES = ['auto', 'required', 'none'] as const;
/** One of {@link JOB_SANDBOX_MODES}. */
export type JobSandboxMode = (typeof JOB_SANDBOX_MODES)[number];

/** Address-space limit when none is given, bytes (1 GiB). */
const DEFAULT_SANDBOX_MEMORY_BYTES = 2 ** 30;
/** RLIMIT_NPROC when none is given: processes of the job's user (not enforced for root), count. */
const DEFAULT_SANDBOX_PROCESSES = 512;
/** RLIMIT_FSIZE when none is given: largest file a job may write, bytes (256 MiB). */
const DEFAULT_SANDBOX_FILE_SIZE_BYTES = 256 * 2 ** 20;
/** Bytes of stdout and of stderr kept by {@link runSandboxed} when `tailBytes` is unset. */
const DEFAULT_SANDBOX_TAIL_BYTES = 2048;

/** What {@link runSandboxed} runs, and how. */
export interface RunSandboxedOptions {
  /** argv; resolved on `$PATH`. */
  command: readonly string[];
  /** Absolute directory the command starts in (read-only under the sandbox: an input). @default the private work directory */
  cwd?: string;
  /**
   * Absolute paths the command may read (bound read-only at the same path); nothing else of the
   * host is visible but the system directories. A program outside the system directories must be
   * among them (or under one).
   */
  inputs?: readonly string[];
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
  /** RLIMIT_NPROC, processes of the job's user (root is exempt: the kernel's rule). @default 512 */
  processes?: number;
  /** RLIMIT_FSIZE, bytes. @default 256 MiB */
  fileSizeBytes?: number;
  /** Literal values hidden from the output as well as API tokens (resolved secret values). */
  secrets?: readonly string[];
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
  /**
   * Called with the output as it arrives, in order and already scrubbed of credentials (for callers
   * that need more than the tail).
   */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
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
  /** Last `tailBytes` of stdout, trimmed, with API tokens and `secrets` replaced by `*****`. */
  stdout: string;
  /** Last `tailBytes` of stderr, trimmed, scrubbed as stdout. */
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
  push(text: string): void {
    if (this.#limit <= 0 || text === '') return;
    this.#buffer = Buffer.concat([this.#buffer, Buffer.from(text, 'utf8')]);
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
 * it): the system directories and a few files of `/etc` read-only, the `inputs` (and the `cwd`)
 * read-only, a fresh private work directory (`$HOME`, `$TMPDIR`, `/tmp` and the default cwd,
 * removed afterwards) read-write, and nothing else of the host: no data directory, no home, no other
 * process; no network unless `network`, no capabilities, its own PID namespace. Commands are looked
 * up on a system `PATH` ({@link SANDBOX_PATH}). prlimit (util-linux) limits address space, CPU
 * time, processes and file size. Only `PATH`, `LANG` and `env` reach the job. The job leads its
 * own process group, so a timeout or an abort kills everything it started. Its output is scrubbed
 * of API tokens and `secrets` before anything keeps it.
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
    mkdirSync(join(workDir, 'tmp'));
    const cwd = options.cwd ?? workDir;
    const path = bwrap === undefined ? (process.env.PATH ?? SANDBOX_PATH) : sandboxPath();
    // Under the sandbox the program is looked up on its PATH and must be visible there; without
    // one, spawn looks it up as usual.
    const resolved =
      bwrap === undefined ? options.command[0] : resolveProgram(options.command[0] ?? '', path);
    const inputs = [...(options.inputs ?? []), ...(options.cwd !== undefined ? [options.cwd] : [])];
    const outside =
      bwrap !== undefined &&
      resolved !== undefined &&
      !visibleIn(resolved, [...SANDBOX_SYSTEM_DIRS, ...inputs]);
    const argv = sandboxArgv({
      command: [resolved ?? options.command[0] ?? '', ...options.command.slice(1)],
      workDir,
      cwd,
      inputs: [...new Set([...inputs, ...nodeInputs()])],
      network: options.network ?? false,
      bwrap,
      prlimit: locate('prlimit'),
      memoryBytes: options.memoryBytes ?? DEFAULT_SANDBOX_MEMORY_BYTES,
      cpuSeconds: options.cpuSeconds ?? options.timeoutMs / 1000,
      processes: options.processes ?? DEFAULT_SANDBOX_PROCESSES,
      fileSizeBytes: options.fileSizeBytes ?? DEFAULT_SANDBOX_FILE_SIZE_BYTES,
    });
    const refused = (message: string): SandboxedRun => ({
      argv,
      sandboxed: bwrap !== undefined,
      code: null,
      signal: null,
      timedOut: false,
      aborted: false,
      spawnError: Object.assign(new Error(message), { code: 'ENOENT' }),
      stdout: '',
      stderr: '',
      durationMs: 0,
    });
    for (const input of inputs) {
      const problem = sandboxInputProblem(input);
      if (problem !== undefined) return refused(`input ${input}: ${problem}`);
    }
    if (resolved === undefined)
      return refused(`${options.command[0]}: not found on the sandbox's PATH (${path})`);
    if (outside)
      return refused(
        `${options.command[0]} (${resolved}) is outside the sandbox: list it, or a directory holding it, in inputs`,
      );
    const outcome = await run(argv, {
      cwd: bwrap === undefined ? cwd : workDir,
      // Only PATH of the caller's environment: its secrets stay out of the job.
      env: {
        PATH: path,
        LANG: 'C.UTF-8',
        ...options.env,
        HOME: workDir,
        TMPDIR: bwrap === undefined ? join(workDir, 'tmp') : '/tmp',
      },
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      tailBytes: options.tailBytes ?? DEFAULT_SANDBOX_TAIL_BYTES,
      onOutput: options.onOutput,
      secrets: options.secrets ?? [],
    });
    return { argv, sandboxed: bwrap !== undefined, ...outcome };
  } finally {
    rmSync(workDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Paths no sandboxed command may see, whatever its inputs say: the data directory. */
const protectedPaths = new Set<string>();

/**
 * Never let a sandboxed command see `path` (a data directory): an input that is it, lies inside it
 * or contains it is refused. The server registers its data directory at start.
 */
export function protectFromSandbox(path: string): void {
  protectedPaths.add(resolve(path));
}

/**
 * Why `input` may not be given to a sandboxed command, or undefined when it may: it must be an
 * absolute path, not `/`, not the user's home directory itself, and neither in nor around a
 * protected path (the data directory). Pure but for reading the protected paths.
 */
export function sandboxInputProblem(input: string): string | undefined {
  if (!isAbsolute(input)) return `expected an absolute path, got ${JSON.stringify(input)}`;
  const path = resolve(input);
  if (path === sep) return 'the whole filesystem cannot be an input';
  if (path === resolve(homedir())) return `${path} is the home directory: name the files it needs instead`;
  for (const hidden of protectedPaths) {
    if (visibleIn(path, [hidden]) || visibleIn(hidden, [path]))
      return `${path} would expose the data directory ${hidden}`;
  }
  return undefined;
}

/** `PATH` in the sandbox: the system's, and the directory of this Node.js when it lives elsewhere. */
function sandboxPath(): string {
  const node = dirname(process.execPath);
  return visibleIn(node, SANDBOX_SYSTEM_DIRS) ? SANDBOX_PATH : `${SANDBOX_PATH}:${node}`;
}

/** The installation of this Node.js, when it is outside the system directories (nvm, a tarball). */
function nodeInputs(): string[] {
  const prefix = dirname(dirname(process.execPath));
  return visibleIn(process.execPath, SANDBOX_SYSTEM_DIRS) ? [] : [prefix];
}

/** `program` as an absolute real path: itself when absolute, else looked up on `path`. */
function resolveProgram(program: string, path: string): string | undefined {
  const found = isAbsolute(program)
    ? isExecutable(program)
      ? program
      : undefined
    : findOnPath(program, path);
  if (found === undefined) return undefined;
  try {
    return realpathSync(found);
  } catch {
    return found;
  }
}

/** Whether `path` is one of `roots` or below one. */
function visibleIn(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`));
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
    secrets: readonly string[];
  },
): Promise<Omit<SandboxedRun, 'argv' | 'sandboxed'>> {
  return new Promise((resolve) => {
    const [file, ...args] = argv as [string, ...string[]];
    const stdout = new Tail(options.tailBytes);
    const stderr = new Tail(options.tailBytes);
    const scrubbers = {
      stdout: new OutputScrubber(options.secrets),
      stderr: new OutputScrubber(options.secrets),
    };
    const emit = (stream: 'stdout' | 'stderr', text: string): void => {
      (stream === 'stdout' ? stdout : stderr).push(text);
      if (text !== '') options.onOutput?.(stream, text);
    };
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
    child.stdout.on('data', (chunk: Buffer) => emit('stdout', scrubbers.stdout.push(chunk)));
    child.stderr.on('data', (chunk: Buffer) => emit('stderr', scrubbers.stderr.push(chunk)));
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      emit('stdout', scrubbers.stdout.end());
      emit('stderr', scrubbers.stderr.end());
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
