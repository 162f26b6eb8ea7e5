import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { PidRegistry } from './pid-registry.js';
import {
  exitCodeOf,
  type HostedProcess,
  type ProcessHost,
  ProcessSpawnError,
  type ProcessSpawnOptions,
  type ReplicaTag,
} from './process-host.js';

/** Options of a {@link ChildProcessHost}. */
export interface ChildProcessHostOptions {
  /**
   * Directory listing the live process groups (`$CUTOVER_HOME/run/replicas`), so that a host that
   * starts after its predecessor was killed can stop the replicas it orphaned. Absent: no registry.
   */
  registryDir?: string;
  /**
   * umask of the replicas, whatever the host's own (the data plane runs with 077 so that what it
   * writes in the data directory is private; the services it starts keep the usual default).
   * @default 0o022
   */
  umask?: number;
}

class ChildHostedProcess implements HostedProcess {
  readonly pid: number;
  readonly tag: ReplicaTag;
  exitCode: number | null = null;
  readonly exited: Promise<number>;

  constructor(child: ChildProcess & { pid: number }, tag: ReplicaTag, onExit: () => void) {
    this.pid = child.pid;
    this.tag = tag;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = exitCodeOf(code, signal, constants.signals);
        onExit();
        resolve(this.exitCode);
      });
    });
  }
}

/**
 * A {@link ProcessHost} whose processes are children of this process: the supervisor's, in the data
 * plane; the test's or the embedding program's otherwise. It has nothing to adopt: processes it
 * did not start are orphans, stopped when it is created (see {@link orphansStopped}).
 */
export class ChildProcessHost implements ProcessHost {
  readonly #registry: PidRegistry | undefined;
  readonly #umask: number;
  readonly #live = new Map<number, ChildHostedProcess>();

  /** Process groups of a previous host's replicas that were stopped when this one was created. */
  readonly orphansStopped: number[];

  constructor(options: ChildProcessHostOptions = {}) {
    this.#registry = options.registryDir !== undefined ? new PidRegistry(options.registryDir) : undefined;
    this.#umask = options.umask ?? 0o022;
    // Replicas of a host that died without stopping them: nothing routes to them any more.
    this.orphansStopped = this.#registry?.reapOrphans() ?? [];
  }

  /** The processes alive now. */
  live(): HostedProcess[] {
    return [...this.#live.values()];
  }

  spawn(options: ProcessSpawnOptions): Promise<HostedProcess> {
    let fd: number;
    try {
      fd = openSync(options.logPath, 'a');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return Promise.reject(
        new ProcessSpawnError(e.code ?? 'EIO', `cannot open log ${options.logPath}: ${e.message}`, {
          cause: err,
        }),
      );
    }
    let child: ChildProcess;
    // spawn forks synchronously: the child inherits the umask set for this one call.
    const previous = process.umask(this.#umask);
    try {
      child = spawn(options.command, options.args, {
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        env: options.env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } catch (err) {
      // Node refuses some arguments before any process exists (a NUL byte: TypeError).
      const e = err as Error & { code?: string };
      return Promise.reject(new ProcessSpawnError(e.code ?? 'EINVAL', e.message, { cause: err }));
    } finally {
      process.umask(previous);
      closeSync(fd);
    }
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        const pid = child.pid as number;
        this.#registry?.add(pid, options.tag.id);
        const hosted = new ChildHostedProcess(child as ChildProcess & { pid: number }, options.tag, () => {
          this.#live.delete(pid);
          this.#registry?.remove(pid);
        });
        this.#live.set(pid, hosted);
        resolve(hosted);
      });
      child.on('error', (err: Error & { code?: string }) => {
        // Before 'spawn': the process never ran (ENOENT, EACCES, E2BIG...).
        if (child.pid === undefined)
          reject(new ProcessSpawnError(err.code ?? 'EIO', err.message, { cause: err }));
      });
    });
  }

  takeAdoptable(): HostedProcess[] {
    return [];
  }
}
