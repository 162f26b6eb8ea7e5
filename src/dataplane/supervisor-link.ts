import {
  type HostedProcess,
  type ProcessHost,
  ProcessSpawnError,
  type ProcessSpawnOptions,
  type ReplicaTag,
} from '../platform/index.js';
import { BindError, type ListenTarget, type PortBinder } from '../traffic/index.js';
import type { RolloutDataPlaneSpec, RouterExit } from './protocol.js';
import type { RouterToSupervisor, SupervisorToRouter } from './supervisor-protocol.js';

/** What a router process takes over from its supervisor when it starts. */
export interface TakeOver {
  /** Handle of the admin API's Unix socket. */
  admin: object;
  /** Handle of the metrics port. */
  metrics: object;
  /** Handle of the OFREP port. */
  ofrep: object;
  /** The last desired state of every Rollout. */
  specs: RolloutDataPlaneSpec[];
  /** Router processes so far, this one included. */
  generation: number;
  supervisorPid: number;
  /** When the supervisor started, ms since the epoch. */
  startedAt: number;
  /** The last router processes that died, oldest first. */
  routerExits: RouterExit[];
}

class LinkedProcess implements HostedProcess {
  readonly pid: number;
  readonly tag: ReplicaTag;
  exitCode: number | null = null;
  readonly exited: Promise<number>;
  resolveExit!: (code: number) => void;

  constructor(pid: number, tag: ReplicaTag) {
    this.pid = pid;
    this.tag = tag;
    this.exited = new Promise((resolve) => {
      this.resolveExit = (code) => {
        this.exitCode = code;
        resolve(code);
      };
    });
  }
}

/** Longest wait for the supervisor's answer to a request, ms. */
const ANSWER_TIMEOUT_MS = 30_000;

/**
 * The router process' side of the IPC channel to its supervisor (see supervisor-protocol.ts): the
 * supervisor binds the public ports ({@link PortBinder}) and is the parent of the replica processes
 * ({@link ProcessHost}); it keeps the last desired state of each Rollout for the next router
 * process. Exits the process when the channel closes (the supervisor is gone: nothing would restart
 * this process or learn of its replicas' exits).
 */
export class SupervisorLink implements PortBinder, ProcessHost {
  readonly #process: NodeJS.Process;
  #nextId = 1;
  readonly #pending = new Map<number, (message: SupervisorToRouter, handle: unknown) => void>();
  readonly #processes = new Map<number, LinkedProcess>();
  /** Sockets bound for an earlier router process, by port, until this one serves them again. */
  readonly #inherited = new Map<number, object>();
  /** Exits reported before this side registered the process (an answer and an exit in one read). */
  readonly #earlyExits = new Map<number, number>();
  #adoptable: LinkedProcess[] = [];
  #onStop: (() => void) | null = null;

  #activated: (() => void) | null = null;
  #active = false;
  #welcomed: ((takeOver: TakeOver) => void) | null = null;
  readonly #partial: Partial<TakeOver> & { specs: RolloutDataPlaneSpec[] } = { specs: [] };

  /**
   * @param proc - this process, forked by the supervisor with an IPC channel. When the channel
   *   closes (the supervisor is gone) the process exits 70: nothing would restart it or learn of its
   *   replicas' exits.
   * @throws Error when there is no IPC channel.
   */
  constructor(proc: NodeJS.Process = process) {
    if (proc.send === undefined)
      throw new Error('the router process must be started by the data plane supervisor (no IPC channel)');
    this.#process = proc;
    proc.on('message', (message: SupervisorToRouter, handle: unknown) => this.#onMessage(message, handle));
    proc.once('disconnect', () => {
      process.stderr.write('cutover router: the supervisor is gone; exiting\n');
      process.exit(70);
    });
  }

  /** Resolves when the supervisor makes this process the active router (until then it is a standby). */
  activation(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#active) resolve();
      else this.#activated = resolve;
    });
  }

  /** Say hello and collect what the supervisor hands over, until its `welcome`. */
  takeOver(): Promise<TakeOver> {
    return new Promise((resolve) => {
      this.#welcomed = resolve;
      this.#send({ type: 'hello' });
    });
  }

  #onMessage(message: SupervisorToRouter, handle: unknown): void {
    const partial = this.#partial;
    switch (message.type) {
      case 'activate':
        this.#active = true;
        this.#activated?.();
        return;
      case 'admin':
        partial.admin = handle as object;
        return;
      case 'metrics':
        partial.metrics = handle as object;
        return;
      case 'ofrep':
        partial.ofrep = handle as object;
        return;
      case 'listener':
        this.#inherited.set(message.port, handle as object);
        return;
      case 'spec':
        partial.specs.push(message.spec);
        return;
      case 'process': {
        const proc = new LinkedProcess(message.pid, message.tag);
        this.#processes.set(message.pid, proc);
        this.#adoptable.push(proc);
        return;
      }
      case 'welcome':
        this.#welcomed?.({
          ...(partial as TakeOver),
          generation: message.generation,
          supervisorPid: message.supervisorPid,
          startedAt: message.startedAt,
          routerExits: message.routerExits,
        });
        return;
      case 'exited': {
        const proc = this.#processes.get(message.pid);
        this.#processes.delete(message.pid);
        if (proc !== undefined) proc.resolveExit(message.code);
        else this.#earlyExits.set(message.pid, message.code);
        return;
      }
      case 'stop':
        this.#onStop?.();
        return;
      case 'bound':
      case 'spawned':
        this.#pending.get(message.id)?.(message, handle);
        this.#pending.delete(message.id);
        return;
    }
  }

  /** Called when the supervisor asks for a graceful stop (it got SIGTERM). */
  onStop(listener: () => void): void {
    this.#onStop = listener;
  }

  /** Keep (or forget, with null) the last desired state of a Rollout for the next router process. */
  keepSpec(rollout: string, spec: RolloutDataPlaneSpec | null): void {
    this.#send({ type: 'spec', rollout, spec });
  }

  /** Every socket taken over is served: the supervisor records this process in dataplane.json. */
  ready(): void {
    this.#send({ type: 'ready' });
  }

  /** Everything has stopped on request: the supervisor exits with this process. Resolves once sent. */
  exit(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#process.send === undefined || !this.#process.connected) resolve();
      else this.#process.send({ type: 'exit' } satisfies RouterToSupervisor, undefined, {}, () => resolve());
    });
  }

  async bind(host: string, port: number): Promise<ListenTarget> {
    const inherited = this.#inherited.get(port);
    if (inherited !== undefined) {
      this.#inherited.delete(port);
      return inherited;
    }
    const [answer, handle] = await this.#request((id) => ({ type: 'bind', id, host, port }));
    if (answer.type !== 'bound') throw new Error(`unexpected answer ${answer.type}`);
    if (answer.error !== undefined) throw new BindError(answer.error.code, answer.error.message);
    return handle as object;
  }

  release(port: number): void {
    this.#inherited.delete(port);
    this.#send({ type: 'release', port });
  }

  /**
   * Release the sockets taken over that no desired state names any more (a Rollout removed while
   * no router process ran). Those a desired state names stay held even if it could not be restored:
   * the control plane's next apply serves them, and meanwhile connections wait instead of being
   * refused.
   * @param wanted - every port of every desired state taken over.
   */
  releaseUnused(wanted: ReadonlySet<number>): void {
    for (const port of [...this.#inherited.keys()]) if (!wanted.has(port)) this.release(port);
  }

  async spawn(options: ProcessSpawnOptions): Promise<HostedProcess> {
    const [answer] = await this.#request((id) => ({ type: 'spawn', id, options }));
    if (answer.type !== 'spawned') throw new Error(`unexpected answer ${answer.type}`);
    if (answer.error !== undefined || answer.pid === undefined)
      throw new ProcessSpawnError(answer.error?.code ?? 'EIO', answer.error?.message ?? 'spawn failed');
    const proc = new LinkedProcess(answer.pid, options.tag);
    const early = this.#earlyExits.get(answer.pid);
    this.#earlyExits.delete(answer.pid);
    if (early !== undefined) proc.resolveExit(early);
    else this.#processes.set(answer.pid, proc);
    return proc;
  }

  takeAdoptable(): HostedProcess[] {
    const list = this.#adoptable;
    this.#adoptable = [];
    return list;
  }

  #request(make: (id: number) => RouterToSupervisor): Promise<[SupervisorToRouter, unknown]> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`the supervisor did not answer within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      this.#pending.set(id, (message, handle) => {
        clearTimeout(timer);
        resolve([message, handle]);
      });
      this.#send(make(id));
    });
  }

  #send(message: RouterToSupervisor): void {
    this.#process.send?.(message);
  }
}
