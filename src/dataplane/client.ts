import { Client } from 'undici';
import {
  DataPlaneApiError,
  DataPlanePortInUseError,
  DataPlaneShuttingDownError,
  DataPlaneUnavailableError,
  InvalidDataPlaneSpecError,
} from './errors.js';
import type {
  DataPlaneErrorBody,
  DataPlaneSecond,
  DataPlaneState,
  FlagSetsServed,
  FlagSetsSpec,
  FlagSetsStatus,
  HttpSdTargetGroup,
  RevisionStats,
  RolloutDataPlaneSpec,
  RolloutDataPlaneStatus,
  TrafficSeconds,
} from './protocol.js';

/** Where the client connects and how long it waits. */
export interface DataPlaneClientOptions {
  /** The admin API's Unix socket (`adminSocket` of dataplane.json, `<home>/run/dataplane.sock`). */
  socketPath: string;
  /** Per-call timeout for reads, ms. @default 5000 */
  timeoutMs?: number;
  /** Per-call timeout for `apply` / `remove`, which wait for graceful stops, ms. @default 120000 */
  writeTimeoutMs?: number;
}

function toError(status: number, body: unknown): DataPlaneApiError {
  const error = (body as Partial<DataPlaneErrorBody> | null)?.error;
  const code = error?.code ?? 'CUTOVER_E_DATAPLANE_HTTP';
  const message = error?.message ?? `admin API answered ${status}`;
  if (code === 'CUTOVER_E_PORT_IN_USE' && typeof error?.port === 'number')
    return new DataPlanePortInUseError(error.port, message);
  if (code === 'CUTOVER_E_DATAPLANE_INVALID_SPEC')
    return new InvalidDataPlaneSpecError(error?.path ?? '', message);
  if (code === 'CUTOVER_E_DATAPLANE_SHUTTING_DOWN') return new DataPlaneShuttingDownError();
  return new DataPlaneApiError(code, message, status);
}

/**
 * Typed client of the data plane's admin API (contract in protocol.ts), over one undici keep-alive
 * connection to its Unix socket. Only the server's user can open that socket: holding this client
 * is holding the data plane's credential.
 *
 * Errors: DataPlaneUnavailableError (retryable) when the data plane does not answer;
 * DataPlanePortInUseError (409), InvalidDataPlaneSpecError (400), DataPlaneShuttingDownError (503)
 * or DataPlaneApiError for an error answer.
 *
 * @example
 * const info = await ensureDataPlane({ home });
 * const client = new DataPlaneClient({ socketPath: info.adminSocket });
 * await client.apply({ rollout: 'web', replicaSets: [...], listeners: [{ port: 8080, backends: [{ revision: 1, weight: 100 }] }] });
 */
export class DataPlaneClient {
  readonly socketPath: string;
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #writeTimeoutMs: number;

  constructor(options: DataPlaneClientOptions) {
    this.socketPath = options.socketPath;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 120_000;
    this.#client = new Client('http://localhost', {
      socketPath: options.socketPath,
      pipelining: 1,
      keepAliveTimeout: 2_000,
    });
  }

  async #call(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = this.#timeoutMs,
  ): Promise<{ status: number; text: string }> {
    try {
      const res = await this.#client.request({
        method,
        path,
        // The admin API takes JSON only, bodies or not (a POST without one included).
        headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? (method === 'POST' ? '{}' : null) : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      throw new DataPlaneUnavailableError(this.socketPath, (err as Error).message, { cause: err });
    }
  }

  async #json<T>(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<T> {
    const { status, text } = await this.#call(method, path, body, timeoutMs);
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (status >= 400) throw toError(status, parsed);
    return parsed as T;
  }

  /** Whether `/healthz` answers 200 (never throws). */
  async healthy(): Promise<boolean> {
    try {
      const { status } = await this.#call('GET', '/healthz', undefined, 1_000);
      return status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Replace every flag set the OFREP listener serves (`PUT /v1/flags`); idempotent. On error
   * nothing changed. @throws InvalidDataPlaneSpecError when flagd refuses a set.
   */
  putFlags(spec: FlagSetsSpec): Promise<FlagSetsStatus> {
    return this.#json('PUT', '/v1/flags', spec);
  }

  /** What the OFREP listener serves (`GET /v1/flags`). */
  flags(): Promise<FlagSetsStatus> {
    return this.#json('GET', '/v1/flags');
  }

  /** The flag sets the OFREP listener serves, whole (`GET /v1/flags/sets`). */
  flagSets(): Promise<FlagSetsServed> {
    return this.#json('GET', '/v1/flags/sets');
  }

  /** Observed state of every Rollout (`GET /v1/state`). */
  state(): Promise<DataPlaneState> {
    return this.#json('GET', '/v1/state');
  }

  /**
   * Send one Rollout's whole desired state (`PUT /v1/rollouts/:name`). Idempotent. On error
   * nothing changed.
   * @throws DataPlanePortInUseError, InvalidDataPlaneSpecError, DataPlaneUnavailableError.
   */
  apply(spec: RolloutDataPlaneSpec): Promise<RolloutDataPlaneStatus> {
    return this.#json('PUT', `/v1/rollouts/${encodeURIComponent(spec.rollout)}`, spec, this.#writeTimeoutMs);
  }

  /**
   * Stop a Rollout's replicas gracefully and close its listeners (`DELETE /v1/rollouts/:name`);
   * resolves when they are stopped. @returns false if the data plane did not know the Rollout.
   */
  async remove(rollout: string): Promise<boolean> {
    const r = await this.#json<{ removed: boolean }>(
      'DELETE',
      `/v1/rollouts/${encodeURIComponent(rollout)}`,
      undefined,
      this.#writeTimeoutMs,
    );
    return r.removed;
  }

  /**
   * Traffic statistics of one revision over a trailing window (`GET /v1/stats`).
   * @param windowSeconds - 0 < s <= 300.
   * @param quantile - ratio 0..1 for `latency`. @default 0.95
   * @param set - an extra (experiment) replica set of the revision; absent for its own set.
   */
  stats(
    rollout: string,
    revision: number,
    windowSeconds: number,
    quantile = 0.95,
    set?: string,
  ): Promise<RevisionStats> {
    const q = new URLSearchParams({
      rollout,
      revision: String(revision),
      window: String(windowSeconds),
      quantile: String(quantile),
      ...(set !== undefined ? { set } : {}),
    });
    return this.#json('GET', `/v1/stats?${q}`);
  }

  /** Every running replica as Prometheus HTTP service discovery target groups (`GET /v1/sd`). */
  serviceDiscovery(): Promise<HttpSdTargetGroup[]> {
    return this.#json('GET', '/v1/sd');
  }

  /**
   * Per-second traffic of every revision of a Rollout with latency histograms (`GET /v1/traffic`):
   * the whole seconds from `range.from` (s since the epoch) up to now, or the last `range.window`
   * seconds (1..300). The answer's `from` / `to` say which seconds it covers.
   */
  traffic(rollout: string, range: { from: number } | { window: number }): Promise<TrafficSeconds> {
    const q = new URLSearchParams({
      rollout,
      ...('from' in range ? { from: String(range.from) } : { window: String(range.window) }),
    });
    return this.#json('GET', `/v1/traffic?${q}`);
  }

  /** The Prometheus exposition of the router (`GET /metrics`). */
  async metricsText(): Promise<string> {
    const { status, text } = await this.#call('GET', '/metrics');
    if (status !== 200) throw toError(status, null);
    return text;
  }

  /**
   * Per-second traffic of every revision (`GET /v1/stream`, server-sent events), until `signal`
   * aborts or the data plane goes away (the iteration then ends).
   */
  async *stream(signal?: AbortSignal): AsyncGenerator<DataPlaneSecond> {
    let res: Awaited<ReturnType<Client['request']>>;
    try {
      res = await this.#client.request({ method: 'GET', path: '/v1/stream', signal, bodyTimeout: 0 });
    } catch (err) {
      throw new DataPlaneUnavailableError(this.socketPath, (err as Error).message, { cause: err });
    }
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += (chunk as Buffer).toString('utf8');
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data !== undefined) yield JSON.parse(data.slice(6)) as DataPlaneSecond;
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw new DataPlaneUnavailableError(this.socketPath, (err as Error).message, { cause: err });
    }
  }

  /** Ask the data plane to stop everything gracefully and exit (`POST /v1/shutdown`). */
  async shutdown(): Promise<void> {
    await this.#json('POST', '/v1/shutdown');
  }

  /** Close the client's connections. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
