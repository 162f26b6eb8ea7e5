/**
 * The job provider's sandbox: the argv that runs a job's command under bubblewrap (`bwrap`) and
 * `prlimit` (util-linux), and the lookup of those programs on `$PATH`.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What {@link sandboxArgv} needs. */
export interface SandboxOptions {
  /** The job's argv. */
  command: readonly string[];
  /** The private work directory: the only writable place, bound read-write at the same path. */
  workDir: string;
  /** Where the command starts (the work directory unless the metric names another). */
  cwd: string;
  /** Keep the host's network namespace. */
  network: boolean;
  /** Absolute path of bwrap, or `undefined` to run without a sandbox. */
  bwrap: string | undefined;
  /** Absolute path of prlimit, or `undefined` to run without resource limits. */
  prlimit: string | undefined;
  /** RLIMIT_AS, bytes. */
  memoryBytes: number;
  /** RLIMIT_CPU, s. */
  cpuSeconds: number;
}

/**
 * The argv (`[file, ...args]`) that runs `command` as the job provider documents. Pure.
 *
 * Under bubblewrap: the host filesystem read-only (`--ro-bind / /`), the work directory read-write,
 * a private `/dev` and `/proc`, new PID / IPC / UTS namespaces, no network unless `network`
 * (`--unshare-net`: only a loopback of its own), every capability dropped (a root job cannot
 * remount), a new session (no terminal injection), killed with its parent. prlimit wraps it all:
 * RLIMIT_AS (address space) and RLIMIT_CPU (CPU seconds) are inherited by every process of the job.
 */
export function sandboxArgv(options: SandboxOptions): string[] {
  const argv: string[] = [];
  if (options.prlimit !== undefined) {
    argv.push(
      options.prlimit,
      `--as=${Math.floor(options.memoryBytes)}`,
      `--cpu=${Math.max(1, Math.ceil(options.cpuSeconds))}`,
      '--',
    );
  }
  if (options.bwrap !== undefined) {
    argv.push(
      options.bwrap,
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--bind',
      options.workDir,
      options.workDir,
      '--chdir',
      options.cwd,
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup-try',
      ...(options.network ? [] : ['--unshare-net']),
      '--hostname',
      'cutover-job',
      '--cap-drop',
      'ALL',
      '--die-with-parent',
      '--new-session',
      '--',
    );
  }
  argv.push(...options.command);
  return argv;
}

/** The first executable named `name` on `path` (a `$PATH` string), or `undefined`. */
export function findOnPath(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/** Whether `file` exists and is executable. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/;
const QUANTITY_FACTOR: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/**
 * A memory quantity as Kubernetes writes it (`256Mi`, `1Gi`, `512M`, or a number of bytes) in
 * bytes. Pure.
 *
 * @returns bytes, or `undefined` when `value` is not such a quantity
 * @example parseMemory('256Mi') // 268435456
 */
export function parseMemory(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value.trim());
  if (match === null) return undefined;
  const bytes = Number(match[1]) * (QUANTITY_FACTOR[match[2] ?? ''] ?? 1);
  return bytes > 0 ? Math.floor(bytes) : undefined;
}
