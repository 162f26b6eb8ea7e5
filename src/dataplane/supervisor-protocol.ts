/**
 * Messages between the data plane's supervisor and its router process, over the IPC channel of
 * `child_process.fork` (JSON). A message that carries a socket handle says so; the handle travels
 * with it (`sendHandle`). The supervisor owns what must outlive a router process: the listening
 * sockets (the admin socket, the metrics port, every public port), the replica processes, and the
 * last desired state of each Rollout (in memory only: it may hold values of secrets).
 */
import type { ProcessSpawnOptions, ReplicaTag } from '../platform/index.js';
import type { RolloutDataPlaneSpec, RouterExit } from './protocol.js';

/** A failure the supervisor reports with a system error code (`EADDRINUSE`, `ENOENT`, `E2BIG`...). */
export interface SupervisorFailure {
  code: string;
  message: string;
}

/** What the router process sends to its supervisor. */
export type RouterToSupervisor =
  /** The router process has started: send what it takes over, then `welcome`. */
  | { type: 'hello' }
  /** Bind a public port (answered by `bound`). */
  | { type: 'bind'; id: number; host: string; port: number }
  /** A public port is no longer served: close the socket. */
  | { type: 'release'; port: number }
  /** Keep (or, with `spec: null`, forget) the last desired state of a Rollout. */
  | { type: 'spec'; rollout: string; spec: RolloutDataPlaneSpec | null }
  /** Start a replica process (answered by `spawned`). */
  | { type: 'spawn'; id: number; options: ProcessSpawnOptions }
  /** The router process serves every socket it took over: record it in dataplane.json. */
  | { type: 'ready' }
  /** Everything has stopped on request (`POST /v1/shutdown`): exit with the router process. */
  | { type: 'exit' };

/** What the supervisor sends to its router process. */
export type SupervisorToRouter =
  /**
   * Become the active router process: say `hello`. Until then a router process is a standby: its
   * modules are loaded, it holds nothing and serves nothing.
   */
  | { type: 'activate' }
  /** With the handle of the admin API's Unix socket. */
  | { type: 'admin' }
  /** With the handle of the metrics port. */
  | { type: 'metrics' }
  /** With the handle of the OFREP port (feature flag evaluation). */
  | { type: 'ofrep' }
  /** With the handle of a public port bound for an earlier router process. */
  | { type: 'listener'; host: string; port: number }
  /** The last desired state of a Rollout, for a new router process to restore. */
  | { type: 'spec'; rollout: string; spec: RolloutDataPlaneSpec }
  /** A running replica process an earlier router process started, to take over. */
  | { type: 'process'; pid: number; tag: ReplicaTag }
  /** End of the take-over; `generation` counts router processes (1 for the first). */
  | {
      type: 'welcome';
      generation: number;
      supervisorPid: number;
      startedAt: number;
      /** The last router processes that died (at most 20), oldest first. */
      routerExits: RouterExit[];
    }
  /** Answer to `bind`; the handle travels with it unless `error` is set. */
  | { type: 'bound'; id: number; port: number; error?: SupervisorFailure }
  /** Answer to `spawn`. */
  | { type: 'spawned'; id: number; pid?: number; error?: SupervisorFailure }
  /** A replica process ended (exit code, 128 + signal number when a signal ended it). */
  | { type: 'exited'; pid: number; code: number }
  /** Stop everything gracefully (the supervisor got SIGTERM), then send `exit`. */
  | { type: 'stop' };

/** File name of the admin API's Unix socket, in `<home>/run/`. */
export const ADMIN_SOCKET_FILE = 'dataplane.sock';
