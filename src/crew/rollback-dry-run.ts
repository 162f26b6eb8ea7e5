import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import {
  expandVars,
  freePort,
  PROBE_DEFAULTS,
  type ProbeContext,
  replicaEnv,
  runProbe,
} from '../platform/index.js';
import type { LocalTemplate, Probe } from '../spec/types.js';

/** Time the previous revision has to become ready when `timeoutMs` is unset, ms. */
export const DEFAULT_ROLLBACK_DRY_RUN_TIMEOUT_MS = 30_000;
/** Time between SIGTERM and SIGKILL when the dry run stops the revision, ms. */
const STOP_GRACE_MS = 2000;
/** Time between readiness attempts, ms; faster than a probe's periodSeconds (see rollbackDryRun). */
const POLL_INTERVAL_MS = 100;
/** Time between checks whether the stopped process group is empty, ms. */
const GROUP_POLL_MS = 20;
/** Bytes of the process's output quoted in `detail`. */
const OUTPUT_TAIL_BYTES = 1024;

/** The readiness used when the template has none, as the local platform: the port accepts a TCP connection. */
const PORT_OPEN_PROBE: Probe = { tcpSocket: {}, timeoutSeconds: 1 };

/** What {@link rollbackDryRun} starts. */
export interface RollbackDryRunOptions {
  /** The previous revision's template, as the local platform runs it. */
  template: LocalTemplate;
  /** Time it has to become ready, ms. @default 30000 */
  timeoutMs?: number;
  /** Directory a relative `template.cwd` is resolved against (the spec file's directory). @default process.cwd() */
  cwd?: string;
  /** Loopback address it listens on and is probed at. @default "127.0.0.1" */
  host?: string;
}

/** What the dry run proved. */
export interface RollbackDryRunResult {
  /** It was spawned and was still running when it became ready or the time ran out. */
  started: boolean;
  /** Its readiness probe succeeded within the time. */
  ready: boolean;
  /** From spawn to stopped, ms. */
  durationMs: number;
  /** The `$PORT` it was given. */
  port: number;
  /** Its process id (gone when the result is returned), or `null` when it could not be spawned. */
  pid: number | null;
  /** How it went: ready after how long, its exit code and output, or why it was not ready. */
  detail: string;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // Negative pid: the whole process group (spawned detached, as its leader).
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, Math.max(0, ms)));
}

function describeProbe(probe: Probe): string {
  if (probe.httpGet !== undefined) return `httpGet ${probe.httpGet.path ?? '/'}`;
  if (probe.exec !== undefined) return `exec ${probe.exec.command.join(' ')}`;
  return 'tcpSocket';
}

/** Whether any process of the group led by `pid` is left (zombies awaiting their reaper included). */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the group led by `pid` is empty, or after `ms`. */
async function groupGone(pid: number, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (groupAlive(pid)) {
    if (performance.now() >= until) return false;
    await sleep(GROUP_POLL_MS);
  }
  return true;
}

/**
 * Stops the whole process group, as the local platform stops a replica: SIGTERM, then SIGKILL to
 * whatever is left after {@link STOP_GRACE_MS}; resolves once the leader has been reaped and the
 * group is empty (bounded by another {@link STOP_GRACE_MS}).
 */
async function stop(child: ChildProcess, exited: Promise<Exit>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  killGroup(pid, 'SIGTERM');
  // The leader may exit at once while something it started still runs in its group: wait for all.
  if (!(await groupGone(pid, STOP_GRACE_MS))) killGroup(pid, 'SIGKILL');
  await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  await groupGone(pid, STOP_GRACE_MS);
}

/**
 * Proves the previous revision can still start, without moving traffic: spawns its template on a
 * free loopback port (`$PORT`, `$(VAR)` expanded as Kubernetes does, the local platform's
 * environment), waits until its readiness probe succeeds (`httpGet` / `tcpSocket` / `exec` as the
 * kubelet runs them; without a probe, a TCP connection to the port) or `timeoutMs` passes or it
 * exits, then stops its whole process group (SIGTERM, SIGKILL after 2 s) and returns. Never leaves
 * a process behind; never throws for the revision's sake (a spawn failure or an early exit is in
 * `detail`).
 *
 * The probe is tried every 100 ms from `initialDelaySeconds` on, not every `periodSeconds`: the dry
 * run needs the first moment it is ready, not a steady signal. `successThreshold` consecutive
 * successes are required, as the kubelet does.
 *
 * @throws PortAllocationError when no free port can be found.
 * @example
 * ```ts
 * const result = await rollbackDryRun({ template: stable.template, cwd: specDir });
 * if (!result.ready) abortRelease(`rollback target cannot start: ${result.detail}`);
 * ```
 */
export async function rollbackDryRun(options: RollbackDryRunOptions): Promise<RollbackDryRunResult> {
  const { template } = options;
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? DEFAULT_ROLLBACK_DRY_RUN_TIMEOUT_MS;
  const base = options.cwd ?? process.cwd();
  const cwd = template.cwd === undefined ? base : resolve(base, template.cwd);
  const port = await freePort(host);
  const env = replicaEnv(process.env, template.env, { PORT: String(port) });
  const [file, ...args] = template.command.map((part) => expandVars(part, env));
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  if (file === undefined || file === '') {
    return { started: false, ready: false, durationMs: 0, port, pid: null, detail: 'command is empty' };
  }

  let output = Buffer.alloc(0);
  const keep = (chunk: Buffer): void => {
    output = Buffer.concat([output, chunk]);
    if (output.length > OUTPUT_TAIL_BYTES) output = output.subarray(-OUTPUT_TAIL_BYTES);
  };
  const tail = (): string => {
    const text = output.toString('utf8').trim();
    return text === '' ? '' : `; output: ${text}`;
  };

  let spawnError: Error | undefined;
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((done) => {
    child.once('error', (error) => {
      spawnError = error;
      exit ??= { code: null, signal: null };
      done(exit);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      done(exit);
    });
  });

  const probe = template.readinessProbe ?? PORT_OPEN_PROBE;
  const ctx: ProbeContext = { host, port, env, cwd };
  const deadline = started + timeoutMs;
  const successThreshold = probe.successThreshold ?? PROBE_DEFAULTS.successThreshold;
  let ready = false;
  // Set when it exited on its own, before it was stopped.
  let earlyExit: Exit | undefined;
  try {
    const initialDelayMs = (probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds) * 1000;
    await Promise.race([exited, sleep(Math.min(initialDelayMs, deadline - performance.now()))]);
    let successes = 0;
    while (exit === undefined && performance.now() < deadline) {
      successes = (await runProbe(probe, ctx)) ? successes + 1 : 0;
      if (successes >= successThreshold && exit === undefined) {
        ready = true;
        break;
      }
      await Promise.race([exited, sleep(Math.min(POLL_INTERVAL_MS, deadline - performance.now()))]);
    }
    earlyExit = ready ? undefined : exit;
  } finally {
    await stop(child, exited);
  }

  const pid = child.pid ?? null;
  if (spawnError !== undefined) {
    return {
      started: false,
      ready: false,
      durationMs: elapsed(),
      port,
      pid,
      detail: `cannot start ${file}: ${spawnError.message}`,
    };
  }
  const durationMs = elapsed();
  if (ready) {
    return {
      started: true,
      ready: true,
      durationMs,
      port,
      pid,
      detail: `ready (${describeProbe(probe)}) on port ${port}; stopped`,
    };
  }
  if (earlyExit !== undefined) {
    const how =
      earlyExit.code !== null ? `exit code ${earlyExit.code}` : `signal ${earlyExit.signal ?? 'unknown'}`;
    return {
      started: false,
      ready: false,
      durationMs,
      port,
      pid,
      detail: `exited with ${how} before it was ready${tail()}`,
    };
  }
  return {
    started: true,
    ready: false,
    durationMs,
    port,
    pid,
    detail: `not ready (${describeProbe(probe)} on port ${port}) within ${timeoutMs} ms; stopped${tail()}`,
  };
}
