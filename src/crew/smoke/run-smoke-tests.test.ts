import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmokeTests } from './run-smoke-tests.js';

describe('runSmokeTests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-smoke-test-'));
  let server: Server;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/healthz') res.end('status: ok');
      else if (req.url === '/orders' && req.method === 'POST' && req.headers['x-token'] === 's3cret') {
        res.writeHead(201).end('created');
      } else if (req.url === '/slow') setTimeout(() => res.end('late'), 3000);
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('should pass HTTP tests whose status and body match', async () => {
    const report = await runSmokeTests(
      [
        { name: 'health', http: { path: '/healthz', bodyContains: 'ok' } },
        {
          name: 'order',
          http: { path: 'orders', method: 'POST', expectStatus: 201, headers: { 'x-token': 's3cret' } },
        },
        { name: 'head', http: { path: '/healthz', method: 'HEAD' } },
      ],
      { baseUrl: `${baseUrl}/` },
    );
    expect(report.passed).toBe(true);
    expect(report.results.map((result) => [result.name, result.passed, result.detail])).toEqual([
      ['health', true, 'GET /healthz: status 200'],
      ['order', true, 'POST orders: status 201'],
      ['head', true, 'HEAD /healthz: status 200'],
    ]);
  });

  it('should fail on a wrong status, a missing string, a timeout and a refused connection', async () => {
    const report = await runSmokeTests(
      [
        { name: 'status', http: { path: '/missing' } },
        { name: 'body', http: { path: '/healthz', bodyContains: 'version 2' } },
        { name: 'slow', http: { path: '/slow', timeoutMs: 300 } },
      ],
      { baseUrl },
    );
    expect(report.passed).toBe(false);
    expect(report.results.map((result) => result.detail)).toEqual([
      'GET /missing: status 404, expected 200',
      'GET /healthz: status 200, but the body does not contain "version 2"',
      'GET /slow: no answer within 300 ms',
    ]);
    expect(report.results[2]?.durationMs).toBeLessThan(2000);

    const refused = await runSmokeTests([{ name: 'down', http: { path: '/' } }], {
      baseUrl: 'http://127.0.0.1:1',
    });
    expect(refused.results[0]).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('should run a job test with SMOKE_BASE_URL that reaches the revision on loopback', async () => {
    const fetchHealth = `fetch(process.env.SMOKE_BASE_URL + '/healthz').then(async (r) => {
      const text = await r.text(); console.log(text); process.exit(text.includes('ok') ? 0 : 1);
    }, (e) => { console.error(e.message); process.exit(2); })`;
    const report = await runSmokeTests(
      [
        { name: 'job-ok', job: { command: [process.execPath, '-e', fetchHealth] } },
        {
          name: 'job-fails',
          job: { command: [process.execPath, '-e', 'console.error("nope"); process.exit(4)'] },
        },
      ],
      { baseUrl, tmpDir: dir },
    );
    expect(report.results[0]).toMatchObject({ name: 'job-ok', passed: true });
    expect(report.results[0]?.detail).toMatch(/^exit code 0; stdout: status: ok/);
    expect(report.results[1]).toMatchObject({
      name: 'job-fails',
      passed: false,
      detail: 'exit code 4; stderr: nope',
    });
    expect(report.passed).toBe(false);
  });
});
