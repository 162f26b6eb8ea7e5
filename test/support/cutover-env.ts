/**
 * Integration-test support: a throwaway cutover installation (its own `CUTOVER_HOME`, API and admin
 * ports picked by the OS), the real CLI run as a child process, polling of a Rollout's status with a
 * deadline, a keep-alive load generator that counts what a client sees, and cleanup that leaves no
 * process behind.
 */
import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { stringify } from 'yaml';
import { isAlive } from '../../src/platform/local/process-alive.js';

/** Root of the repository (bin/cutover.js runs from dist/, built by test/global-setup.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI entry point. */
const CLI = join(REPO_ROOT, 'bin', 'cutover.js');
/** The sample service: env PORT, VERSION, FAULT_RATE (0..1), LATENCY_MS; `hello from VERSION`, header x-version. */
export const SAMPLE_SERVICE = join(REPO_ROOT, 'examples', 'sample-service', 'server.mjs');

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The parts of `get rollout -o json` the tests read. */
export interface RolloutJson {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & { port: number };
  status: {
    phase: 'Healthy' | 'Progressing' | 'Paused' | 'Degraded';
    message: string;
    currentStepIndex: number | null;
    stableRevision: number | null;
    currentRevision: number;
    weights: { canary: number; stable: number };
    abort: boolean;
    controllerPause: boolean;
    pauseConditions: { reason: string; startTime: number }[];
    readyReplicas: number;
    replicas: number;
    [key: string]: unknown;
  };
}

/** One entry of `history -o json`'s event log. */
interface HistoryEvent {
  time: number;
  rollout: string | null;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  actor: string;
}

/** `history -o json`. */
export interface HistoryJson {
  revisions: { number: number; hash: string }[];
  events: HistoryEvent[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns a value other than `undefined`/`false`, failing after `timeoutMs`
 * with `what` and the last value seen (`describe`) in the message.
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs: number; what: string; intervalMs?: number; describe?: () => string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(options.intervalMs ?? 150);
  }
  const last = options.describe?.() ?? (lastError ? String(lastError) : '');
  throw new Error(
    `timed out after ${options.timeoutMs} ms waiting for ${options.what}${last ? `; last seen: ${last}` : ''}`,
  );
}

/**
 * The kernel's ephemeral range (`net.ipv4.ip_local_port_range`), from which it picks the local port
 * of every outgoing connection and of every listener bound to port 0. Default 32768..60999.
 */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return [low, high];
  } catch {}
  return [32768, 60999];
}

/**
 * A TCP port that was free a moment ago on 127.0.0.1, for a spec that must name its port. Chosen at
 * random below the ephemeral range and checked by binding it: a port taken from the ephemeral range
 * (a port-0 bind, then released) can be handed by the kernel to any outgoing connection of a parallel
 * test before the spec binds it, which made a first `apply` fail with "port N is in use" on a loaded
 * CI machine. @throws after 50 ports in a row could not be bound.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = Math.max(1024, low - 12_000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    const server = createServer();
    const bound = await new Promise<boolean>((ok) => {
      server.once('error', () => ok(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => ok(true));
    });
    if (!bound) continue;
    await new Promise<void>((ok) => server.close(() => ok()));
    return port;
  }
  throw new Error('no free port below the ephemeral range after 50 tries');
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Binds `port` on 127.0.0.1 with a plain TCP server (to make it "in use"). */
export async function occupyPort(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, ok);
  });
  return server;
}

/** YAML of several documents (objects), as a spec file holds them. */
export function specYaml(...documents: object[]): string {
  return documents.map((d) => stringify(d)).join('---\n');
}

/** Reads the version a response came from: its `x-version` header, else its trimmed body. */
function versionOf(headers: Record<string, string | string[] | undefined>, body: string): string {
  const header = headers['x-version'];
  if (typeof header === 'string' && header !== '') return header;
  return body.trim().replace(/^hello from /, '');
}

/** One GET of `/` on a router port: status, version and body (throws on a connection error). */
export async function fetchOnce(
  port: number,
  path = '/',
): Promise<{ status: number; version: string; body: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
    reset: true,
  });
  const body = await res.body.text();
  return { status: res.statusCode, version: versionOf(res.headers, body), body };
}

/** Counts of what the load generator's client saw. */
interface LoadCounts {
  total: number;
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  failed: number;
  /** Responses by version (x-version header or body), every status. */
  byVersion: Record<string, number>;
  /** Non-2xx responses by version. */
  errorsByVersion: Record<string, number>;
  /** Up to 20 descriptions of failures, first first. */
  failures: string[];
}

interface Sample {
  /** When the request was sent, ms since the epoch. */
  at: number;
  version: string;
  ok: boolean;
  detail?: string;
}

/** A running load generator; see {@link startLoad}. */
export interface LoadGenerator {
  /**
   * Counts of the requests sent in [from, to) (ms since the epoch; all by default) that have
   * completed. Counting by send time means a window opened after an event holds only requests the
   * router saw after it.
   */
  counts(from?: number, to?: number): LoadCounts;
  /** Total responses and failures so far. */
  readonly total: number;
  /** Stops the loops, waits for in-flight requests, and returns the counts of the whole run. Idempotent. */
  stop(): Promise<LoadCounts>;
}

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** Concurrent request loops (and keep-alive connections). @default 4 */
  concurrency?: number;
  /** Pause between two requests of one loop, ms (keeps the 2-core machine usable). @default 5 */
  pauseMs?: number;
  /** Request path. @default '/' */
  path?: string;
  /** Headers of each request (called once per request). @default none */
  headers?: () => Record<string, string>;
}

/**
 * Starts `concurrency` loops sending GET requests over a keep-alive undici Pool to
 * `http://127.0.0.1:<port>/` until `stop()`. Every response is recorded with its time and version;
 * a request fails on a connection error, a timeout or a non-2xx status.
 */
export function startLoad(port: number, options: LoadOptions = {}): LoadGenerator {
  const concurrency = options.concurrency ?? 4;
  const pauseMs = options.pauseMs ?? 5;
  const path = options.path ?? '/';
  const pool = new Pool(`http://127.0.0.1:${port}`, {
    connections: concurrency,
    keepAliveTimeout: 30_000,
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  });
  const samples: Sample[] = [];
  let running = true;
  let stopping: Promise<void> | undefined;
  const loop = async (): Promise<void> => {
    while (running) {
      const at = Date.now();
      try {
        const res = await pool.request({
          method: 'GET',
          path,
          ...(options.headers !== undefined ? { headers: options.headers() } : {}),
        });
        const body = await res.body.text();
        const version = versionOf(res.headers, body);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        samples.push(
          ok
            ? { at, version, ok }
            : {
                at,
                version,
                ok,
                detail: `HTTP ${res.statusCode} (${version}): ${body.slice(0, 120).trim()}`,
              },
        );
      } catch (error) {
        samples.push({
          at,
          version: '(none)',
          ok: false,
          detail: `${(error as Error).name}: ${(error as Error).message}`,
        });
      }
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  const loops = Array.from({ length: concurrency }, () => loop());
  const counts = (from = 0, to = Number.POSITIVE_INFINITY): LoadCounts => {
    const c: LoadCounts = { total: 0, ok: 0, failed: 0, byVersion: {}, errorsByVersion: {}, failures: [] };
    for (const s of samples) {
      if (s.at < from || s.at >= to) continue;
      c.total++;
      c.byVersion[s.version] = (c.byVersion[s.version] ?? 0) + 1;
      if (s.ok) c.ok++;
      else {
        c.failed++;
        c.errorsByVersion[s.version] = (c.errorsByVersion[s.version] ?? 0) + 1;
        if (c.failures.length < 20) c.failures.push(`${new Date(s.at).toISOString()} ${s.detail ?? ''}`);
      }
    }
    return c;
  };
  return {
    counts,
    get total() {
      return samples.length;
    },
    stop: () => {
      running = false;
      stopping ??= Promise.all(loops).then(() => pool.close());
      return stopping.then(() => counts());
    },
  };
}

/** Whether a process runs (a zombie, killed but not yet reaped by its parent, does not). */
export { isAlive };

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {}
}

/**
 * One throwaway cutover installation. Every CLI run gets `CUTOVER_HOME=<home>`,
 * `CUTOVER_API_PORT=0`, `CUTOVER_METRICS_PORT=0`, `CUTOVER_OFREP_PORT=0`, so parallel test files never share a server, a data
 * plane or a port. Spec files and replica directories live under `home`, so {@link cleanup} can find
 * every process a test started.
 */
export class CutoverEnv {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;

  private constructor(home: string) {
    this.home = home;
    this.env = {
      ...process.env,
      CUTOVER_HOME: home,
      CUTOVER_API_PORT: '0',
      CUTOVER_METRICS_PORT: '0',
      CUTOVER_OFREP_PORT: '0',
      CUTOVER_LOG_LEVEL: process.env.CUTOVER_LOG_LEVEL ?? 'warn',
    };
  }

  /** A new empty data directory under `parent` (default: the OS temp dir). */
  static create(prefix = 'cutover-test-', parent = tmpdir()): CutoverEnv {
    return new CutoverEnv(mkdtempSync(join(parent, prefix)));
  }

  /** Absolute path of `relative` inside the home. */
  path(relative: string): string {
    return join(this.home, relative);
  }

  /** Writes `text` to `relative` (directories created) and returns the absolute path. */
  write(relative: string, text: string): string {
    const file = this.path(relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  /** Runs `cutover <args>`; never throws on a non-zero exit. */
  cli(
    args: string[],
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<CliResult> {
    return new Promise((ok) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        {
          env: { ...this.env, ...options.env },
          cwd: REPO_ROOT,
          timeout: options.timeoutMs ?? 60_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          ok({ code, stdout, stderr: error && code === -1 ? `${stderr}\n${error.message}` : stderr });
        },
      );
    });
  }

  /** Runs `cutover <args>` and throws with its output unless it exits 0. */
  async cliOk(
    args: string[],
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<CliResult> {
    const result = await this.cli(args, options);
    if (result.code !== 0) {
      throw new Error(
        `cutover ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
      );
    }
    return result;
  }

  /** Writes `yaml` to `file` (relative to home) and runs `cutover apply -f` on it. */
  apply(yaml: string, file = 'rollout.yaml'): Promise<CliResult> {
    return this.cli(['apply', '-f', this.write(file, yaml)]);
  }

  /** {@link apply}, throwing with the CLI's output unless it exits 0. */
  async applyOk(yaml: string, file = 'rollout.yaml'): Promise<CliResult> {
    return this.cliOk(['apply', '-f', this.write(file, yaml)]);
  }

  /**
   * Applies one Environment per name, in promotion order (`order` 1, 2, ...), with the default
   * windows. @throws when the apply fails.
   */
  async applyEnvironments(...names: string[]): Promise<void> {
    const docs = names.map((name, i) => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Environment',
      metadata: { name },
      spec: { order: i + 1 },
    }));
    await this.cliOk(['apply', '-f', this.write('environments.yaml', specYaml(...docs))]);
  }

  /** `cutover get rollout <name> -o json`, parsed. */
  async getRollout(name: string): Promise<RolloutJson> {
    const { stdout } = await this.cliOk(['get', 'rollout', name, '-o', 'json']);
    return JSON.parse(stdout) as RolloutJson;
  }

  /** Mints a token with `cutover token create` and returns it (for `cli(..., { env: { CUTOVER_TOKEN } })`). */
  async token(user: string, role: string, qualifier?: string): Promise<string> {
    const args = [
      'token',
      'create',
      '--user',
      user,
      '--role',
      role,
      ...(qualifier ? ['--qualifier', qualifier] : []),
    ];
    const { stdout } = await this.cliOk(args);
    const token = /cut_\S+/.exec(stdout)?.[0];
    if (token === undefined) throw new Error(`no token in: ${stdout}`);
    return token;
  }

  /** `cutover history <name> -o json`, parsed. */
  async history(name: string): Promise<HistoryJson> {
    const { stdout } = await this.cliOk(['history', name, '-o', 'json']);
    return JSON.parse(stdout) as HistoryJson;
  }

  /** pid in `server.pid`, if any. */
  serverPid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.path('server.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** pid in `dataplane.json`, if any. */
  dataPlanePid(): number | undefined {
    try {
      const info = JSON.parse(readFileSync(this.path('dataplane.json'), 'utf8')) as { pid?: unknown };
      return typeof info.pid === 'number' ? info.pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** API port of the running server from `server.json`, if any. */
  apiPort(): number | undefined {
    try {
      const info = JSON.parse(readFileSync(this.path('server.json'), 'utf8')) as { port?: unknown };
      return typeof info.port === 'number' ? info.port : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The same document as `get rollout <name> -o json`, read from the server's API directly
   * (`GET /api/v1/rollouts/<name>`): a CLI run costs ~1 s of CPU, too much to poll with. Does not
   * start a server; throws when none answers.
   */
  rolloutFromApi(name: string): Promise<RolloutJson> {
    return this.apiGet<RolloutJson>(`/api/v1/rollouts/${encodeURIComponent(name)}`);
  }

  /** The bootstrap admin token the server wrote at its first start (every API route but /healthz needs one). */
  apiToken(): string {
    return readFileSync(this.path('token'), 'utf8').trim();
  }

  /** `GET <path>` on the running server's API, parsed; throws unless 200. Does not start a server. */
  async apiGet<T>(path: string): Promise<T> {
    const port = this.apiPort();
    if (port === undefined) throw new Error('no server.json: the server is not running');
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      headers: { authorization: `Bearer ${this.apiToken()}` },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Ready replicas per revision as the data plane last reported them (`GET .../replicasets`). */
  async readyByRevision(name: string): Promise<Record<number, number>> {
    const { items } = await this.apiGet<{ items: { revision: number; readyReplicas: number }[] }>(
      `/api/v1/rollouts/${encodeURIComponent(name)}/replicasets`,
    );
    return Object.fromEntries(items.map((rs) => [rs.revision, rs.readyReplicas]));
  }

  /**
   * Polls the Rollout (through the API) until `predicate` holds, failing after `timeoutMs` with the
   * last status seen.
   */
  async waitForRollout(
    name: string,
    predicate: (r: RolloutJson) => boolean,
    options: { timeoutMs?: number; what: string },
  ): Promise<RolloutJson> {
    let last: RolloutJson | undefined;
    return waitUntil(
      async () => {
        last = await this.rolloutFromApi(name);
        return predicate(last) ? last : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 30_000,
        what: `rollout ${name}: ${options.what}`,
        describe: () => (last ? JSON.stringify(pickStatus(last)) : 'nothing'),
      },
    );
  }

  /**
   * Pids of processes whose working directory is inside the home (replicas of this test), or inside
   * `dir` (relative to the home) when given.
   */
  replicaPids(dir?: string): number[] {
    const root = dir === undefined ? this.home : this.path(dir);
    const pids: number[] = [];
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      return pids;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cwd = readlinkSync(`/proc/${entry}/cwd`);
        if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(Number(entry));
      } catch {}
    }
    return pids.filter((pid) => pid !== process.pid);
  }

  /**
   * `cutover shutdown`, then SIGKILL for anything of this home still alive (server, data plane,
   * replicas by their working directory), then removes the home. Safe to call twice.
   */
  async cleanup(): Promise<void> {
    const shutdown = await this.cli(['shutdown'], { timeoutMs: 45_000 }).catch(() => undefined);
    const leftovers = [this.serverPid(), this.dataPlanePid(), ...this.replicaPids()].filter(
      (pid): pid is number => pid !== undefined && pid !== process.pid && isAlive(pid),
    );
    for (const pid of leftovers) {
      kill(-pid, 'SIGKILL');
      kill(pid, 'SIGKILL');
    }
    if (leftovers.length > 0 && shutdown?.code === 0) {
      // Still worth knowing: shutdown said it stopped everything.
      process.stderr.write(
        `cutover-env: killed leftover pids ${leftovers.join(', ')} after shutdown of ${this.home}\n`,
      );
    }
    await waitUntil(() => leftovers.every((pid) => !isAlive(pid)), {
      timeoutMs: 5_000,
      what: 'leftovers to exit',
    }).catch(() => undefined);
    rmSync(this.home, { recursive: true, force: true });
  }

  /** Tail of the server and data plane logs, for failure messages. */
  logs(lines = 30): string {
    const tail = (file: string) => {
      try {
        return readFileSync(this.path(file), 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '(none)';
      }
    };
    return `--- server.log\n${tail('logs/server.log')}\n--- dataplane.log\n${tail('logs/dataplane.log')}`;
  }
}

function pickStatus(r: RolloutJson) {
  const s = r.status;
  return {
    phase: s.phase,
    message: s.message,
    step: s.currentStepIndex,
    current: s.currentRevision,
    stable: s.stableRevision,
    weights: s.weights,
    abort: s.abort,
    ready: `${s.readyReplicas}/${s.replicas}`,
  };
}

/** A directory under the env's home holding `index.html` with `text` (for `python3 -m http.server`). */
export function staticSite(env: CutoverEnv, dir: string, text: string): string {
  env.write(join(dir, 'index.html'), `${text}\n`);
  return env.path(dir);
}

/** A Rollout document. `template` and `strategy` as in the spec reference. */
export function rolloutDoc(
  name: string,
  spec: {
    replicas?: number;
    port: number;
    template: Record<string, unknown>;
    strategy: Record<string, unknown>;
  },
): object {
  return { apiVersion: 'cutover.dev/v1alpha1', kind: 'Rollout', metadata: { name }, spec };
}

/**
 * A template running the sample service as `version` (env VERSION) with readinessProbe /healthz,
 * period 1 s; `cwd` is a directory inside the home so cleanup can find the replica.
 */
export function sampleTemplate(
  env: CutoverEnv,
  version: string,
  extraEnv: Record<string, string> = {},
): Record<string, unknown> {
  const cwd = env.path('replicas');
  mkdirSync(cwd, { recursive: true });
  return {
    command: ['node', SAMPLE_SERVICE],
    cwd,
    env: { VERSION: version, ...extraEnv },
    readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
  };
}

/**
 * A one-replica canary Rollout of the sample service as `version` with `steps`; an abort scales the
 * canary down after 1 s.
 */
export function canaryRolloutDoc(
  env: CutoverEnv,
  name: string,
  options: { port: number; version: string; steps: object[] },
): object {
  return rolloutDoc(name, {
    replicas: 1,
    port: options.port,
    template: sampleTemplate(env, options.version),
    strategy: { canary: { abortScaleDownDelaySeconds: 1, steps: options.steps } },
  });
}

/** The builtin error-rate AnalysisTemplate of the canary revision over a trailing `window`. */
export function errorRateTemplate(name = 'error-rate', window = '5s'): object {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name },
    spec: {
      metrics: [
        {
          name: 'error-rate',
          interval: '1s',
          successCondition: 'isNaN(result) || result < 0.05',
          provider: { builtin: { metric: 'error-rate', revision: 'canary', window } },
        },
      ],
    },
  };
}
