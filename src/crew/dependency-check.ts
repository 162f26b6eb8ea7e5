import { performance } from 'node:perf_hooks';
import { type Dispatcher, request } from 'undici';
import { type Clock, systemClock } from '../clock/index.js';
import { DependencyCheckInputError } from './errors.js';

/** Default bound on one dependency's check (connect, headers and body), ms. */
export const DEFAULT_DEPENDENCY_TIMEOUT_MS = 2_000;

/** States of a dependency, as the release workflow reports them. */
export const DEPENDENCY_STATES = ['UP', 'DOWN'] as const;
/** One of {@link DEPENDENCY_STATES}. */
export type DependencyState = (typeof DEPENDENCY_STATES)[number];

/** A service the release needs, checked with one HTTP GET. */
export interface Dependency {
  /** Name shown in the report, e.g. `payments`. */
  name: string;
  /** http(s) URL of its health endpoint, e.g. `http://127.0.0.1:9000/healthz`. */
  url: string;
  /** Bound on the whole request (connect, headers, body), ms. @default DEFAULT_DEPENDENCY_TIMEOUT_MS (2000) */
  timeoutMs?: number;
  /** The one HTTP status that counts as UP. @default any 2xx */
  expectStatus?: number;
}

/** Options of {@link checkDependencies}. */
export interface DependencyCheckOptions {
  /** Source of `checkedAt`; latencies always use the monotonic clock. @default systemClock */
  clock?: Clock;
  /** undici dispatcher (agent, proxy) for the requests. @default undici's global dispatcher */
  dispatcher?: Dispatcher;
}

/** The outcome for one dependency. */
export interface DependencyStatus {
  name: string;
  url: string;
  status: DependencyState;
  /** HTTP status received, or `null` when no response arrived. */
  httpStatus: number | null;
  /** Time from sending the request to the end of the response or the failure, ms. */
  latencyMs: number;
  /** Why the dependency is DOWN, in words (e.g. `connection refused (ECONNREFUSED)`); absent when UP. */
  error?: string;
}

/** What {@link checkDependencies} found. */
export interface DependencyReport {
  /** When the check started, ms since the epoch. */
  checkedAt: number;
  /** True when every dependency is UP (also true for an empty list). */
  healthy: boolean;
  /** One entry per dependency, in the order given. */
  dependencies: DependencyStatus[];
}

/**
 * Check the services a release depends on, all in parallel, with one HTTP GET each (undici's
 * `request`), for the PreDeploymentValidator. Each check is bounded by its `timeoutMs`, so the
 * whole call takes at most the largest timeout. A refused connection, a timeout or an unexpected
 * status makes the dependency DOWN with a readable `error`; it never throws for those.
 *
 * @throws DependencyCheckInputError (`CUTOVER_E_DEPENDENCY_CHECK_INPUT`) for an invalid entry,
 *   naming its field, e.g. `dependencies[1].url`.
 * @example
 * const report = await checkDependencies([{ name: 'payments', url: 'http://127.0.0.1:9000/healthz' }]);
 * if (!report.healthy) console.error(report.dependencies.filter((d) => d.status === 'DOWN'));
 */
export async function checkDependencies(
  deps: readonly Dependency[],
  options: DependencyCheckOptions = {},
): Promise<DependencyReport> {
  if (!Array.isArray(deps)) throw new DependencyCheckInputError('dependencies', 'an array');
  deps.forEach(validate);
  const checkedAt = (options.clock ?? systemClock).now();
  const dependencies = await Promise.all(deps.map((dep) => checkOne(dep, options.dispatcher)));
  return { checkedAt, healthy: dependencies.every((d) => d.status === 'UP'), dependencies };
}

function validate(dep: Dependency, index: number): void {
  const at = `dependencies[${index}]`;
  if (dep === null || typeof dep !== 'object') throw new DependencyCheckInputError(at, '{ name, url }');
  if (typeof dep.name !== 'string' || dep.name === '') {
    throw new DependencyCheckInputError(`${at}.name`, 'a non-empty string');
  }
  let url: URL | undefined;
  try {
    url = new URL(dep.url);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new DependencyCheckInputError(`${at}.url`, 'an http:// or https:// URL');
  }
  if (dep.timeoutMs !== undefined && !(Number.isFinite(dep.timeoutMs) && dep.timeoutMs > 0)) {
    throw new DependencyCheckInputError(`${at}.timeoutMs`, 'a positive number of milliseconds');
  }
  if (
    dep.expectStatus !== undefined &&
    !(Number.isInteger(dep.expectStatus) && dep.expectStatus >= 100 && dep.expectStatus <= 599)
  ) {
    throw new DependencyCheckInputError(`${at}.expectStatus`, 'an HTTP status code 100..599');
  }
}

async function checkOne(dep: Dependency, dispatcher: Dispatcher | undefined): Promise<DependencyStatus> {
  const timeoutMs = dep.timeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const latency = () => Math.round((performance.now() - started) * 100) / 100;
  const base = { name: dep.name, url: dep.url };
  let httpStatus: number | null = null;
  try {
    const response = await request(dep.url, {
      method: 'GET',
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      ...(dispatcher ? { dispatcher } : {}),
    });
    httpStatus = response.statusCode;
    // Drain the body so the connection can be reused; its content does not matter.
    await response.body.dump();
  } catch (error) {
    const reason =
      signal.aborted || isTimeout(error) ? `no response within ${timeoutMs} ms` : describe(error);
    return { ...base, status: 'DOWN', httpStatus, latencyMs: latency(), error: reason };
  }
  const latencyMs = latency();
  const expected =
    dep.expectStatus === undefined ? httpStatus >= 200 && httpStatus < 300 : httpStatus === dep.expectStatus;
  if (!expected) {
    const wanted = dep.expectStatus === undefined ? '2xx' : String(dep.expectStatus);
    return {
      ...base,
      status: 'DOWN',
      httpStatus,
      latencyMs,
      error: `HTTP ${httpStatus}, expected ${wanted}`,
    };
  }
  return { ...base, status: 'UP', httpStatus, latencyMs };
}

const TIMEOUT_CODES = [
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
];

function isTimeout(error: unknown): boolean {
  return (
    TIMEOUT_CODES.includes(codeOf(error) ?? '') || (error instanceof Error && error.name === 'TimeoutError')
  );
}

/** The errno/undici code of an error, looking into `cause` and AggregateError (happy eyeballs). */
function codeOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return codeOf(error.errors[0]);
  return codeOf(error.cause);
}

function describe(error: unknown): string {
  const code = codeOf(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `connection closed before a response (${code})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${code})`;
    default: {
      const message = error instanceof Error ? error.message || error.name : String(error);
      return code ? `${message} (${code})` : message;
    }
  }
}
