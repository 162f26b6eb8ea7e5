import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionPoolSpec } from '../dataplane/protocol.js';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** An upstream answering after `delayMs`, recording its open connections and their source ports. */
async function upstream(delayMs: number) {
  const seen = { open: 0, maxOpen: 0, ports: [] as number[] };
  const server = createServer((req, res) => {
    seen.ports.push(req.socket.remotePort!);
    req.resume();
    setTimeout(() => res.end('ok'), delayMs);
  });
  server.on('connection', (socket) => {
    seen.open++;
    seen.maxOpen = Math.max(seen.maxOpen, seen.open);
    socket.on('close', () => seen.open--);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, seen };
}

async function routerWith(pool: ConnectionPoolSpec, upstreamPort: number) {
  const router = new Router();
  routers.push(router);
  const port = await freePort('127.0.0.1');
  await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }], {
    connectionPool: pool,
  });
  router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: upstreamPort }]);
  return { router, url: `http://127.0.0.1:${port}/` };
}

describe('connection pool limits (spec.trafficPolicy.connectionPool) through the router (real sockets)', () => {
  it('should queue requests over maxConnections, and answer 503 x-cutover-overflow beyond http1MaxPendingRequests', async () => {
    const up = await upstream(300);
    const { router, url } = await routerWith({ maxConnections: 2, http1MaxPendingRequests: 3 }, up.port);
    // Ten clients at once, each on its own connection to the router.
    const agent = new Agent({ connections: 20 });
    agents.push(agent);
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await request(url, { dispatcher: agent });
        await res.body.text();
        return { status: res.statusCode, overflow: res.headers['x-cutover-overflow'] };
      }),
    );
    // 2 served at once, 3 waited for their connections, 5 overflowed at once.
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.status === 503 && r.overflow === 'true')).toHaveLength(5);
    expect(up.seen.maxOpen).toBeLessThanOrEqual(2);
    const stats = router.stats('chat', 1, 60, 0.5);
    expect(stats.status.proxyError).toBe(5);
    expect(stats.status['2xx']).toBe(5);
    expect(router.metricsText()).toContain(
      'cutover_router_pending_requests{rollout="chat",revision="1"} 0\n',
    );
  });

  it('should close an upstream connection after maxRequestsPerConnection requests', async () => {
    const up = await upstream(0);
    const { url } = await routerWith({ maxRequestsPerConnection: 2 }, up.port);
    for (let i = 0; i < 6; i++) await (await request(url)).body.text();
    expect(new Set(up.seen.ports).size).toBe(3);
  });

  it('should answer a request waiting in the queue past its timeout with 504', async () => {
    const up = await upstream(3_000);
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }], {
      connectionPool: { maxConnections: 1 },
      timeoutMs: 500,
    });
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: up.port }]);
    const agent = new Agent({ connections: 4 });
    agents.push(agent);
    const statuses = await Promise.all(
      [0, 1].map(async () => {
        const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
        await res.body.text();
        return res.statusCode;
      }),
    );
    expect(statuses).toEqual([504, 504]);
  });
});
