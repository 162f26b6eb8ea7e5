import type { Metric } from '../../../spec/types.js';
import { MetricProviderError, ProviderHttpError, ProviderResponseError } from '../../errors.js';
import { type MeasureContext, type MetricProviderPlugin, providerConfig } from '../provider.js';
import {
  checkBoolean,
  checkHeaders,
  checkNumber,
  checkUrl,
  type HeaderEntry,
  headerRecord,
  httpRequest,
  isPlaceholder,
  isRecord,
  toBoolean,
  toNumber,
  unknownFields,
} from '../web/http.js';
import { evalTimeExpression, parseGoDuration } from './range-query.js';

/** Query timeout when `timeout` is unset, s (as Argo Rollouts). */
const DEFAULT_PROMETHEUS_TIMEOUT_SECONDS = 30;
/** Environment variables read when `address` is unset: cutover's, then Argo Rollouts'. */
const ADDRESS_ENV = ['CUTOVER_PROMETHEUS_ADDRESS', 'ARGO_ROLLOUTS_PROMETHEUS_ADDRESS'] as const;

/** The `prometheus` provider's configuration, as Argo Rollouts' `PrometheusMetric`. */
interface PrometheusMetricProvider {
  /** Base URL, e.g. `http://127.0.0.1:9090`; when unset, `$CUTOVER_PROMETHEUS_ADDRESS`. */
  address?: string;
  query: string;
  /** Seconds. @default 30 */
  timeout?: number | string;
  headers?: HeaderEntry[];
  /** Skip TLS verification. @default false */
  insecure?: boolean | string;
  authentication?: { basicAuth?: { username?: string; password?: string } };
  rangeQuery?: { start: string; end: string; step: string };
}

const KNOWN = ['address', 'query', 'timeout', 'headers', 'insecure', 'authentication', 'rangeQuery'] as const;

function validate(config: unknown, path: string): string[] {
  if (!isRecord(config)) return [`${path}: expected an object with address and query`];
  const problems = unknownFields(config, KNOWN, path);
  problems.push(...checkUrl(config.address, `${path}.address`, false));
  if (typeof config.query !== 'string' || config.query.trim() === '') {
    problems.push(`${path}.query: required (a PromQL expression)`);
  }
  problems.push(...checkNumber(config.timeout, `${path}.timeout`, 0, 'a number of seconds >= 0'));
  problems.push(...checkHeaders(config.headers, `${path}.headers`));
  problems.push(...checkBoolean(config.insecure, `${path}.insecure`));
  if (config.authentication !== undefined) {
    const at = `${path}.authentication`;
    const auth = config.authentication;
    if (!isRecord(auth)) problems.push(`${at}: expected {basicAuth: {username, password}}`);
    else {
      for (const key of Object.keys(auth)) {
        if (key !== 'basicAuth') {
          problems.push(
            `${at}.${key}: ${key === 'oauth2' || key === 'sigv4' ? 'not supported by cutover' : 'unknown field'} (supported: basicAuth)`,
          );
        }
      }
      const basic = auth.basicAuth;
      if (basic !== undefined) {
        if (!isRecord(basic)) problems.push(`${at}.basicAuth: expected {username, password}`);
        else {
          problems.push(...unknownFields(basic, ['username', 'password'], `${at}.basicAuth`));
          for (const key of ['username', 'password'] as const) {
            if (typeof basic[key] !== 'string') problems.push(`${at}.basicAuth.${key}: required (a string)`);
          }
        }
      }
    }
  }
  if (config.rangeQuery !== undefined) {
    const at = `${path}.rangeQuery`;
    const range = config.rangeQuery;
    if (!isRecord(range)) problems.push(`${at}: expected {start, end, step}`);
    else {
      problems.push(...unknownFields(range, ['start', 'end', 'step'], at));
      for (const key of ['start', 'end'] as const) {
        const value = range[key];
        if (typeof value !== 'string') problems.push(`${at}.${key}: required (a time such as now() - 5m)`);
        else if (!isPlaceholder(value)) {
          try {
            evalTimeExpression(value, 0);
          } catch (error) {
            problems.push(`${at}.${key}: ${(error as Error).message}`);
          }
        }
      }
      const step = range.step;
      if (typeof step !== 'string' || (!isPlaceholder(step) && !((parseGoDuration(step) ?? 0) > 0))) {
        problems.push(
          `${at}.step: expected a positive duration such as 30s or 1m, got ${JSON.stringify(step)}`,
        );
      }
    }
  }
  return problems;
}

/** A sample value as the Prometheus HTTP API encodes it: a string, with `NaN`, `+Inf`, `-Inf`. */
function sampleValue(pair: unknown): number {
  const text = Array.isArray(pair) ? pair[1] : undefined;
  if (typeof text !== 'string')
    throw new ProviderResponseError('prometheus', `unexpected sample ${JSON.stringify(pair)}`);
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** `data` of a successful response to `result` (see the provider's contract). */
function toResult(data: unknown): number | number[] {
  const resultType = isRecord(data) ? data.resultType : undefined;
  const result = isRecord(data) ? data.result : undefined;
  if (resultType === 'scalar') return sampleValue(result);
  if (resultType === 'vector' && Array.isArray(result)) {
    return result.map((sample: unknown) => {
      if (isRecord(sample) && sample.value === undefined && sample.histogram !== undefined) {
        throw new ProviderResponseError(
          'prometheus',
          'native histogram samples are not supported: aggregate them first',
        );
      }
      return sampleValue(isRecord(sample) ? sample.value : undefined);
    });
  }
  if (resultType === 'matrix' && Array.isArray(result)) {
    return result.flatMap((series: unknown) => {
      const values = isRecord(series) ? series.values : undefined;
      return Array.isArray(values) ? values.map(sampleValue) : [];
    });
  }
  throw new ProviderResponseError(
    'prometheus',
    `Prometheus metric type not supported: ${JSON.stringify(resultType)}`,
  );
}

async function measure(metric: Metric, ctx: MeasureContext): Promise<unknown> {
  const config = providerConfig<PrometheusMetricProvider>(metric, 'prometheus', validate);
  const address =
    config.address ?? ADDRESS_ENV.map((name) => process.env[name]).find((v) => v !== undefined && v !== '');
  if (address === undefined) {
    throw new MetricProviderError('prometheus', `address is not configured (set it, or ${ADDRESS_ENV[0]})`);
  }
  const headers = headerRecord(config.headers);
  const basic = config.authentication?.basicAuth;
  if (basic !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${basic.username ?? ''}:${basic.password ?? ''}`).toString('base64')}`;
  }
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const form = new URLSearchParams({ query: config.query });
  const now = Date.now();
  let endpoint = 'query';
  if (config.rangeQuery !== undefined) {
    endpoint = 'query_range';
    const at = (key: 'start' | 'end'): number => {
      try {
        return evalTimeExpression(config.rangeQuery?.[key] ?? '', now);
      } catch (error) {
        throw new MetricProviderError(
          'prometheus',
          `failed to parse rangeQuery.${key} as time: ${(error as Error).message}`,
        );
      }
    };
    form.set('start', String(at('start') / 1000));
    form.set('end', String(at('end') / 1000));
    form.set('step', String((parseGoDuration(config.rangeQuery.step) ?? 0) / 1000));
  } else {
    form.set('time', String(now / 1000));
  }
  const url = `${address.replace(/\/+$/, '')}/api/v1/${endpoint}`;
  const timeout = toNumber(config.timeout) ?? DEFAULT_PROMETHEUS_TIMEOUT_SECONDS;
  const response = await httpRequest('prometheus', url, {
    method: 'POST',
    headers,
    body: form.toString(),
    timeoutMs: (timeout > 0 ? timeout : DEFAULT_PROMETHEUS_TIMEOUT_SECONDS) * 1000,
    insecure: toBoolean(config.insecure) ?? false,
    signal: ctx.signal,
  });
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  if (isRecord(body) && body.status === 'error') {
    const errorType = typeof body.errorType === 'string' ? body.errorType : 'error';
    throw new ProviderResponseError('prometheus', `${errorType}: ${String(body.error)}`, {
      retryable: errorType !== 'bad_data',
    });
  }
  if (response.status < 200 || response.status >= 300 || !isRecord(body) || body.status !== 'success') {
    throw new ProviderHttpError(
      'prometheus',
      url,
      response.status < 200 || response.status >= 300
        ? `received non 2xx response code: ${response.status}: ${response.body.slice(0, 200).trim()}`
        : `not a Prometheus API response: ${response.body.slice(0, 200).trim()}`,
      { status: response.status },
    );
  }
  return toResult(body.data);
}

/**
 * The `prometheus` metric provider, as Argo Rollouts' (metricproviders/prometheus): evaluates
 * `query` against the Prometheus HTTP API (`/api/v1/query` at the current time, or
 * `/api/v1/query_range` with `rangeQuery`).
 *
 * `result` is a number for a scalar; a number[] for an instant vector, in Prometheus' order, `[]`
 * when it is empty (so conditions read `result[0]`, or `len(result) == 0 || ...`); for a range
 * query, the values of every series of the matrix, flattened in order (so conditions read
 * `all(result, {# < 1000})`). `NaN`, `+Inf`, `-Inf` are numbers.
 *
 * Fields: `address` (or `$CUTOVER_PROMETHEUS_ADDRESS`, or Argo's
 * `$ARGO_ROLLOUTS_PROMETHEUS_ADDRESS`), `query`, `timeout` (s, default 30), `headers: [{key, value}]`,
 * `authentication: {basicAuth: {username, password}}`, `insecure`, `rangeQuery: {start, end, step}`.
 *
 * Throws, so the measurement is Error: `CUTOVER_E_PROVIDER_HTTP` when Prometheus is unreachable,
 * times out or answers non-2xx; `CUTOVER_E_PROVIDER_RESPONSE` for `status: error` (e.g. a PromQL
 * syntax error, `bad_data`) or an unsupported result type (`string`).
 *
 * @example
 * ```yaml
 * provider:
 *   prometheus:
 *     address: http://127.0.0.1:9090
 *     query: sum(rate(http_errors_total{revision="{{args.canary-revision}}"}[1m]))
 * successCondition: len(result) == 0 || result[0] < 0.05
 * ```
 */
/** The query's own timeout, ms, so the runner does not cut a long `timeout` short. */
function timeoutMs(metric: Metric): number {
  const config = metric.provider.prometheus as PrometheusMetricProvider | undefined;
  return (toNumber(config?.timeout) ?? DEFAULT_PROMETHEUS_TIMEOUT_SECONDS) * 1000;
}

export const prometheusProvider: MetricProviderPlugin = { type: 'prometheus', validate, measure, timeoutMs };
