import { appendFileSync } from 'node:fs';
import type { ReplicaState, ReplicaStatus } from '../../dataplane/protocol.js';
import { envFingerprints } from '../../drift/fingerprint.js';
import type { LocalTemplate, Probe } from '../../spec/types.js';
import { ReplicaLogError } from '../errors.js';
import type { EndpointSink, ReplicaEndpoint } from '../platform.js';
import { expandVars, replicaEnv } from './expand.js';
import { runLifecycleHook } from './lifecycle-hook.js';
import type { ProbeContext } from './probe.js';
import { ProbeLoop } from './probe-loop.js';
import type { HostedProcess, ProcessHost, ReplicaTag } from './process-host.js';
import { RestartBackoff, type RestartBackoffOptions } from './restart-backoff.js';

/** Default seconds between SIGTERM and SIGKILL, as Kubernetes' terminationGracePeriodSeconds. */
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/** As the kubelet: after a preStop hook that used the whole grace period, SIGTERM still gets 2 s, ms. */
const PRE_STOP_EXTENSION_MS = 2_000;

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
  /**
   * A stateful Rollout's replica: its ordinal's state directory (`$CUTOVER_STATE_DIR`). The id is
   * then `<rollout>-<ordinal>`, the same in every revision.
   */
  stateDir?: string;
  /** Its replica set's files directory (`template.files`), given as `$CUTOVER_FILES_DIR`. */
  filesDir?: string;
  template: LocalTemplate;
  /** Template hash of the revision (identifies it to a later router process that adopts the replica). */
  hash: string;
  host: string;
  port: number;
  /** Log file, appended to. */
  logPath: string;
  sink: EndpointSink;
  /** Called whenever readiness or state changes. */
  onChange: () => void;
  backoff?: RestartBackoffOptions;
  /** Owner of the replica's process. */
  processes: ProcessHost;
}

/** Resolves true when `proc` has ended, false after `timeoutMs`. */
function waitExit(proc: HostedProcess, timeoutMs: number): Promise<boolean> {
  if (proc.exitCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void proc.exited.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
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
 * Lifecycle: Starting (spawned, not yet ready; postStart, then the startupProbe, then readiness
 * and liveness probes) -> Running (ready at least once) -> Crashed (exited on its own, or killed
 * after a failed postStart, startup or liveness probe; restarted after a backoff of 1 s doubling
 * to 30 s, reset after 60 s of running) ... -> Draining (out of the router, in-flight requests
 * finish) -> Terminating (preStop, SIGTERM, SIGKILL at the end of the grace period) -> Stopped.
 *
 * The process belongs to a {@link ProcessHost} (in the data plane: the supervisor, which outlives
 * the router process) and runs in its own process group, so stopping it stops everything it
 * started. A replica whose process an earlier router process started is taken over with
 * {@link Replica.adopt}: same pid, same restart count, probed again at once.
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
  /** Fingerprints of the template's `env` this replica runs with (its status reports them). */
  readonly #envFingerprints: Record<string, string>;
  #proc: HostedProcess | null = null;
  /** A spawn asked of the host and not answered yet. */
  #spawning: Promise<void> | null = null;
  #state: ReplicaState = 'Starting';
  #ready = false;
  #restarts = 0;
  #lastExitCode: number | null = null;
  #message: string | undefined;
  #startedAt = 0;
  #startup: ProbeLoop | null = null;
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
      options.stateDir !== undefined
        ? `${options.rollout}-${options.ordinal}`
        : replicaId(options.rollout, options.revision, options.ordinal, options.set);
    this.#backoff = new RestartBackoff(options.backoff);
    this.#envFingerprints = envFingerprints(options.template.env);
    this.#env = replicaEnv(process.env, options.template.env, {
      PORT: String(options.port),
      CUTOVER_ROLLOUT: options.rollout,
      CUTOVER_REVISION: String(options.revision),
      CUTOVER_REPLICA: this.id,
      ...(options.stateDir !== undefined
        ? { CUTOVER_STATE_DIR: options.stateDir, CUTOVER_REPLICA_ORDINAL: String(options.ordinal) }
        : {}),
      ...(options.filesDir !== undefined ? { CUTOVER_FILES_DIR: options.filesDir } : {}),
    });
  }

  /** A stateful Rollout's replica (it owns its ordinal's state directory). */
  get stateful(): boolean {
    return this.#options.stateDir !== undefined;
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
      inFlight: this.#options.sink.endpointInFlight(this.id),
      ...(this.#options.stateDir !== undefined ? { ordinal: this.ordinal } : {}),
      pid: this.#proc !== null && this.#proc.exitCode === null ? this.#proc.pid : null,
      port: this.port,
      state: this.#state,
      ready: this.#ready,
      restarts: this.#restarts,
      startedAt: this.#startedAt,
      lastExitCode: this.#lastExitCode,
      envFingerprints: this.#envFingerprints,
      ...(this.#message !== undefined ? { message: this.#message } : {}),
    };
  }

  /**
   * Ask the host to start the process, then probe it. A spawn the host refuses (the command does
   * not exist, a NUL byte, E2BIG...) shows as a crash with exit code 127 and `message`, and is
   * retried with the backoff.
   * @throws ReplicaLogError when the log file cannot be written.
   */
  start(): void {
    if (this.#stopping !== null) return;
    const template = this.#options.template;
    const [command, ...args] = template.command.map((arg) => expandVars(arg, this.#env));
    try {
      appendFileSync(
        this.#options.logPath,
        `--- cutover: starting ${this.id} on port ${this.port} at ${new Date().toISOString()}\n`,
      );
    } catch (err) {
      throw new ReplicaLogError(this.#options.logPath, { cause: err });
    }
    this.#startedAt = Date.now();
    this.#state = 'Starting';
    this.#spawning = this.#options.processes
      .spawn({
        command: command ?? '',
        args,
        ...(template.cwd !== undefined ? { cwd: template.cwd } : {}),
        env: this.#env,
        logPath: this.#options.logPath,
        tag: this.#tag(),
      })
      .then(
        (proc) => {
          this.#spawning = null;
          this.#message = undefined;
          this.#attach(proc, false);
        },
        (err: unknown) => {
          this.#spawning = null;
          this.#spawnFailed(err as Error & { code?: string });
        },
      );
    this.#options.onChange();
  }

  /**
   * Take over a process an earlier router process started (same pid): its restart count and
   * start time carry over, and its probes run again at once (no `initialDelaySeconds`: it has
   * started already); it receives traffic when its readiness probe passes.
   */
  adopt(proc: HostedProcess): void {
    this.#restarts = proc.tag.restarts;
    this.#startedAt = proc.tag.startedAt;
    this.#state = 'Starting';
    this.#attach(proc, true);
    this.#options.onChange();
  }

  #tag(): ReplicaTag {
    return {
      id: this.id,
      rollout: this.rollout,
      revision: this.revision,
      ...(this.#options.set !== undefined ? { set: this.#options.set } : {}),
      hash: this.#options.hash,
      ordinal: this.ordinal,
      port: this.port,
      restarts: this.#restarts,
      startedAt: this.#startedAt,
    };
  }

  #attach(proc: HostedProcess, adopted: boolean): void {
    this.#proc = proc;
    void proc.exited.then((code) => this.#onExit(proc, code));
    if (this.#stopping !== null) return;
    const postStart = this.#options.template.lifecycle?.postStart;
    if (postStart === undefined || adopted) {
      this.#startProbes(adopted);
      return;
    }
    // As the kubelet: probes wait for postStart; a failed postStart kills the process (restarted).
    void runLifecycleHook(postStart, this.#probeContext(), this.#graceMs()).then((ok) => {
      if (proc !== this.#proc || proc.exitCode !== null || this.#stopping !== null) return;
      if (ok) this.#startProbes(false);
      else {
        this.#message = 'postStart hook failed';
        this.#killForRestart();
      }
    });
  }

  /** A spawn the host refused: logged, then handled as an exit with code 127 (restarted with backoff). */
  #spawnFailed(err: Error & { code?: string }): void {
    try {
      appendFileSync(this.#options.logPath, `--- cutover: cannot start: ${err.message}\n`);
    } catch {
      // Logging is best effort here.
    }
    this.#message = `spawn failed: ${err.code ?? err.message}`;
    this.#crashed(127);
  }

  #probeContext(): ProbeContext {
    return { host: this.host, port: this.port, env: this.#env, cwd: this.#options.template.cwd };
  }

  /**
   * The startup probe first, when there is one; readiness and liveness once it has passed, each
   * after what remains of its `initialDelaySeconds` counted from the process' start.
   * @param adopted - the process runs already: no initial delay.
   */
  #startProbes(adopted: boolean): void {
    const startup = this.#options.template.startupProbe;
    if (startup === undefined) {
      this.#startMainProbes(adopted);
      return;
    }
    this.#startup = new ProbeLoop({
      probe: adopted ? { ...startup, initialDelaySeconds: 0 } : startup,
      context: this.#probeContext(),
      initial: false,
      stopOnSuccess: true,
      onChange: (passing) => {
        if (!passing || this.#stopping !== null) return;
        this.#startup?.stop();
        this.#startup = null;
        this.#startMainProbes(adopted);
      },
      onGiveUp: () => {
        if (this.#stopping !== null) return;
        this.#message = 'startup probe failed';
        this.#killForRestart();
      },
    });
    this.#startup.start();
  }

  #startMainProbes(adopted: boolean): void {
    const template = this.#options.template;
    const elapsedSeconds = (Date.now() - this.#startedAt) / 1000;
    const now = (probe: Probe): Probe => ({
      ...probe,
      initialDelaySeconds: adopted ? 0 : Math.max(0, (probe.initialDelaySeconds ?? 0) - elapsedSeconds),
    });
    this.#readiness = new ProbeLoop({
      probe: now(template.readinessProbe ?? PORT_OPEN_PROBE),
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
        probe: now(template.livenessProbe),
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
    this.#startup?.stop();
    this.#startup = null;
    this.#readiness?.stop();
    this.#liveness?.stop();
    this.#readiness = null;
    this.#liveness = null;
  }

  /**
   * Liveness or startup probe failed, or postStart: as the kubelet, stop the process (preStop,
   * SIGTERM, SIGKILL after the grace period) and restart it.
   */
  #killForRestart(): void {
    const proc = this.#proc;
    if (proc === null) return;
    this.#ready = false;
    this.#stopProbes();
    this.#options.onChange();
    void this.#terminate(proc, Date.now() + this.#graceMs());
  }

  /**
   * preStop (bounded by what remains until `deadline`), SIGTERM to the process group, SIGKILL at
   * the deadline. As Kubernetes, a preStop hook that used up the grace period leaves 2 s more for
   * SIGTERM to work.
   * @param deadline - ms since the epoch.
   */
  async #terminate(proc: HostedProcess, deadline: number): Promise<void> {
    const preStop = this.#options.template.lifecycle?.preStop;
    if (preStop !== undefined && proc.exitCode === null) {
      this.#log(`running preStop hook`);
      const ok = await runLifecycleHook(preStop, this.#probeContext(), deadline - Date.now());
      if (!ok) this.#log('preStop hook failed or timed out');
    }
    if (proc.exitCode !== null) return;
    killGroup(proc.pid, 'SIGTERM');
    if (!(await waitExit(proc, Math.max(deadline - Date.now(), PRE_STOP_EXTENSION_MS)))) {
      killGroup(proc.pid, 'SIGKILL');
      await waitExit(proc, 5_000);
    }
  }

  /** A line of cutover's own in the replica's log; best effort. */
  #log(line: string): void {
    try {
      appendFileSync(this.#options.logPath, `--- cutover: ${line} at ${new Date().toISOString()}\n`);
    } catch {
      // Logging is best effort here.
    }
  }

  #graceMs(): number {
    return (this.#options.template.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_SECONDS) * 1000;
  }

  #onExit(proc: HostedProcess, exitCode: number): void {
    // Members of the group the leader left behind (e.g. a shell's children) must not hold the port.
    killGroup(proc.pid, 'SIGKILL');
    if (proc !== this.#proc) return;
    this.#lastExitCode = exitCode;
    this.#stopProbes();
    if (this.#stopping !== null) return;
    this.#crashed(exitCode);
  }

  /** The process ended or never started: Crashed, restarted after the backoff. */
  #crashed(exitCode: number): void {
    this.#lastExitCode = exitCode;
    this.#ready = false;
    this.#state = 'Crashed';
    const delay = this.#backoff.delay(Date.now() - this.#startedAt);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping !== null) return;
      this.#restarts++;
      try {
        this.start();
      } catch (err) {
        this.#message = (err as Error).message;
        this.#crashed(127);
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
    const deadline = Date.now() + this.#graceMs();
    await this.#options.sink.drainEndpoint(this.id, this.#graceMs());
    this.#stopProbes();
    // A spawn still in flight: its process is stopped like any other.
    await this.#spawning;
    const proc = this.#proc;
    if (proc !== null && proc.exitCode === null) {
      this.#state = 'Terminating';
      this.#options.onChange();
      await this.#terminate(proc, deadline);
    }
    this.#state = 'Stopped';
    this.#options.onChange();
  }
}

/** The id of a replica: `<rollout>-r<revision>-<ordinal>`, or `<set>-<ordinal>` in an extra set. Pure. */
function replicaId(rollout: string, revision: number, ordinal: number, set?: string): string {
  return set === undefined ? `${rollout}-r${revision}-${ordinal}` : `${set}-${ordinal}`;
}
