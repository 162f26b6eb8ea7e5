import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import { checkDependencies } from './dependency-check.js';
import { DependencyCheckInputError } from './errors.js';

describe('checkDependencies', () => {
  let server: Server;
  let base: string;
  let closedPortUrl: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/healthz') res.end('ok');
      else if (req.url === '/created') res.writeHead(201).end();
      else if (req.url === '/unavailable') res.writeHead(503).end('down for maintenance');
      else if (req.url === '/slow') {
        // Never answers; the client's timeout has to end the check.
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port that was just free and is now closed: connections to it are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPortUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/healthz`;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('should report a dependency that answers 2xx as UP and the report as healthy', async () => {
    const report = await checkDependencies([{ name: 'api', url: `${base}/healthz` }], {
      clock: new SimulatedClock(42),
    });

    expect(report.checkedAt).toBe(42);
    expect(report.healthy).toBe(true);
    expect(report.dependencies).toEqual([
      { name: 'api', url: `${base}/healthz`, status: 'UP', httpStatus: 200, latencyMs: expect.any(Number) },
    ]);
    expect(report.dependencies[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('should report a refused connection as DOWN with a readable error', async () => {
    const report = await checkDependencies([
      { name: 'api', url: `${base}/healthz` },
      { name: 'payments', url: closedPortUrl },
    ]);

    expect(report.healthy).toBe(false);
    expect(report.dependencies[0]!.status).toBe('UP');
    expect(report.dependencies[1]).toMatchObject({
      name: 'payments',
      status: 'DOWN',
      httpStatus: null,
      error: 'connection refused (ECONNREFUSED)',
    });
  });

  it('should report a dependency that does not answer within its timeout as DOWN, checking all in parallel', async () => {
    const started = performance.now();
    const report = await checkDependencies([
      { name: 'slow-a', url: `${base}/slow`, timeoutMs: 500 },
      { name: 'slow-b', url: `${base}/slow`, timeoutMs: 500 },
      { name: 'slow-c', url: `${base}/slow`, timeoutMs: 500 },
      { name: 'slow-d', url: `${base}/slow`, timeoutMs: 500 },
    ]);
    const elapsed = performance.now() - started;

    expect(report.healthy).toBe(false);
    for (const dep of report.dependencies) {
      expect(dep).toMatchObject({ status: 'DOWN', httpStatus: null, error: 'no response within 500 ms' });
      expect(dep.latencyMs).toBeGreaterThanOrEqual(450);
    }
    // Sequential checks would take at least 2000 ms.
    expect(elapsed).toBeLessThan(1_500);
  });

  it('should judge the status against expectStatus, or any 2xx by default', async () => {
    const report = await checkDependencies([
      { name: 'maintenance', url: `${base}/unavailable` },
      { name: 'expects-204', url: `${base}/created`, expectStatus: 204 },
      { name: 'expects-503', url: `${base}/unavailable`, expectStatus: 503 },
      { name: 'created', url: `${base}/created` },
    ]);

    expect(report.dependencies.map((d) => [d.name, d.status, d.httpStatus, d.error])).toEqual([
      ['maintenance', 'DOWN', 503, 'HTTP 503, expected 2xx'],
      ['expects-204', 'DOWN', 201, 'HTTP 201, expected 204'],
      ['expects-503', 'UP', 503, undefined],
      ['created', 'UP', 201, undefined],
    ]);
  });

  it('should report an empty list as healthy', async () => {
    expect(await checkDependencies([])).toMatchObject({ healthy: true, dependencies: [] });
  });

  it('should reject an invalid entry naming its field', async () => {
    await expect(
      checkDependencies([{ name: 'a', url: `${base}/healthz`, timeoutMs: 0 }]),
    ).rejects.toMatchObject({
      code: 'CUTOVER_E_DEPENDENCY_CHECK_INPUT',
      field: 'dependencies[0].timeoutMs',
    });
    await expect(
      checkDependencies([
        { name: 'a', url: `${base}/healthz` },
        { name: 'b', url: 'ftp://127.0.0.1/x' },
      ]),
    ).rejects.toThrow(DependencyCheckInputError);
  });
});
