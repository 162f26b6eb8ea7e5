import { Pool } from 'undici';

export interface LoadGeneratorOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Target request rate, req/s. @default 200 */
  rate?: number;
  /** Most requests in flight at once. @default 32 */
  concurrency?: number;
  /** Per-request timeout, ms. @default 10000 */
  timeoutMs?: number;
  /** Path to request. @default "/" */
  path?: string;
}

/** Counts of a load run as the client saw them. */
export interface LoadReport {
  sent: number;
  /** Responses per `x-version` header (`?` when absent). */
  byVersion: Record<string, number>;
  /** Responses per status code. */
  byStatus: Record<number, number>;
  /** Requests that got no HTTP response (connection refused or reset, timeout), with their messages. */
  connectionErrors: number;
  errorMessages: string[];
  /** ms since the epoch of the first and last response of each version. */
  firstSeen: Record<string, number>;
  lastSeen: Record<string, number>;
  /** 5xx responses per version. */
  serverErrorsByVersion: Record<string, number>;
}

/**
 * A bounded, rate-limited HTTP load generator over keep-alive connections (undici Pool), counting
 * what a client sees: responses per version and status, and every request that failed. Used by the
 * demo and the benchmarks; loopback only.
 */
export class LoadGenerator {
  readonly #pool: Pool;
  readonly #o: Required<LoadGeneratorOptions>;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;
  #pending = new Set<Promise<void>>();
  readonly report: LoadReport = {
    sent: 0,
    byVersion: {},
    byStatus: {},
    connectionErrors: 0,
    errorMessages: [],
    firstSeen: {},
    lastSeen: {},
    serverErrorsByVersion: {},
  };

  constructor(options: LoadGeneratorOptions) {
    this.#o = { rate: 200, concurrency: 32, timeoutMs: 10_000, path: '/', ...options };
    this.#pool = new Pool(this.#o.url, { connections: this.#o.concurrency, keepAliveTimeout: 30_000 });
  }

  /** Starts sending; returns at once. */
  start(): void {
    const tickMs = 10;
    let credit = 0;
    this.#timer = setInterval(() => {
      credit += (this.#o.rate * tickMs) / 1000;
      while (credit >= 1 && this.#inFlight < this.#o.concurrency) {
        credit -= 1;
        this.#fire();
      }
      credit = Math.min(credit, this.#o.rate); // no burst after a stall
    }, tickMs);
  }

  #fire(): void {
    this.report.sent++;
    this.#inFlight++;
    const p = this.#one().finally(() => {
      this.#inFlight--;
      this.#pending.delete(p);
    });
    this.#pending.add(p);
  }

  async #one(): Promise<void> {
    try {
      const res = await this.#pool.request({
        path: this.#o.path,
        method: 'GET',
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
      });
      await res.body.dump();
      const version = String(res.headers['x-version'] ?? '?');
      const now = Date.now();
      const r = this.report;
      r.byVersion[version] = (r.byVersion[version] ?? 0) + 1;
      r.byStatus[res.statusCode] = (r.byStatus[res.statusCode] ?? 0) + 1;
      r.firstSeen[version] ??= now;
      r.lastSeen[version] = now;
      if (res.statusCode >= 500)
        r.serverErrorsByVersion[version] = (r.serverErrorsByVersion[version] ?? 0) + 1;
    } catch (error) {
      this.report.connectionErrors++;
      if (this.report.errorMessages.length < 20) this.report.errorMessages.push((error as Error).message);
    }
  }

  /** Stops sending, waits for in-flight requests, closes the pool and returns the report. */
  async stop(): Promise<LoadReport> {
    clearInterval(this.#timer);
    await Promise.all(this.#pending);
    await this.#pool.close();
    return this.report;
  }
}
