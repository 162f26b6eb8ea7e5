/**
 * Who owns the replica processes of the local platform. The router process asks a host to start a
 * replica and learns when it ends; the host, not the router, is the process' parent. In the data
 * plane the host is the supervisor (a process that outlives the router process), so a crash of the
 * router restarts no replica: the next router process takes the running ones over
 * ({@link ProcessHost.takeAdoptable}). Tests and in-process use take a {@link ChildProcessHost}.
 */

/** What a later router process needs to take a running replica over; kept by the host, opaque to it. */
export interface ReplicaTag {
  /** Replica id, `<rollout>-r<revision>-<ordinal>` or `<set>-<ordinal>`. */
  id: string;
  rollout: string;
  revision: number;
  /** An extra replica set of the revision (`ReplicaSetSpec.set`); absent for its own set. */
  set?: string;
  /** Template hash of the revision the process runs. */
  hash: string;
  ordinal: number;
  /** The replica's `$PORT`. */
  port: number;
  /** Restarts of the replica before this process, as `ReplicaStatus.restarts`. */
  restarts: number;
  /** When this process was started, ms since the epoch. */
  startedAt: number;
}

/** How to start one replica process. */
export interface ProcessSpawnOptions {
  command: string;
  args: string[];
  /** Working directory; absent = the host's. */
  cwd?: string;
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
  /** stdout and stderr are appended to this file (a file, not a pipe: it outlives any reader). */
  logPath: string;
  tag: ReplicaTag;
}

/** A replica process started by a host. */
export interface HostedProcess {
  readonly pid: number;
  readonly tag: ReplicaTag;
  /**
   * Exit code once it has ended (128 + the signal number when a signal ended it), null while it
   * runs.
   */
  readonly exitCode: number | null;
  /** Resolves with {@link exitCode} when the process ends; never rejects. */
  readonly exited: Promise<number>;
}

/** A host refused to start a process; `code` is the system's (`ENOENT`, `E2BIG`, `EACCES`...). */
export class ProcessSpawnError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProcessSpawnError';
    this.code = code;
  }
}

/**
 * The owner of replica processes. Each process runs in its own process group (so a signal to
 * `-pid` reaches everything it started), with stdio to its log file.
 */
export interface ProcessHost {
  /**
   * Start a process.
   * @throws ProcessSpawnError when it cannot start (the command does not exist, the environment
   *   is too large, a NUL byte in an argument...).
   */
  spawn(options: ProcessSpawnOptions): Promise<HostedProcess>;
  /**
   * The processes still running that an earlier router process started, for the platform to take
   * over or stop; each is returned once (later calls return what is left: nothing).
   */
  takeAdoptable(): HostedProcess[];
}

/** The exit code of a process that ended with `code` or by `signal`, as a shell reports it. */
export function exitCodeOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  signals: Record<string, number>,
): number {
  return code ?? 128 + (signal !== null ? (signals[signal] ?? 0) : 0);
}
