import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutlierDetectionSpec } from '../dataplane/protocol.js';
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

/** An upstream answering `status`, counting what it received. */
async function replica(id: string, status: number) {
  const seen = { requests: 0 };
  const server = createServer((req, res) => {
    seen.requests++;
    req.resume();
    req.on('end', () => res.writeHead(status, { 'x-replica': id }).end(id));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { address: { id, host: '127.0.0.1', port: (server.address() as AddressInfo).port }, seen };
}

async function setUp(statuses: [number, number], outlierDetection: OutlierDetectionSpec) {
  const router = new Router();
  routers.push(router);
  const port = await freePort('127.0.0.1');
  await router.applyRollout('web', [{ port, backends: [{ revision: 1, weight: 100 }] }], {
    outlierDetection,
  });
  const a = await replica('web-r1-0', statuses[0]);
  const b = await replica('web-r1-1', statuses[1]);
  router.setEndpoints('web', 1, [a.address, b.address]);
  const send = async (n: number) => {
    const codes: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await request(`http://127.0.0.1:${port}/`);
      await res.body.text();
      codes.push(res.statusCode);
    }
    return codes;
  };
  return { router, a, b, send };
}

const ISTIO = {
  consecutive5xxErrors: 5,
  interval: '100ms',
  baseEjectionTime: '1s',
  maxEjectionPercent: 50,
  minHealthPercent: 30,
};

describe('outlier detection in the router (real sockets)', () => {
  it('should eject a replica after 5 consecutive 5xx and send it nothing during its ejection, then take it back', async () => {
    const { router, a, b, send } = await setUp([500, 200], ISTIO);
    await send(10); // round-robin: 5 to each, the 5th 500 ejects web-r1-0
    expect(a.seen.requests).toBe(5);
    const ejected = router.ejections('web');
    expect(ejected).toMatchObject([{ replica: 'web-r1-0', revision: 1, reason: '5 consecutive 5xx errors' }]);
    expect(ejected[0]!.until - ejected[0]!.at).toBe(1000);
    expect(await send(20)).toEqual(Array(20).fill(200));
    expect(a.seen.requests).toBe(5);
    expect(b.seen.requests).toBe(25);
    expect(router.metricsText()).toMatch(/cutover_router_outlier_ejections_total\{rollout="web"\} 1/);
    // Back after baseEjectionTime (at the next interval sweep); a second ejection lasts twice as long.
    await new Promise((r) => setTimeout(r, 1_200));
    await send(10);
    expect(a.seen.requests).toBe(10);
    const second = router.ejections('web')[1]!;
    expect(second.until - second.at).toBe(2000);
  });

  it('should keep both replicas in when both fail (minHealthPercent), and eject none', async () => {
    const { router, a, b, send } = await setUp([500, 503], ISTIO);
    await send(30);
    expect(router.ejections('web')).toEqual([]);
    expect(a.seen.requests).toBe(15);
    expect(b.seen.requests).toBe(15);
  });

  it('should eject on consecutive gateway errors only when consecutiveGatewayErrors is set', async () => {
    const gateway = { consecutive5xxErrors: 0, consecutiveGatewayErrors: 3, maxEjectionPercent: 50 };
    const { router, send } = await setUp([502, 200], gateway);
    await send(6);
    expect(router.ejections('web')).toMatchObject([
      { replica: 'web-r1-0', reason: '3 consecutive gateway errors' },
    ]);
    const plain500 = await setUp([500, 200], gateway);
    await plain500.send(20);
    expect(plain500.router.ejections('web')).toEqual([]);
  });

  it('should not bring back a replica that was drained while ejected', async () => {
    const { router, a, send } = await setUp([500, 200], ISTIO);
    await send(10);
    expect(router.ejections('web')).toHaveLength(1);
    await router.drainEndpoint('web-r1-0', 1_000);
    await new Promise((r) => setTimeout(r, 1_200)); // past its ejection time
    await send(10);
    expect(a.seen.requests).toBe(5);
  });
});
