import { request } from 'undici';

/** Time an endpoint has to answer, ms. */
const MONITORING_TIMEOUT_MS = 2000;

/** Whether one monitoring endpoint answered. */
export interface MonitoringEndpointCheck {
  url: string;
  /** A 2xx status within 2 s. */
  ok: boolean;
  /** Status code, or `null` when there was no answer. */
  status: number | null;
  /** Status and time, or why there was no answer. */
  detail: string;
}

async function checkOne(url: string): Promise<MonitoringEndpointCheck> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(MONITORING_TIMEOUT_MS);
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { 'user-agent': 'cutover-smoke/1' },
      signal: timeout,
      reset: true,
    });
    // The whole body within the limit: a /metrics that stalls mid-scrape is not healthy.
    await response.body.dump({ limit: 2 ** 30, signal: timeout });
    const status = response.statusCode;
    const ms = Math.round(performance.now() - started);
    const ok = status >= 200 && status < 300;
    return { url, ok, status, detail: `status ${status} in ${ms} ms${ok ? '' : ', expected 2xx'}` };
  } catch (error) {
    const detail = timeout.aborted
      ? `no answer within ${MONITORING_TIMEOUT_MS} ms`
      : error instanceof Error
        ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
        : String(error);
    return { url, ok: false, status: null, detail };
  }
}

/**
 * Checks that monitoring endpoints (the data plane's `/metrics`, a Prometheus `/-/ready`, ...)
 * answer a GET with a 2xx status and the whole body within 2 s each. Checked in parallel; never
 * throws; results in the order of `urls`.
 *
 * @example
 * ```ts
 * const [metrics] = await checkMonitoringEndpoints(['http://127.0.0.1:9464/metrics']);
 * if (!metrics?.ok) console.error(metrics?.detail);
 * ```
 */
export function checkMonitoringEndpoints(urls: readonly string[]): Promise<MonitoringEndpointCheck[]> {
  return Promise.all(urls.map(checkOne));
}
