import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../../spec/types.js';
import { ProviderHttpError, ProviderResponseError } from '../../errors.js';
import { measurementFromValue } from '../../measurement.js';
import type { AnalysisRun } from '../../types.js';
import { webProvider } from './web-provider.js';

const run: AnalysisRun = {
  name: 'r',
  rollout: 'app',
  revision: 2,
  revisions: { stable: 1, canary: 2 },
  kind: 'step',
  spec: { metrics: [] },
  status: { phase: 'Running', startedAt: 0, metricResults: [] },
};

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Answers each path with a fixed status and body, and records what it received. */
function answers(routes: Record<string, { status: number; body: string; delayMs?: number }>) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const route = routes[(req.url ?? '').split('?')[0] ?? ''] ?? { status: 404, body: 'no route' };
      setTimeout(() => res.writeHead(route.status).end(route.body), route.delayMs ?? 0);
    });
  });
  return { server, seen };
}

describe('webProvider', () => {
  const { server, seen } = answers({
    '/ok': { status: 200, body: '{"data": {"ok": true, "successPercent": 0.95}}' },
    '/items': { status: 200, body: '{"items": [{"x": 0.5}, {"x": 0.9}], "n": 3}' },
    '/string': { status: 200, body: '{"key": [{"key2": {"value": "1.2"}}]}' },
    '/text': { status: 200, body: 'all good\n' },
    '/empty': { status: 200, body: '' },
    '/down': { status: 503, body: 'maintenance' },
    '/slow': { status: 200, body: '1', delayMs: 2_000 },
  });
  let base = '';

  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  const metricOf = (web: Record<string, unknown>, conditions: Partial<Metric> = {}): Metric => ({
    name: 'web',
    ...conditions,
    provider: { web },
  });
  const measure = (web: Record<string, unknown>, signal = new AbortController().signal) =>
    webProvider.measure(metricOf(web), { run, signal, stats: () => Promise.reject(new Error('unused')) });

  it('should GET the url with the headers and return the whole JSON body by default', async () => {
    const value = await measure({
      url: `${base}/ok?service=a`,
      headers: [
        { key: 'Authorization', value: 'Bearer t0ken' },
        { key: 'X-Scope-OrgID', value: 'tenant_a' },
      ],
    });
    expect(value).toEqual({ data: { ok: true, successPercent: 0.95 } });
    const request = seen.at(-1)!;
    expect(request).toMatchObject({ method: 'GET', url: '/ok?service=a', body: '' });
    expect(request.headers.authorization).toBe('Bearer t0ken');
    expect(request.headers['x-scope-orgid']).toBe('tenant_a');
  });

  it('should give the first match of jsonPath, keeping numbers and strings as JSON has them', async () => {
    expect(await measure({ url: `${base}/ok`, jsonPath: '{$.data.successPercent}' })).toBe(0.95);
    expect(await measure({ url: `${base}/ok`, jsonPath: '{$.data.ok}' })).toBe(true);
    expect(await measure({ url: `${base}/items`, jsonPath: '{$.items[*].x}' })).toBe(0.5);
    expect(await measure({ url: `${base}/items`, jsonPath: '{$.items[-1].x}' })).toBe(0.9);
    expect(await measure({ url: `${base}/string`, jsonPath: '{$.key[0].key2.value}' })).toBe('1.2');
  });

  it('should judge the extracted value with the conditions, as Argo', async () => {
    const metric = metricOf(
      { url: `${base}/ok`, jsonPath: '{$.data}' },
      { successCondition: 'result.ok && result.successPercent >= 0.90' },
    );
    const ctx = {
      run,
      signal: new AbortController().signal,
      stats: () => Promise.reject(new Error('unused')),
    };
    const value = await webProvider.measure(metric, ctx);
    expect(measurementFromValue(metric, value, 0, 1)).toMatchObject({
      phase: 'Successful',
      value: '{"ok":true,"successPercent":0.95}',
    });
    const failing = { ...metric, successCondition: 'result.successPercent >= 0.99' };
    expect(measurementFromValue(failing, value, 0, 1).phase).toBe('Failed');
  });

  it('should POST jsonBody as JSON and PUT a string body as is', async () => {
    await measure({
      url: `${base}/ok`,
      method: 'POST',
      headers: [{ key: 'content-type', value: 'text/plain' }],
      jsonBody: { key: 'value', n: [1, 2] },
    });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"key":"value","n":[1,2]}' });
    expect(seen.at(-1)!.headers['content-type']).toBe('application/json');
    await measure({ url: `${base}/ok`, method: 'PUT', body: 'raw=1' });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', body: 'raw=1' });
  });

  it('should give the raw text of a body that is not JSON, Successful without the conditions (as Argo)', async () => {
    const metric = metricOf({ url: `${base}/text` }, { successCondition: 'result == "nope"' });
    const ctx = {
      run,
      signal: new AbortController().signal,
      stats: () => Promise.reject(new Error('unused')),
    };
    const measurement = measurementFromValue(metric, await webProvider.measure(metric, ctx), 0, 1);
    expect(measurement).toMatchObject({ phase: 'Successful', value: 'all good\n' });
    const empty = metricOf({ url: `${base}/empty` });
    expect(measurementFromValue(empty, await webProvider.measure(empty, ctx), 0, 1)).toMatchObject({
      phase: 'Successful',
      value: '',
    });
  });

  it('should throw a CUTOVER_E_PROVIDER_HTTP error for a non-2xx status, unreachable host or timeout', async () => {
    const down = measure({ url: `${base}/down` });
    await expect(down).rejects.toBeInstanceOf(ProviderHttpError);
    await expect(down).rejects.toMatchObject({
      code: 'CUTOVER_E_PROVIDER_HTTP',
      status: 503,
      retryable: true,
      message: 'web: received non 2xx response code: 503',
    });
    await expect(measure({ url: `${base}/nowhere` })).rejects.toMatchObject({
      status: 404,
      retryable: false,
    });

    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    await expect(measure({ url: `http://127.0.0.1:${port}/` })).rejects.toMatchObject({
      code: 'CUTOVER_E_PROVIDER_HTTP',
      message: expect.stringMatching(/ECONNREFUSED/),
    });

    const started = Date.now();
    await expect(measure({ url: `${base}/slow`, timeoutSeconds: 0.3 })).rejects.toMatchObject({
      code: 'CUTOVER_E_PROVIDER_HTTP',
      message: expect.stringMatching(/timed out after 0\.3 s/),
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('should throw CUTOVER_E_PROVIDER_RESPONSE when jsonPath finds nothing', async () => {
    const missing = measure({ url: `${base}/ok`, jsonPath: '{$.data.novalue}' });
    await expect(missing).rejects.toBeInstanceOf(ProviderResponseError);
    await expect(missing).rejects.toThrow(/Could not find JSONPath in body: .*novalue is not found/);
    await expect(measure({ url: `${base}/items`, jsonPath: '{$.nothing[*]}' })).rejects.toThrow(/not found/);
  });

  it('should stop when the runner aborts the measurement', async () => {
    const controller = new AbortController();
    const pending = measure({ url: `${base}/slow` }, controller.signal);
    setTimeout(() => controller.abort(new Error('runner timeout')), 100);
    await expect(pending).rejects.toBeInstanceOf(ProviderHttpError);
  });

  it('should validate the configuration with field paths and accept placeholders', () => {
    expect(
      webProvider.validate({ url: 'http://x/{{args.path}}', timeoutSeconds: '{{args.t}}' }, 'p'),
    ).toEqual([]);
    expect(
      webProvider.validate({ url: '{{args.url}}', insecure: 'true', timeoutSeconds: '20' }, 'p'),
    ).toEqual([]);
    expect(
      webProvider.validate(
        {
          url: 'ftp://x',
          method: 'DELETE',
          headers: [{ key: 'Bad Header', value: 'a\nb' }, 'x'],
          timeoutSeconds: -1,
          jsonPath: '{$.a[?(@.b)]}',
          insecure: 'yes',
          extra: 1,
        },
        'spec.metrics[0].provider.web',
      ),
    ).toEqual([
      'spec.metrics[0].provider.web.extra: unknown field (expected url, method, headers, body, jsonBody, timeoutSeconds, jsonPath, insecure)',
      'spec.metrics[0].provider.web.url: expected an http:// or https:// URL, got "ftp://x"',
      'spec.metrics[0].provider.web.method: expected one of GET, POST, PUT, got "DELETE"',
      'spec.metrics[0].provider.web.headers[0].key: expected an HTTP header name, got "Bad Header"',
      'spec.metrics[0].provider.web.headers[0].value: must not contain CR, LF or NUL',
      'spec.metrics[0].provider.web.headers[1]: expected {key, value}',
      'spec.metrics[0].provider.web.timeoutSeconds: expected a number of seconds >= 0, got -1',
      'spec.metrics[0].provider.web.jsonPath: filters [?(...)] are not supported at column 5 of "{$.a[?(@.b)]}"',
      'spec.metrics[0].provider.web.insecure: expected true or false, got "yes"',
    ]);
    expect(webProvider.validate({}, 'p')).toEqual(['p.url: required (an http:// or https:// URL)']);
    expect(webProvider.validate({ url: 'http://x', body: 'a' }, 'p')).toEqual([
      'p.body: a request body needs method POST or PUT',
    ]);
    expect(webProvider.validate({ url: 'http://x', method: 'POST', body: 'a', jsonBody: {} }, 'p')).toEqual([
      'p.jsonBody: use either body or jsonBody, not both',
    ]);
  });
});
