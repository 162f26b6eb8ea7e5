import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ReplicaSetSpec, type ReplicaSetStatus, replicaSetKey } from '../../dataplane/protocol.js';
import type { EndpointSink, Platform } from '../platform.js';
import { ChildProcessHost } from './child-process-host.js';
import { freePort } from './free-port.js';
import type { HostedProcess, ProcessHost } from './process-host.js';
import { DEFAULT_TERMINATION_GRACE_SECONDS, Replica } from './replica.js';
import { removeReplicaFiles, writeReplicaFiles } from './replica-files.js';
import type { RestartBackoffOptions } from './restart-backoff.js';

/** Options of the {@link LocalPlatform}. */
export interface LocalPlatformOptions {
  /** Data directory; replica logs go to `<home>/logs/<rollout>-r<revision>-<n>.log`. */
  home: string;
  /** The router (receives endpoints, drains them before a replica stops). */
  sink: EndpointSink;
  /** Address replicas are reached on. @default '127.0.0.1' */
  host?: string;
  /** Crash-loop backoff. @default 1 s doubling to 30 s, reset after 60 s */
  backoff?: RestartBackoffOptions;
  /** Called after any replica changes state or readiness. */
  onChange?: (rollout: string) => void;
  /**
   * Owner of the replica processes; its {@link ProcessHost.takeAdoptable} processes are taken over
   * by the replica sets that match them. @default a {@link ChildProcessHost} of this process, with
   * its registry in `<home>/run/replicas` (replicas a killed predecessor orphaned are stopped)
   */
  processes?: ProcessHost;
}

interface ReplicaSetState {
  spec: ReplicaSetSpec;
  /** Replicas that count toward the desired count. */
  replicas: Replica[];
  /** Replicas being stopped (scale down, removed revision); shown in status until Stopped. */
  stopping: Set<Replica>;
  nextOrdinal: number;
  /** Replicas whose port is being allocated. */
  pending: number;
  /** A stateful set's ordinals whose replica's port is being allocated. */
  starting: Set<number>;
}

/**
 * The local platform: each replica is a supervised child process on a free port of this machine,
 * with Kubernetes-style probes, crash-loop backoff and graceful stop. Desired state is applied
 * level-triggered; every call is idempotent.
 */
export class LocalPlatform implements Platform {
  readonly #options: LocalPlatformOptions;
  readonly #host: string;
  /** Per Rollout, its replica sets by {@link replicaSetKey}. */
  readonly #rollouts = new Map<string, Map<string, ReplicaSetState>>();
  readonly #logDir: string;
  readonly #processes: ProcessHost;
  /** Running processes of an earlier router process not yet taken over, by rollout. */
  readonly #adoptable = new Map<string, HostedProcess[]>();
  /** `activeReplica` as last applied, by rollout (absent: not set). */
  readonly #active = new Map<string, string | null>();
  readonly #stateDir: string;
  /** `<home>/files`: per Rollout and replica set, the files of its template (`fileData`). */
  readonly #filesDir: string;

  constructor(options: LocalPlatformOptions) {
    this.#options = options;
    this.#host = options.host ?? '127.0.0.1';
    this.#logDir = join(options.home, 'logs');
    mkdirSync(this.#logDir, { recursive: true });
    this.#stateDir = join(options.home, 'state');
    this.#filesDir = join(options.home, 'files');
    this.#processes =
      options.processes ?? new ChildProcessHost({ registryDir: join(options.home, 'run', 'replicas') });
    for (const proc of this.#processes.takeAdoptable()) {
      const list = this.#adoptable.get(proc.tag.rollout) ?? [];
      list.push(proc);
      this.#adoptable.set(proc.tag.rollout, list);
    }
  }

  /** Replicas taken over from an earlier router process (same pids), since this platform started. */
  adopted = 0;

  /**
   * Stop, gracefully, the processes of an earlier router process that no replica set applied since
   * took over (their Rollout or revision is no longer wanted): SIGTERM to the process group,
   * SIGKILL after the default grace period. Call once every last desired state has been applied.
   * @returns how many there were.
   */
  stopUnadopted(): number {
    let count = 0;
    for (const list of this.#adoptable.values()) {
      for (const proc of list) {
        count++;
        signalGroup(proc.pid, 'SIGTERM');
        const timer = setTimeout(
          () => signalGroup(proc.pid, 'SIGKILL'),
          DEFAULT_TERMINATION_GRACE_SECONDS * 1000,
        );
        timer.unref();
        void proc.exited.then(() => clearTimeout(timer));
      }
    }
    this.#adoptable.clear();
    return count;
  }

  rollouts(): string[] {
    return [...this.#rollouts.keys()];
  }

  activeReplica(rollout: string): string | null | undefined {
    return this.#active.get(rollout);
  }

  apply(rollout: string, replicaSets: readonly ReplicaSetSpec[], activeReplica?: string | null): void {
    let sets = this.#rollouts.get(rollout);
    if (sets === undefined) {
      sets = new Map();
      this.#rollouts.set(rollout, sets);
    }
    if (activeReplica === undefined) this.#active.delete(rollout);
    else this.#active.set(rollout, activeReplica);
    const wanted = new Set<string>();
    for (const spec of replicaSets) {
      const key = replicaSetKey(spec);
      wanted.add(key);
      let state = sets.get(key);
      if (state !== undefined && state.spec.hash !== spec.hash) {
        // Same number, different template: a different revision; replace its replicas.
        this.#retire(rollout, state, state.replicas.length);
      }
      if (state === undefined || state.spec.hash !== spec.hash) this.#writeFiles(rollout, spec);
      if (state === undefined) {
        state = { spec, replicas: [], stopping: new Set(), nextOrdinal: 0, pending: 0, starting: new Set() };
        sets.set(key, state);
      }
      state.spec = spec;
      this.#adopt(rollout, state);
      this.#scale(rollout, state);
    }
    // A changed active replica changes what every set publishes.
    for (const state of sets.values()) this.#publish(rollout, state);
    for (const state of sets.values()) {
      if (wanted.has(replicaSetKey(state.spec))) continue;
      state.spec = { ...state.spec, replicas: 0 };
      this.#scale(rollout, state);
    }
  }

  #scale(rollout: string, state: ReplicaSetState): void {
    if (state.spec.ordinals !== undefined) {
      this.#scaleOrdinals(rollout, state, state.spec.ordinals);
      return;
    }
    const desired = state.spec.replicas;
    const missing = desired - state.replicas.length - state.pending;
    for (let i = 0; i < missing; i++) void this.#startReplica(rollout, state);
    const excess = state.replicas.length - desired;
    if (excess > 0) this.#retire(rollout, state, excess);
    this.#publish(rollout, state);
  }

  /**
   * A stateful set, as a StatefulSet: stop the replicas of ordinals no longer listed, and start a
   * listed ordinal only once no process of the Rollout (of any revision, stopping or not) holds it.
   * A start deferred that way happens when the holder has stopped.
   */
  #scaleOrdinals(rollout: string, state: ReplicaSetState, ordinals: readonly number[]): void {
    const wanted = new Set(ordinals);
    for (const replica of state.replicas.filter((r) => !wanted.has(r.ordinal))) {
      this.#stopReplica(rollout, state, replica);
    }
    for (const ordinal of ordinals) {
      if (state.starting.has(ordinal) || this.#ordinalHeld(rollout, ordinal)) continue;
      void this.#startReplica(rollout, state, ordinal);
    }
    this.#publish(rollout, state);
  }

  /** Whether a replica of the Rollout, in any set, runs or is stopping on `ordinal`. */
  #ordinalHeld(rollout: string, ordinal: number): boolean {
    for (const state of this.#rollouts.get(rollout)?.values() ?? []) {
      if (state.starting.has(ordinal)) return true;
      for (const r of [...state.replicas, ...state.stopping]) if (r.ordinal === ordinal) return true;
    }
    return false;
  }

  /** Take over the running processes of an earlier router process that belong to this set. */
  #adopt(rollout: string, state: ReplicaSetState): void {
    const list = this.#adoptable.get(rollout);
    if (list === undefined) return;
    const { spec } = state;
    const mine = list.filter(
      (p) =>
        p.tag.revision === spec.revision &&
        p.tag.set === spec.set &&
        p.tag.hash === spec.hash &&
        (spec.ordinals === undefined || spec.ordinals.includes(p.tag.ordinal)),
    );
    if (mine.length === 0) return;
    const rest = list.filter((p) => !mine.includes(p));
    if (rest.length > 0) this.#adoptable.set(rollout, rest);
    else this.#adoptable.delete(rollout);
    for (const proc of mine.sort((a, b) => a.tag.ordinal - b.tag.ordinal)) {
      if (proc.exitCode !== null) continue;
      const replica = this.#replica(rollout, state, proc.tag.ordinal, proc.tag.port);
      state.nextOrdinal = Math.max(state.nextOrdinal, proc.tag.ordinal + 1);
      state.replicas.push(replica);
      replica.adopt(proc);
      this.adopted++;
    }
  }

  /**
   * `<home>/state/<rollout>/<ordinal>` (0700), created when missing: it outlives restarts,
   * revisions and the control plane.
   */
  #ordinalStateDir(rollout: string, ordinal: number): string {
    const dir = join(this.#stateDir, rollout, String(ordinal));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** `<home>/files/<rollout>/<r<revision> | set>`: the files directory of one replica set. */
  #setFilesDir(rollout: string, spec: ReplicaSetSpec): string {
    return join(this.#filesDir, rollout, spec.set ?? `r${spec.revision}`);
  }

  /** Writes a set's `fileData` before any of its replicas starts; none: nothing on disk. */
  #writeFiles(rollout: string, spec: ReplicaSetSpec): void {
    if (spec.template.fileData !== undefined)
      writeReplicaFiles(this.#setFilesDir(rollout, spec), spec.template.fileData);
    else removeReplicaFiles(this.#setFilesDir(rollout, spec));
  }

  #replica(rollout: string, state: ReplicaSetState, ordinal: number, port: number): Replica {
    const stateful = state.spec.ordinals !== undefined;
    return new Replica({
      rollout,
      revision: state.spec.revision,
      ...(state.spec.set !== undefined ? { set: state.spec.set } : {}),
      ordinal,
      template: state.spec.template,
      hash: state.spec.hash,
      host: this.#host,
      port,
      logPath: join(
        this.#logDir,
        stateful
          ? `${rollout}-${ordinal}.log`
          : `${state.spec.set ?? `${rollout}-r${state.spec.revision}`}-${ordinal}.log`,
      ),
      ...(stateful ? { stateDir: this.#ordinalStateDir(rollout, ordinal) } : {}),
      ...(state.spec.template.fileData !== undefined
        ? { filesDir: this.#setFilesDir(rollout, state.spec) }
        : {}),
      sink: this.#options.sink,
      onChange: () => this.#publish(rollout, state),
      processes: this.#processes,
      ...(this.#options.backoff !== undefined ? { backoff: this.#options.backoff } : {}),
    });
  }

  /** @param fixedOrdinal - a stateful set's ordinal to start; otherwise the next free one. */
  async #startReplica(rollout: string, state: ReplicaSetState, fixedOrdinal?: number): Promise<void> {
    state.pending++;
    if (fixedOrdinal !== undefined) state.starting.add(fixedOrdinal);
    let port: number;
    try {
      port = await freePort(this.#host);
    } finally {
      state.pending--;
      if (fixedOrdinal !== undefined) state.starting.delete(fixedOrdinal);
    }
    if (this.#rollouts.get(rollout)?.get(replicaSetKey(state.spec)) !== state) return;
    if (fixedOrdinal !== undefined) {
      // The ordinal may have been taken away (or taken) while the port was allocated.
      if (!(state.spec.ordinals ?? []).includes(fixedOrdinal) || this.#ordinalHeld(rollout, fixedOrdinal))
        return;
    } else if (state.replicas.length >= state.spec.replicas) {
      // The desired count may have dropped while the port was allocated.
      return;
    }
    const ordinal = fixedOrdinal ?? state.nextOrdinal++;
    const replica = this.#replica(rollout, state, ordinal, port);
    state.replicas.push(replica);
    replica.start();
  }

  /**
   * Stop `count` replicas: not-ready ones first, then standbys before the active replica, then the
   * newest.
   */
  #retire(rollout: string, state: ReplicaSetState, count: number): void {
    const active = this.#active.get(rollout);
    const victims = [...state.replicas]
      .sort(
        (a, b) =>
          Number(a.ready) - Number(b.ready) ||
          Number(a.id === active) - Number(b.id === active) ||
          b.ordinal - a.ordinal,
      )
      .slice(0, count);
    for (const replica of victims) this.#stopReplica(rollout, state, replica);
  }

  #stopReplica(rollout: string, state: ReplicaSetState, replica: Replica): void {
    state.replicas.splice(state.replicas.indexOf(replica), 1);
    state.stopping.add(replica);
    void replica.stop().then(() => {
      state.stopping.delete(replica);
      this.#forgetIfEmpty(rollout, state);
      this.#publish(rollout, state);
      // A stateful successor may have been waiting for this ordinal.
      if (replica.stateful) this.#rescaleStateful(rollout);
    });
  }

  #rescaleStateful(rollout: string): void {
    for (const state of this.#rollouts.get(rollout)?.values() ?? []) {
      if (state.spec.ordinals !== undefined) this.#scale(rollout, state);
    }
  }

  #forgetIfEmpty(rollout: string, state: ReplicaSetState): void {
    if (state.spec.replicas > 0 || state.replicas.length > 0 || state.stopping.size > 0 || state.pending > 0)
      return;
    const sets = this.#rollouts.get(rollout);
    const key = replicaSetKey(state.spec);
    if (sets?.get(key) === state) {
      sets.delete(key);
      removeReplicaFiles(this.#setFilesDir(rollout, state.spec));
    }
  }

  #publish(rollout: string, state: ReplicaSetState): void {
    const active = this.#active.get(rollout);
    const endpoints = state.replicas
      .filter((r) => r.routable && (active === undefined || r.id === active))
      .map((r) => r.endpoint);
    this.#options.sink.setEndpoints(rollout, state.spec.revision, endpoints, state.spec.set);
    this.#options.onChange?.(rollout);
  }

  status(rollout: string): ReplicaSetStatus[] {
    const sets = this.#rollouts.get(rollout);
    if (sets === undefined) return [];
    return [...sets.values()]
      .sort(
        (a, b) =>
          a.spec.revision - b.spec.revision ||
          Number(a.spec.set !== undefined) - Number(b.spec.set !== undefined) ||
          (a.spec.set ?? '').localeCompare(b.spec.set ?? ''),
      )
      .map((state) => ({
        revision: state.spec.revision,
        ...(state.spec.set !== undefined ? { set: state.spec.set } : {}),
        hash: state.spec.hash,
        replicas: state.spec.replicas,
        ...(state.spec.ordinals !== undefined ? { ordinals: [...state.spec.ordinals] } : {}),
        readyReplicas: state.replicas.filter((r) => r.routable).length,
        replicaStatuses: [...state.replicas, ...state.stopping].map((r) => r.status()),
      }));
  }

  async remove(rollout: string): Promise<void> {
    const sets = this.#rollouts.get(rollout);
    if (sets === undefined) return;
    const stops: Promise<void>[] = [];
    for (const state of sets.values()) {
      state.spec = { ...state.spec, replicas: 0 };
      for (const r of [...state.replicas, ...state.stopping]) stops.push(r.stop());
      this.#retire(rollout, state, state.replicas.length);
    }
    await Promise.all(stops);
    this.#rollouts.delete(rollout);
    this.#active.delete(rollout);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.rollouts().map((r) => this.remove(r)));
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
