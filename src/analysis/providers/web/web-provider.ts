import type { Metric } from '../../../spec/types.js';
import { ProviderHttpError, ProviderResponseError } from '../../errors.js';
import { type MeasureContext, type MetricProviderPlugin, providerConfig, verdict } from '../provider.js';
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
} from './http.js';
import { compileJsonPath, DEFAULT_JSON_PATH, findJsonPath } from './json-path.js';

/** HTTP methods of Argo Rollouts' WebMetricMethod. */
const WEB_METHODS = ['GET', 'POST', 'PUT'] as const;
/** Request timeout when `timeoutSeconds` is unset or not positive, s (as Argo Rollouts). */
const DEFAULT_WEB_TIMEOUT_SECONDS = 10;

/** The `web` provider's configuration, as Argo Rollouts' `WebMetric`. */
interface WebMetricProvider {
  url: string;
  /** @default "GET" */
  method?: (typeof WEB_METHODS)[number];
  headers?: HeaderEntry[];
  /** Request body sent as is (POST / PUT only). */
  body?: string;
  /** Request body sent as JSON with `Content-Type: application/json` (POST / PUT only). */
  jsonBody?: unknown;
  /** Seconds; 0 or unset means {@link DEFAULT_WEB_TIMEOUT_SECONDS}. */
  timeoutSeconds?: number | string;
  /** Kubernetes JSONPath; the first match is `result`. @default "{$}" */
  jsonPath?: string;
  /** Skip TLS verification. @default false */
  insecure?: boolean | string;
}

const KNOWN = [
  'url',
  'method',
  'headers',
  'body',
  'jsonBody',
  'timeoutSeconds',
  'jsonPath',
  'insecure',
] as const;

function validate(config: unknown, path: string): string[] {
  if (!isRecord(config)) return [`${path}: expected an object with url (and method, headers, jsonPath...)`];
  const problems = unknownFields(config, KNOWN, path);
  problems.push(...checkUrl(config.url, `${path}.url`, true));
  const method = config.method ?? 'GET';
  if (!isPlaceholder(method) && !(WEB_METHODS as readonly unknown[]).includes(method)) {
    problems.push(`${path}.method: expected one of ${WEB_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  problems.push(...checkHeaders(config.headers, `${path}.headers`));
  if (config.body !== undefined && typeof config.body !== 'string') {
    problems.push(
      `${path}.body: expected a string (use jsonBody for an object), got ${JSON.stringify(config.body)}`,
    );
  }
  const hasBody = (config.body !== undefined && config.body !== '') || config.jsonBody !== undefined;
  if (config.body !== undefined && config.body !== '' && config.jsonBody !== undefined) {
    problems.push(`${path}.jsonBody: use either body or jsonBody, not both`);
  } else if (hasBody && method === 'GET') {
    const field = config.jsonBody !== undefined ? 'jsonBody' : 'body';
    problems.push(`${path}.${field}: a request body needs method POST or PUT`);
  }
  problems.push(
    ...checkNumber(config.timeoutSeconds, `${path}.timeoutSeconds`, 0, 'a number of seconds >= 0'),
  );
  if (config.jsonPath !== undefined && !isPlaceholder(config.jsonPath)) {
    if (typeof config.jsonPath !== 'string') {
      problems.push(`${path}.jsonPath: expected a JSONPath such as {$.data.value}`);
    } else {
      try {
        compileJsonPath(config.jsonPath);
      } catch (error) {
        problems.push(`${path}.jsonPath: ${(error as Error).message}`);
      }
    }
  }
  problems.push(...checkBoolean(config.insecure, `${path}.insecure`));
  return problems;
}

async function measure(metric: Metric, ctx: MeasureContext): Promise<unknown> {
  const config = providerConfig<WebMetricProvider>(metric, 'web', validate);
  const seconds = toNumber(config.timeoutSeconds) ?? 0;
  const headers = headerRecord(config.headers);
  let body: string | undefined;
  if (config.jsonBody !== undefined) {
    body = JSON.stringify(config.jsonBody);
    // Set after the user's headers, as Argo Rollouts does.
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-type') delete headers[key];
    headers['Content-Type'] = 'application/json';
  } else if (config.body !== undefined && config.body !== '') {
    body = config.body;
  }
  const response = await httpRequest('web', config.url, {
    method: config.method ?? 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
    timeoutMs: (seconds > 0 ? seconds : DEFAULT_WEB_TIMEOUT_SECONDS) * 1000,
    insecure: toBoolean(config.insecure) ?? false,
    signal: ctx.signal,
  });
  if (response.status < 200 || response.status >= 300) {
    throw new ProviderHttpError('web', config.url, `received non 2xx response code: ${response.status}`, {
      status: response.status,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(response.body);
  } catch {
    // As Argo Rollouts: a body that is not JSON is the value, and the measurement is Successful
    // without evaluating the conditions.
    return verdict('Successful', response.body, 'response is not JSON: conditions not evaluated');
  }
  const jsonPath = compileJsonPath(config.jsonPath ?? DEFAULT_JSON_PATH);
  let matches: unknown[];
  try {
    matches = findJsonPath(jsonPath, data);
  } catch (error) {
    throw new ProviderResponseError('web', `Could not find JSONPath in body: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (matches.length === 0) throw new ProviderResponseError('web', 'result of web metric produced no value');
  return matches[0];
}

/**
 * The `web` metric provider, as Argo Rollouts' (metricproviders/webmetric): one HTTP request per
 * measurement.
 *
 * - `method` GET (default), POST or PUT; `body` (a string) or `jsonBody` (any YAML value, sent as
 *   JSON with `Content-Type: application/json`) only with POST / PUT, never both;
 * - `headers: [{key, value}]`; `timeoutSeconds` (default 10 s); `insecure: true` skips TLS
 *   verification;
 * - a status other than 2xx, a connection error or a timeout is a measurement **Error**
 *   (`CUTOVER_E_PROVIDER_HTTP`);
 * - a JSON body: `result` is the **first** value `jsonPath` selects (default `{$}`, the whole
 *   body; numbers stay numbers, objects stay objects); no match is an Error
 *   (`CUTOVER_E_PROVIDER_RESPONSE`);
 * - any other body (including an empty one): `result` is the raw text and, as in Argo Rollouts,
 *   the measurement is **Successful** without evaluating the conditions.
 *
 * @example
 * ```yaml
 * provider:
 *   web:
 *     url: http://127.0.0.1:8080/quality?revision={{args.canary-revision}}
 *     headers: [{key: Authorization, value: "Bearer {{args.token}}"}]
 *     jsonPath: "{$.data.score}"
 * successCondition: result >= 0.9
 * ```
 */
/** The request's own timeout, ms, so the runner does not cut a long `timeoutSeconds` short. */
function timeoutMs(metric: Metric): number {
  const seconds = toNumber((metric.provider.web as WebMetricProvider | undefined)?.timeoutSeconds) ?? 0;
  return (seconds > 0 ? seconds : DEFAULT_WEB_TIMEOUT_SECONDS) * 1000;
}

export const webProvider: MetricProviderPlugin = { type: 'web', validate, measure, timeoutMs };
