import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];

afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function upstream(answer: boolean): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    if (answer) req.on('end', () => res.end('ok'));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe("a Rollout's upstream timeout and connect retries (real sockets)", () => {
  it('should answer 504 after the Rollout timeout when a replica hangs, counted as a proxy error', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    await router.applyRollout('web', [{ port, backends: [{ revision: 1, weight: 100 }] }], {
      timeoutMs: 500,
    });
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: await upstream(false) }]);
    const started = performance.now();
    const res = await request(`http://127.0.0.1:${port}/`);
    const body = await res.body.text();
    const elapsed = performance.now() - started;
    expect(res.statusCode).toBe(504);
    expect(body).toBe('upstream timed out\n');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_000);
    expect(router.stats('web', 1, 10, 0.5).status.proxyError).toBe(1);
    expect(router.timeoutMs('web')).toBe(500);
  });

  it('should retry a request refused by one replica on another, and the client sees 200, counted once', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    await router.applyRollout('web', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    const refused = await freePort('127.0.0.1');
    router.setEndpoints('web', 1, [
      { id: 'web-r1-0', host: '127.0.0.1', port: refused },
      { id: 'web-r1-1', host: '127.0.0.1', port: await upstream(true) },
    ]);
    for (let i = 0; i < 6; i++) {
      const res = await request(`http://127.0.0.1:${port}/`);
      expect(await res.body.text()).toBe('ok');
      expect(res.statusCode).toBe(200);
    }
    const stats = router.stats('web', 1, 10, 0.5);
    expect(stats.requests).toBe(6);
    expect(stats.errors).toBe(0);
  });
});
