import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LocalPlatform, type RestartBackoffOptions } from '../platform/index.js';
import {
  HISTOGRAM_BOUNDS,
  ListenError,
  PortInUseError,
  Router,
  type RouterOptions,
} from '../traffic/index.js';
import { withSecondHistograms } from '../traffic/revision-recorder.js';
import { DataPlaneError, InvalidDataPlaneSpecError } from './errors.js';
import type {
  DataPlaneErrorBody,
  DataPlaneInfo,
  DataPlaneSecond,
  DataPlaneState,
  HttpSdTargetGroup,
  RevisionSecondDetail,
  RolloutDataPlaneSpec,
  RolloutDataPlaneStatus,
  TrafficSeconds,
} from './protocol.js';
import { validateRolloutSpec } from './validate-spec.js';

/** Default admin API port (env `CUTOVER_ADMIN_PORT` overrides it in `main.ts`). */
export const DEFAULT_ADMIN_PORT = 7401;
/** File in the data directory that says where the data plane listens. */
export const DATAPLANE_INFO_FILE = 'dataplane.json';
/** Largest accepted admin request body, bytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Seconds `GET /v1/traffic` can look back: the router's per-second ring answers 300 s exactly. */
const TRAFFIC_RING_SECONDS = 300;

/** Options of a {@link DataPlane}. */
export interface DataPlaneOptions {
  /** Data directory (`$CUTOVER_HOME`): dataplane.json and logs/ live here. */
  home: string;
  /** Admin API port on 127.0.0.1; 0 picks a free one. @default 7401 */
  adminPort?: number;
  /** Version reported in dataplane.json. @default the package version */
  version?: string;
  router?: RouterOptions;
  backoff?: RestartBackoffOptions;
}

/** The package version, read from package.json next to src/ or dist/. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Write a file so that readers see the old or the new content, never a torn one. */
function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) =>
    typeof v === 'number' && Number.isNaN(v) ? null : v,
  );
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, error: DataPlaneErrorBody['error']): void {
  sendJson(res, status, { error } satisfies DataPlaneErrorBody);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new InvalidDataPlaneSpecError('(body)', `body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The data plane process' core: the built-in router, the local platform and the admin API
 * (node:http on 127.0.0.1, kept apart from the proxy's listeners). Writes are serialized: one
 * desired state is applied at a time.
 */
export class DataPlane {
  readonly #options: DataPlaneOptions;
  readonly router: Router;
  readonly platform: LocalPlatform;
  readonly #startedAt = Date.now();
  readonly #admin: Server;
  readonly #streams = new Set<ServerResponse>();
  #streamTimer: NodeJS.Timeout | null = null;
  #writes: Promise<unknown> = Promise.resolve();
  #info: DataPlaneInfo | null = null;
  #shuttingDown: Promise<void> | null = null;

  constructor(options: DataPlaneOptions) {
    this.#options = options;
    mkdirSync(join(options.home, 'logs'), { recursive: true });
    this.router = new Router(options.router);
    this.platform = new LocalPlatform({
      home: options.home,
      sink: this.router,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    });
    this.#admin = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, { code: 'CUTOVER_E_INTERNAL', message: String(err) });
        else res.destroy();
      });
    });
  }

  /** Where it listens, once started. */
  get info(): DataPlaneInfo | null {
    return this.#info;
  }

  /**
   * Bind the admin API and write `<home>/dataplane.json` atomically.
   * @throws Error (EADDRINUSE...) when the admin port cannot be bound.
   */
  async start(): Promise<DataPlaneInfo> {
    const port = this.#options.adminPort ?? DEFAULT_ADMIN_PORT;
    await new Promise<void>((resolve, reject) => {
      this.#admin.once('error', reject);
      this.#admin.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        this.#admin.off('error', reject);
        resolve();
      });
    });
    const address = this.#admin.address();
    const adminPort = typeof address === 'object' && address !== null ? address.port : port;
    this.#info = {
      pid: process.pid,
      adminPort,
      startedAt: this.#startedAt,
      version: this.#options.version ?? packageVersion(),
    };
    writeAtomic(join(this.#options.home, DATAPLANE_INFO_FILE), `${JSON.stringify(this.#info, null, 2)}\n`);
    return this.#info;
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writes.then(work, work);
    this.#writes = run.catch(() => undefined);
    return run;
  }

  /**
   * Apply one Rollout's desired state: validate it whole, bind its listeners (nothing changes if
   * one cannot be bound), then reconcile its replicas. Idempotent.
   * @throws InvalidDataPlaneSpecError, PortInUseError, ListenError.
   */
  apply(name: string, body: unknown): Promise<RolloutDataPlaneStatus> {
    const spec = validateRolloutSpec(body, name);
    return this.#serialize(async () => {
      this.#refuseWhenShuttingDown();
      await this.router.applyRollout(spec.rollout, spec.listeners);
      this.platform.apply(spec.rollout, spec.replicaSets);
      return this.status(spec.rollout);
    });
  }

  #refuseWhenShuttingDown(): void {
    if (this.#shuttingDown !== null)
      throw new DataPlaneError('CUTOVER_E_DATAPLANE_SHUTTING_DOWN', 'shutting down', true);
  }

  /** Gracefully stop a Rollout's replicas and close its listeners. @returns false if unknown. */
  remove(rollout: string): Promise<boolean> {
    return this.#serialize(async () => {
      const known = this.platform.rollouts().includes(rollout) || this.router.listeners(rollout).length > 0;
      await Promise.all([this.platform.remove(rollout), this.router.removeRollout(rollout)]);
      return known;
    });
  }

  /** Observed state of one Rollout. */
  status(rollout: string): RolloutDataPlaneStatus {
    return { rollout, replicaSets: this.platform.status(rollout), listeners: this.router.listeners(rollout) };
  }

  /** Observed state of everything. */
  state(): DataPlaneState {
    const names = new Set(this.platform.rollouts());
    return {
      pid: process.pid,
      startedAt: this.#startedAt,
      rollouts: [...names].sort().map((n) => this.status(n)),
    };
  }

  /**
   * Every running replica as a Prometheus HTTP service discovery target group (`GET /v1/sd`), one
   * group per replica labelled with its rollout, revision and replica id, so a Prometheus scraping
   * the replicas' own `/metrics` can tell revisions apart. Pure read of the platform's state.
   */
  serviceDiscovery(): HttpSdTargetGroup[] {
    return this.platform.rollouts().flatMap((rollout) =>
      this.platform.status(rollout).flatMap((replicaSet) =>
        replicaSet.replicaStatuses
          .filter((replica) => replica.state === 'Running' && replica.port > 0)
          .map((replica) => ({
            targets: [`127.0.0.1:${replica.port}`],
            labels: {
              rollout,
              revision: String(replicaSet.revision),
              replica: replica.id,
              ...(replicaSet.set !== undefined ? { set: replicaSet.set } : {}),
            },
          })),
      ),
    );
  }

  /** Desired states are applied by name; a helper for in-process callers. */
  applySpec(spec: RolloutDataPlaneSpec): Promise<RolloutDataPlaneStatus> {
    return this.apply(spec.rollout, spec);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/healthz') return sendJson(res, 200, { ok: true, pid: process.pid });
    if (method === 'GET' && path === '/metrics') {
      const text = this.router.metricsText();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return;
    }
    if (method === 'GET' && path === '/v1/state') return sendJson(res, 200, this.state());
    if (method === 'GET' && path === '/v1/stats') return this.#stats(url, res);
    if (method === 'GET' && path === '/v1/sd') return sendJson(res, 200, this.serviceDiscovery());
    if (method === 'GET' && path === '/v1/stream') return this.#stream(req, res);
    if (method === 'GET' && path === '/v1/traffic') return this.#traffic(url, res);
    if (method === 'POST' && path === '/v1/shutdown') {
      sendJson(res, 202, { ok: true });
      res.once('finish', () => {
        void this.shutdown().then(() => process.exit(0));
      });
      return;
    }
    const match = /^\/v1\/rollouts\/([^/]+)$/.exec(path);
    if (match !== null) {
      const name = decodeURIComponent(match[1]!);
      if (method === 'PUT') return this.#put(name, req, res);
      if (method === 'DELETE') {
        const removed = await this.remove(name);
        return sendJson(res, 200, { rollout: name, removed });
      }
      if (method === 'GET') return sendJson(res, 200, this.status(name));
    }
    sendError(res, 404, { code: 'CUTOVER_E_NOT_FOUND', message: `no route ${method} ${path}` });
  }

  async #put(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof InvalidDataPlaneSpecError) {
        return sendError(res, 400, { code: err.code, message: err.message, path: err.path });
      }
      return sendError(res, 400, {
        code: 'CUTOVER_E_DATAPLANE_INVALID_SPEC',
        message: `(body): expected JSON: ${(err as Error).message}`,
        path: '(body)',
      });
    }
    try {
      sendJson(res, 200, await this.apply(name, body));
    } catch (err) {
      if (err instanceof InvalidDataPlaneSpecError) {
        return sendError(res, 400, { code: err.code, message: err.message, path: err.path, rollout: name });
      }
      if (err instanceof PortInUseError) {
        return sendError(res, 409, { code: err.code, message: err.message, port: err.port, rollout: name });
      }
      if (err instanceof ListenError) {
        return sendError(res, 409, { code: err.code, message: err.message, port: err.port, rollout: name });
      }
      if (err instanceof DataPlaneError && err.code === 'CUTOVER_E_DATAPLANE_SHUTTING_DOWN') {
        return sendError(res, 503, { code: err.code, message: err.message });
      }
      throw err;
    }
  }

  #stats(url: URL, res: ServerResponse): void {
    const rollout = url.searchParams.get('rollout') ?? '';
    const revision = Number(url.searchParams.get('revision'));
    const window = Number(url.searchParams.get('window') ?? '10');
    const quantile = Number(url.searchParams.get('quantile') ?? '0.95');
    const set = url.searchParams.get('set') ?? undefined;
    let problem: [string, string] | null = null;
    if (rollout === '') problem = ['rollout', 'a Rollout name'];
    else if (!Number.isInteger(revision) || revision < 1) problem = ['revision', 'an integer >= 1'];
    else if (!Number.isFinite(window) || window <= 0 || window > 300)
      problem = ['window', 'seconds, 0 < window <= 300'];
    else if (!Number.isFinite(quantile) || quantile < 0 || quantile > 1)
      problem = ['quantile', 'a ratio 0..1'];
    else if (set === '') problem = ['set', 'a replica set name'];
    if (problem !== null) {
      const [path, expected] = problem;
      sendError(res, 400, {
        code: 'CUTOVER_E_DATAPLANE_INVALID_QUERY',
        message: `${path}: expected ${expected}`,
        path,
      });
      return;
    }
    sendJson(res, 200, this.router.stats(rollout, revision, window, quantile, set));
  }

  /**
   * `GET /v1/traffic?rollout=R&from=S` (or `&window=N`): per-second traffic of every revision of the
   * Rollout over the whole seconds `[S, now)` (or the last N), with latency histograms, for the
   * judges (see {@link TrafficSeconds}). Seconds older than the router's ring (300 s) are left out
   * and `from` says where the answer starts.
   */
  #traffic(url: URL, res: ServerResponse): void {
    const rollout = url.searchParams.get('rollout') ?? '';
    const fromParam = url.searchParams.get('from');
    const windowParam = url.searchParams.get('window');
    const from = Number(fromParam);
    const window = Number(windowParam);
    let problem: [string, string] | null = null;
    if (rollout === '') problem = ['rollout', 'a Rollout name'];
    else if ((fromParam === null) === (windowParam === null)) problem = ['from', 'either from or window'];
    else if (fromParam !== null && !(Number.isInteger(from) && from >= 0))
      problem = ['from', 'an integer number of seconds since the epoch'];
    else if (
      windowParam !== null &&
      !(Number.isInteger(window) && window >= 1 && window <= TRAFFIC_RING_SECONDS)
    )
      problem = ['window', `an integer number of seconds, 1..${TRAFFIC_RING_SECONDS}`];
    if (problem !== null) {
      const [field, expected] = problem;
      sendError(res, 400, {
        code: 'CUTOVER_E_DATAPLANE_INVALID_QUERY',
        message: `${field}: expected ${expected}`,
        path: field,
      });
      return;
    }
    const to = Math.floor(Date.now() / 1000);
    const start = Math.max(fromParam !== null ? from : to - window, to - TRAFFIC_RING_SECONDS);
    const byRevision = new Map<number, RevisionSecondDetail[]>();
    for (let second = start; second < to; second++) {
      const histograms: (ArrayLike<number> | null)[] = [];
      const revisions = withSecondHistograms(
        () => this.router.second(second),
        (h) => histograms.push(h === null ? null : Array.from(h)),
      );
      // router.second reads each revision's recorder once, in order.
      if (histograms.length !== revisions.length)
        throw new Error('router.second read an unexpected number of recorders');
      revisions.forEach((r, i) => {
        if (r.rollout !== rollout) return;
        let list = byRevision.get(r.revision);
        if (list === undefined) {
          list = [];
          byRevision.set(r.revision, list);
        }
        if (r.requests === 0) return;
        const latency: [number, number][] = [];
        const h = histograms[i] ?? [];
        for (let b = 0; b < h.length; b++) if ((h[b] ?? 0) > 0) latency.push([b, h[b]!]);
        list.push({ second, requests: r.requests, errors: r.errors, latency });
      });
    }
    const body: TrafficSeconds = {
      rollout,
      from: start,
      to,
      latencyBounds: Array.from(HISTOGRAM_BOUNDS),
      revisions: [...byRevision].map(([revision, seconds]) => ({ revision, seconds })),
    };
    sendJson(res, 200, body);
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(': cutover data plane stream\n\n');
    this.#streams.add(res);
    req.once('close', () => {
      this.#streams.delete(res);
      if (this.#streams.size === 0 && this.#streamTimer !== null) {
        clearTimeout(this.#streamTimer);
        this.#streamTimer = null;
      }
    });
    if (this.#streamTimer === null) this.#scheduleTick();
  }

  /** Tick just after each second boundary, so the second just ended is complete. */
  #scheduleTick(): void {
    const delay = 1000 - (Date.now() % 1000) + 5;
    this.#streamTimer = setTimeout(() => {
      const sec = Math.floor(Date.now() / 1000) - 1;
      const event: DataPlaneSecond = { at: sec * 1000, revisions: this.router.second(sec) };
      const frame = `event: second\nid: ${sec}\ndata: ${JSON.stringify(event)}\n\n`;
      for (const res of this.#streams) res.write(frame);
      if (this.#streams.size > 0) this.#scheduleTick();
      else this.#streamTimer = null;
    }, delay);
  }

  /**
   * Stop everything gracefully: refuse writes, stop every replica (draining first), close the
   * listeners and the admin API, remove dataplane.json (if it is still ours). Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.#shuttingDown === null) this.#shuttingDown = this.#shutdown();
    return this.#shuttingDown;
  }

  async #shutdown(): Promise<void> {
    await this.#writes;
    if (this.#streamTimer !== null) clearTimeout(this.#streamTimer);
    for (const res of this.#streams) res.end();
    this.#streams.clear();
    await Promise.all([this.platform.stopAll(), this.router.close()]);
    await new Promise<void>((resolve) => {
      this.#admin.close(() => resolve());
      this.#admin.closeAllConnections();
    });
    const infoPath = join(this.#options.home, DATAPLANE_INFO_FILE);
    try {
      const onDisk = JSON.parse(readFileSync(infoPath, 'utf8')) as DataPlaneInfo;
      if (onDisk.pid === process.pid) rmSync(infoPath, { force: true });
    } catch {
      // Not there or unreadable: nothing to remove.
    }
  }
}
