import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import type { ReplicaState, ReplicaStatus } from '../../dataplane/protocol.js';
import type { LocalTemplate, Probe } from '../../spec/types.js';
import { ReplicaLogError } from '../errors.js';
import type { EndpointSink, ReplicaEndpoint } from '../platform.js';
import { expandVars, replicaEnv } from './expand.js';
import type { PidRegistry } from './pid-registry.js';
import type { ProbeContext } from './probe.js';
import { ProbeLoop } from './probe-loop.js';
import { RestartBackoff, type RestartBackoffOptions } from './restart-backoff.js';

/** Default seconds between SIGTERM and SIGKILL, as Kubernetes' terminationGracePeriodSeconds. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/**
 * The readiness used when the template has none: the port accepts a TCP connection, tried every
 * 100 ms. Without it a replica would get traffic before it listens.
 */
const PORT_OPEN_PROBE: Probe = { tcpSocket: {}, periodSeconds: 0.1, timeoutSeconds: 1, successThreshold: 1 };

/** Everything a replica needs to run. */
export interface ReplicaOptions {
  rollout: string;
  revision: number;
  /** An extra replica set of the revision (`ReplicaSetSpec.set`): the id is then `<set>-<ordinal>`. */
  set?: string;
  /** 0-based ordinal within the revision; part of the id and the log file name. */
  ordinal: number;
  template: LocalTemplate;
  host: string;
  port: number;
  /** Log file, appended to. */
  logPath: string;
  sink: EndpointSink;
  /** Called whenever readiness or state changes. */
  onChange: () => void;
  backoff?: RestartBackoffOptions;
  /** Records live process groups so a later data plane can stop orphans. */
  pids?: PidRegistry;
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the whole process group (the replica was spawned detached, as its leader).
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * One supervised replica process of one revision on the local platform.
 *
 * Lifecycle: Starting (spawned, not yet ready) -> Running (ready at least once) -> Crashed
 * (exited on its own or killed after a liveness failure; restarted after a backoff of 1 s
 * doubling to 30 s, reset after 60 s of running) ... -> Draining -> Terminating -> Stopped.
 *
 * The process runs in its own process group, so stopping it stops everything it started.
 */
export class Replica {
  readonly id: string;
  readonly rollout: string;
  readonly revision: number;
  readonly ordinal: number;
  readonly port: number;
  readonly host: string;
  readonly #options: ReplicaOptions;
  readonly #backoff: RestartBackoff;
  readonly #env: Record<string, string>;
  #child: ChildProcess | null = null;
  #state: ReplicaState = 'Starting';
  #ready = false;
  #restarts = 0;
  #lastExitCode: number | null = null;
  #message: string | undefined;
  #startedAt = 0;
  #readiness: ProbeLoop | null = null;
  #liveness: ProbeLoop | null = null;
  #restartTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;

  constructor(options: ReplicaOptions) {
    this.#options = options;
    this.rollout = options.rollout;
    this.revision = options.revision;
    this.ordinal = options.ordinal;
    this.port = options.port;
    this.host = options.host;
    this.id =
      options.set === undefined
        ? `${options.rollout}-r${options.revision}-${options.ordinal}`
        : `${options.set}-${options.ordinal}`;
    this.#backoff = new RestartBackoff(options.backoff);
    this.#env = replicaEnv(process.env, options.template.env, {
      PORT: String(options.port),
      CUTOVER_ROLLOUT: options.rollout,
      CUTOVER_REVISION: String(options.revision),
      CUTOVER_REPLICA: this.id,
    });
  }

  /** Whether the router may send it new requests: ready and neither draining nor stopping. */
  get routable(): boolean {
    return this.#ready && this.#stopping === null;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get state(): ReplicaState {
    return this.#state;
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  /** Its endpoint as the router sees it. */
  get endpoint(): ReplicaEndpoint {
    return { id: this.id, host: this.host, port: this.port };
  }

  /** Observed status. */
  status(): ReplicaStatus {
    return {
      id: this.id,
      pid: this.#child?.pid ?? null,
      port: this.port,
      state: this.#state,
      ready: this.#ready,
      restarts: this.#restarts,
      startedAt: this.#startedAt,
      lastExitCode: this.#lastExitCode,
      ...(this.#message !== undefined ? { message: this.#message } : {}),
    };
  }

  /** Spawn the process and start probing. Spawn failures show as a crash (exit code 127). */
  start(): void {
    if (this.#stopping !== null) return;
    const template = this.#options.template;
    const [command, ...rest] = template.command.map((arg) => expandVars(arg, this.#env));
    let fd: number;
    try {
      fd = openSync(this.#options.logPath, 'a');
      writeSync(fd, `--- cutover: starting ${this.id} on port ${this.port} at ${new Date().toISOString()}\n`);
    } catch (err) {
      throw new ReplicaLogError(this.#options.logPath, { cause: err });
    }
    this.#startedAt = Date.now();
    this.#state = 'Starting';
    let child: ChildProcess;
    try {
      child = spawn(command ?? '', rest, {
        cwd: template.cwd,
        env: this.#env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } catch (err) {
      // Node refuses some arguments before any process exists (a NUL byte: TypeError; E2BIG...):
      // a crash like any other, with the reason, never an exception out of the data plane.
      this.#spawnFailed(fd, err as Error & { code?: string });
      return;
    } finally {
      closeSync(fd);
    }
    this.#message = undefined;
    this.#child = child;
    if (child.pid !== undefined) this.#options.pids?.add(child.pid, this.id);
    let exited = false;
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (exited) return;
      exited = true;
      const exitCode = code ?? 128 + (signal !== null ? (constants.signals[signal] ?? 0) : 0);
      this.#onExit(child, exitCode);
    };
    child.once('exit', onExit);
    child.once('error', (err: Error & { code?: string }) => {
      // A spawn failure (e.g. ENOENT) may emit no 'exit'; report it as the shell would: 127.
      if (child.pid === undefined) {
        try {
          appendFileSync(this.#options.logPath, `--- cutover: cannot start: ${err.message}\n`);
        } catch {
          // Logging is best effort here.
        }
        this.#message = `spawn failed: ${err.code ?? err.message}`;
        onExit(127, null);
      }
    });
    this.#startProbes();
    this.#options.onChange();
  }

  /** A spawn refused synchronously: logged, then handled as an exit with code 127 (restarted with backoff). */
  #spawnFailed(fd: number, err: Error & { code?: string }): void {
    try {
      writeSync(fd, `--- cutover: cannot start: ${err.message}\n`);
    } catch {
      // Logging is best effort here.
    }
    this.#message = `spawn failed: ${err.code ?? err.message}`;
    this.#lastExitCode = 127;
    this.#ready = false;
    this.#state = 'Crashed';
    const delay = this.#backoff.delay(0);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping !== null) return;
      this.#restarts++;
      this.start();
    }, delay);
    this.#options.onChange();
  }

  #probeContext(): ProbeContext {
    return { host: this.host, port: this.port, env: this.#env, cwd: this.#options.template.cwd };
  }

  #startProbes(): void {
    const template = this.#options.template;
    this.#readiness = new ProbeLoop({
      probe: template.readinessProbe ?? PORT_OPEN_PROBE,
      context: this.#probeContext(),
      initial: false,
      stopOnSuccess: template.readinessProbe === undefined,
      onChange: (passing) => {
        if (this.#stopping !== null) return;
        this.#ready = passing;
        if (passing) this.#state = 'Running';
        this.#options.onChange();
      },
    });
    this.#readiness.start();
    if (template.livenessProbe !== undefined) {
      this.#liveness = new ProbeLoop({
        probe: template.livenessProbe,
        context: this.#probeContext(),
        initial: true,
        onChange: (passing) => {
          if (!passing && this.#stopping === null) this.#killForRestart();
        },
      });
      this.#liveness.start();
    }
  }

  #stopProbes(): void {
    this.#readiness?.stop();
    this.#liveness?.stop();
    this.#readiness = null;
    this.#liveness = null;
  }

  /** Liveness failed: as the kubelet, stop the process (grace period applies) and restart it. */
  #killForRestart(): void {
    const child = this.#child;
    if (child === null) return;
    this.#ready = false;
    this.#options.onChange();
    killGroup(child.pid, 'SIGTERM');
    void waitExit(child, this.#graceMs()).then((exited) => {
      if (!exited) killGroup(child.pid, 'SIGKILL');
    });
  }

  #graceMs(): number {
    return (this.#options.template.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
  }

  #onExit(child: ChildProcess, exitCode: number): void {
    this.#lastExitCode = exitCode;
    this.#stopProbes();
    // Members of the group the leader left behind (e.g. a shell's children) must not hold the port.
    killGroup(child.pid, 'SIGKILL');
    if (child.pid !== undefined) this.#options.pids?.remove(child.pid);
    if (this.#stopping !== null) return;
    this.#ready = false;
    this.#state = 'Crashed';
    const delay = this.#backoff.delay(Date.now() - this.#startedAt);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping !== null) return;
      this.#restarts++;
      try {
        this.start();
      } catch {
        this.#onExit(child, 127);
      }
    }, delay);
    this.#options.onChange();
  }

  /**
   * Stop gracefully: leave the router's endpoints, wait for in-flight requests (bounded by the
   * grace period) and close idle keep-alive sockets, SIGTERM the process group, SIGKILL it if it
   * is still alive after the grace period. Idempotent.
   */
  stop(): Promise<void> {
    if (this.#stopping === null) this.#stopping = this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    this.#ready = false;
    this.#state = 'Draining';
    this.#options.onChange();
    const graceMs = this.#graceMs();
    await this.#options.sink.drainEndpoint(this.id, graceMs);
    this.#stopProbes();
    const child = this.#child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      this.#state = 'Terminating';
      this.#options.onChange();
      killGroup(child.pid, 'SIGTERM');
      if (!(await waitExit(child, graceMs))) {
        killGroup(child.pid, 'SIGKILL');
        await waitExit(child, 5_000);
      }
    }
    this.#state = 'Stopped';
    this.#options.onChange();
  }
}
