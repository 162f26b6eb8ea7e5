import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkMonitoringEndpoints } from './check-monitoring-endpoints.js';

describe('checkMonitoringEndpoints', () => {
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') res.end('# TYPE up gauge\nup 1\n');
      else if (req.url === '/stalled') setTimeout(() => res.end(), 5000);
      else res.writeHead(503).end('unavailable');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  it('should accept a 2xx answer and reject a 503, a stalled endpoint and a refused connection', async () => {
    const started = Date.now();
    const checks = await checkMonitoringEndpoints([
      `${base}/metrics`,
      `${base}/ready`,
      `${base}/stalled`,
      'http://127.0.0.1:1/metrics',
    ]);
    expect(checks.map(({ url, ok, status }) => ({ url, ok, status }))).toEqual([
      { url: `${base}/metrics`, ok: true, status: 200 },
      { url: `${base}/ready`, ok: false, status: 503 },
      { url: `${base}/stalled`, ok: false, status: null },
      { url: 'http://127.0.0.1:1/metrics', ok: false, status: null },
    ]);
    expect(checks[0]?.detail).toMatch(/^status 200 in \d+ ms$/);
    expect(checks[1]?.detail).toMatch(/^status 503 in \d+ ms, expected 2xx$/);
    expect(checks[2]?.detail).toBe('no answer within 2000 ms');
    expect(checks[3]?.detail).toMatch(/ECONNREFUSED/);
    // Checked in parallel: the stalled endpoint's 2 s is not added to the others'.
    expect(Date.now() - started).toBeLessThan(4000);
  });
});
