/**
 * The sandbox of every untrusted command cutover runs (job metrics, validation suites, smoke jobs,
 * prepare tests): the argv under bubblewrap (`bwrap`) and `prlimit` (util-linux), and the lookup of
 * those programs on `$PATH`.
 */
import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What {@link sandboxArgv} needs. */
export interface SandboxOptions {
  /** The job's argv; `command[0]` already resolved to an absolute path. */
  command: readonly string[];
  /** The private work directory: the only writable place, bound read-write at the same path. */
  workDir: string;
  /** Where the command starts (the work directory, or one of the inputs). */
  cwd: string;
  /** Absolute paths bound read-only at the same path: the declared inputs, the cwd, the program. */
  inputs: readonly string[];
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
  /** RLIMIT_NPROC: processes of the job's user (the kernel exempts root), count. */
  processes: number;
  /** RLIMIT_FSIZE: largest file the job may write, bytes. */
  fileSizeBytes: number;
}

/**
 * Directories of the host a sandboxed job sees, read-only: where programs and their libraries live.
 * A directory that is a symlink on the host (`/bin -> usr/bin`) is the same symlink in the sandbox.
 */
export const SANDBOX_SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'] as const;

/**
 * Files and directories of `/etc` a sandboxed job sees, read-only: what name resolution, TLS, time
 * zones and the dynamic linker read. Nothing else of `/etc` (no shadow, no sudoers, no ssh keys).
 */
const SANDBOX_ETC = [
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/group',
  '/etc/host.conf',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/localtime',
  '/etc/mime.types',
  '/etc/nsswitch.conf',
  '/etc/os-release',
  '/etc/passwd',
  '/etc/protocols',
  '/etc/resolv.conf',
  '/etc/services',
  '/etc/ssl',
  '/etc/timezone',
] as const;

/** `PATH` inside the sandbox, where commands are looked up (the host's `PATH` may point into a home). */
export const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function hostEntry(path: string): 'symlink' | 'present' | 'absent' {
  try {
    return lstatSync(path).isSymbolicLink() ? 'symlink' : 'present';
  } catch {
    return 'absent';
  }
}

/**
 * The argv (`[file, ...args]`) that runs `command` as the job provider documents. Pure but for
 * looking at which system directories exist.
 *
 * Under bubblewrap the job sees only what it needs, by an allow-list, never the host's `/`: the
 * system directories ({@link SANDBOX_SYSTEM_DIRS}) and a few files of `/etc` ({@link SANDBOX_ETC})
 * read-only, its inputs read-only, its work directory read-write (also its `/tmp`), a private
 * `/dev` and `/proc`; so no data directory, no home, no parent directory of its inputs, no other
 * process. New PID / IPC / UTS namespaces, no network unless `network` (`--unshare-net`: only a
 * loopback of its own), every capability dropped (a root job cannot remount), a new session (no
 * terminal injection), killed with its parent. prlimit wraps it all: address space, CPU seconds,
 * processes and file size are inherited by every process of the job.
 */
export function sandboxArgv(options: SandboxOptions): string[] {
  const argv: string[] = [];
  if (options.prlimit !== undefined) {
    argv.push(
      options.prlimit,
      `--as=${Math.floor(options.memoryBytes)}`,
      `--cpu=${Math.max(1, Math.ceil(options.cpuSeconds))}`,
      `--nproc=${Math.max(1, Math.floor(options.processes))}`,
      `--fsize=${Math.floor(options.fileSizeBytes)}`,
      '--',
    );
  }
  if (options.bwrap !== undefined) {
    argv.push(options.bwrap);
    for (const dir of SANDBOX_SYSTEM_DIRS) {
      const kind = hostEntry(dir);
      if (kind === 'symlink') argv.push('--symlink', readlinkSync(dir), dir);
      else if (kind === 'present') argv.push('--ro-bind', dir, dir);
    }
    for (const file of SANDBOX_ETC) if (hostEntry(file) !== 'absent') argv.push('--ro-bind', file, file);
    argv.push(
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      // /tmp before the inputs and the work directory: they usually live under the host's /tmp.
      '--bind',
      join(options.workDir, 'tmp'),
      '/tmp',
    );
    for (const input of options.inputs) argv.push('--ro-bind', input, input);
    argv.push(
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
