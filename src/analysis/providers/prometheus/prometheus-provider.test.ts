import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Metric } from '../../../spec/types.js';
import { MetricProviderError, ProviderHttpError, ProviderResponseError } from '../../errors.js';
import type { AnalysisRun } from '../../types.js';
import { prometheusProvider } from './prometheus-provider.js';
import { evalTimeExpression, parseGoDuration } from './range-query.js';

const run: AnalysisRun = {
  name: 'r',
  rollout: 'app',
  revision: 2,
  revisions: { stable: 1, canary: 2 },
  kind: 'step',
  spec: { metrics: [] },
  status: { phase: 'Running', startedAt: 0, metricResults: [] },
};

/** A stand-in for the Prometheus HTTP API: answers by query text, records requests. */
describe('prometheusProvider (against a fake API)', () => {
  const seen: { url: string; headers: IncomingMessage['headers']; form: URLSearchParams }[] = [];
  const replies: Record<string, { status: number; body: unknown }> = {
    scalar: { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1, '0.25'] } } },
    vector: {
      status: 200,
      body: {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { a: '1' }, value: [1, '0.5'] },
            { metric: { a: '2' }, value: [1, 'NaN'] },
            { metric: { a: '3' }, value: [1, '+Inf'] },
          ],
        },
      },
    },
    empty: { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } },
    matrix: {
      status: 200,
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: {},
              values: [
                [1, '11'],
                [2, '12'],
              ],
            },
            {
              metric: {},
              values: [
                [1, '13'],
                [2, '14'],
              ],
            },
          ],
        },
      },
    },
    string: { status: 200, body: { status: 'success', data: { resultType: 'string', result: [1, 'x'] } } },
    'bad(': {
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'parse error: unexpected end of input' },
    },
    unavailable: { status: 503, body: 'upstream down' },
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      seen.push({ url: req.url ?? '', headers: req.headers, form });
      const reply = replies[form.get('query') ?? ''] ?? { status: 404, body: 'not found' };
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  let address = '';

  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  const measure = (prometheus: Record<string, unknown>) => {
    const metric: Metric = { name: 'm', provider: { prometheus } };
    return prometheusProvider.measure(metric, {
      run,
      signal: new AbortController().signal,
      stats: () => Promise.reject(new Error('unused')),
    });
  };

  it('should turn a scalar into a number and a vector into number[] in order', async () => {
    expect(await measure({ address, query: 'scalar' })).toBe(0.25);
    expect(await measure({ address, query: 'vector' })).toEqual([0.5, Number.NaN, Number.POSITIVE_INFINITY]);
    expect(await measure({ address, query: 'empty' })).toEqual([]);
  });

  it('should POST the query to /api/v1/query at the current time, with headers and basic auth', async () => {
    const before = Date.now() / 1000;
    await measure({
      address: `${address}/`,
      query: 'scalar',
      headers: [{ key: 'X-Scope-OrgID', value: 'tenant_a' }],
      authentication: { basicAuth: { username: 'grafana', password: 's3cret' } },
    });
    const request = seen.at(-1)!;
    expect(request.url).toBe('/api/v1/query');
    expect(request.headers['x-scope-orgid']).toBe('tenant_a');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('grafana:s3cret').toString('base64')}`);
    expect(Number(request.form.get('time'))).toBeGreaterThanOrEqual(before);
    expect(Number(request.form.get('time'))).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('should run a range query and flatten the matrix, as Argo', async () => {
    const now = Date.now() / 1000;
    expect(
      await measure({
        address,
        query: 'matrix',
        rangeQuery: { start: 'now() - duration("5m")', end: 'now()', step: '30s' },
      }),
    ).toEqual([11, 12, 13, 14]);
    const request = seen.at(-1)!;
    expect(request.url).toBe('/api/v1/query_range');
    const start = Number(request.form.get('start'));
    const end = Number(request.form.get('end'));
    expect(end - start).toBeCloseTo(300, 3);
    expect(end).toBeGreaterThanOrEqual(now);
    expect(request.form.get('step')).toBe('30');
  });

  it('should throw so the measurement is Error: API error, non-2xx, unsupported type, no address', async () => {
    const bad = measure({ address, query: 'bad(' });
    await expect(bad).rejects.toBeInstanceOf(ProviderResponseError);
    await expect(bad).rejects.toMatchObject({
      code: 'CUTOVER_E_PROVIDER_RESPONSE',
      retryable: false,
      message: 'prometheus: bad_data: parse error: unexpected end of input',
    });
    const down = measure({ address, query: 'unavailable' });
    await expect(down).rejects.toBeInstanceOf(ProviderHttpError);
    await expect(down).rejects.toMatchObject({
      status: 503,
      message: /non 2xx response code: 503: upstream down/,
    });
    await expect(measure({ address, query: 'string' })).rejects.toThrow(
      /metric type not supported: "string"/,
    );
    vi.stubEnv('CUTOVER_PROMETHEUS_ADDRESS', '');
    vi.stubEnv('ARGO_ROLLOUTS_PROMETHEUS_ADDRESS', '');
    try {
      await expect(measure({ query: 'scalar' })).rejects.toBeInstanceOf(MetricProviderError);
      vi.stubEnv('ARGO_ROLLOUTS_PROMETHEUS_ADDRESS', address);
      expect(await measure({ query: 'scalar' })).toBe(0.25);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('should validate the configuration with field paths and accept placeholders', () => {
    expect(
      prometheusProvider.validate(
        { address: '{{args.prom}}', query: 'up{job="{{args.job}}"}', timeout: '{{args.t}}', insecure: true },
        'p',
      ),
    ).toEqual([]);
    expect(
      prometheusProvider.validate(
        {
          address: 'prometheus:9090',
          timeout: -20,
          authentication: { basicAuth: { username: 'u' }, oauth2: {} },
          rangeQuery: { start: 'now() + now()', end: 'now()', step: '0s' },
        },
        'spec.metrics[0].provider.prometheus',
      ),
    ).toEqual([
      'spec.metrics[0].provider.prometheus.address: expected an http:// or https:// URL, got "prometheus:9090"',
      'spec.metrics[0].provider.prometheus.query: required (a PromQL expression)',
      'spec.metrics[0].provider.prometheus.timeout: expected a number of seconds >= 0, got -20',
      'spec.metrics[0].provider.prometheus.authentication.oauth2: not supported by cutover (supported: basicAuth)',
      'spec.metrics[0].provider.prometheus.authentication.basicAuth.password: required (a string)',
      'spec.metrics[0].provider.prometheus.rangeQuery.start: cannot add two times in "now() + now()"',
      'spec.metrics[0].provider.prometheus.rangeQuery.step: expected a positive duration such as 30s or 1m, got "0s"',
    ]);
  });
});

describe('range query times', () => {
  const now = Date.UTC(2023, 7, 14);

  it.each([
    ['now()', now],
    ['now() - duration("1h")', now - 3_600_000],
    ["now() - duration('5m')", now - 300_000],
    ['now() - 5m', now - 300_000],
    ['now() - 1h30m + 10s', now - 5_390_000],
    ['date("2023-08-14T00:00:00Z") - duration("1h")', now - 3_600_000],
    ['duration("-5m") + now()', now - 300_000],
  ])('should evaluate %s', (text, expected) => {
    expect(evalTimeExpression(text, now)).toBe(expected);
  });

  it.each([
    ['now() - duration("??")', /invalid duration "\?\?"/],
    ['5m', /is a duration, expected a time/],
    ['now() now()', /expected \+ or -/],
    ['now() -', /incomplete/],
    ['date("yesterday")', /invalid date/],
  ])('should refuse %s', (text, message) => {
    expect(() => evalTimeExpression(text, now)).toThrow(message);
  });

  it('should parse Go durations as time.ParseDuration', () => {
    expect(parseGoDuration('1m')).toBe(60_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('300ms')).toBe(300);
    expect(parseGoDuration('2h45m30.5s')).toBe(9_930_500);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('1d')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
});
