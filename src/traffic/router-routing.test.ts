import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(routers.splice(0).map((r) => r.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

function upstream(version: string): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'x-version': version }).end(version));
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function freeListenPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('Router (header routes)', () => {
  it('should send every request with x-canary: yes to the canary at weight 0, on one keep-alive connection too', async () => {
    const router = new Router();
    routers.push(router);
    const listen = await freeListenPort();
    const match = [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }];
    await router.applyRollout('web', [
      {
        port: listen,
        backends: [{ revision: 1, weight: 100 }],
        headerRoutes: [{ name: 'testers', match, revision: 2 }],
      },
    ]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: await upstream('v1') }]);
    router.setEndpoints('web', 2, [{ id: 'web-r2-0', host: '127.0.0.1', port: await upstream('v2') }]);
    const dispatcher = new Agent({ connections: 1 });
    agents.push(dispatcher);
    const url = `http://127.0.0.1:${listen}/`;
    const seen: string[] = [];
    for (let i = 0; i < 20; i++) {
      // Alternating on one connection: each request is routed on its own headers.
      const headers: Record<string, string> = i % 2 === 0 ? { 'x-CANARY': 'yes' } : { 'x-canary': 'no' };
      const res = await request(url, { dispatcher, headers });
      seen.push(await res.body.text());
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'v2' : 'v1')));
    expect(router.stats('web', 2, 60, 0.5).requests).toBe(10);
    expect(router.listeners('web')[0]?.headerRoutes).toEqual([{ name: 'testers', match, revision: 2 }]);

    // Removing the route sends everyone back to the weights.
    await router.applyRollout('web', [{ port: listen, backends: [{ revision: 1, weight: 100 }] }]);
    const res = await request(url, { dispatcher, headers: { 'x-canary': 'yes' } });
    expect(await res.body.text()).toBe('v1');
    expect(router.listeners('web')[0]?.headerRoutes).toBeUndefined();
  });

  it('should match a regex route against the user agent and leave other clients on the weights', async () => {
    const router = new Router();
    routers.push(router);
    const listen = await freeListenPort();
    await router.applyRollout('web', [
      {
        port: listen,
        backends: [{ revision: 1, weight: 100 }],
        headerRoutes: [
          {
            name: 'ff',
            match: [{ headerName: 'user-agent', headerValue: { regex: 'Firefox/\\d+' } }],
            revision: 2,
          },
        ],
      },
    ]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: await upstream('v1') }]);
    router.setEndpoints('web', 2, [{ id: 'web-r2-0', host: '127.0.0.1', port: await upstream('v2') }]);
    const url = `http://127.0.0.1:${listen}/`;
    const ff = await request(url, { headers: { 'user-agent': 'Mozilla/5.0 Firefox/120.0' } });
    expect(await ff.body.text()).toBe('v2');
    const curl = await request(url, { headers: { 'user-agent': 'curl/8.5' } });
    expect(await curl.body.text()).toBe('v1');
  });
});

describe('Router (experiment replica sets)', () => {
  it('should route weights to a set of a revision apart from its own set, with its own statistics', async () => {
    const router = new Router();
    routers.push(router);
    const listen = await freeListenPort();
    await router.applyRollout('web', [
      {
        port: listen,
        backends: [
          { revision: 1, weight: 50 },
          { revision: 1, set: 'web-r2-s0-baseline', weight: 50 },
        ],
      },
    ]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: await upstream('stable') }]);
    router.setEndpoints(
      'web',
      1,
      [{ id: 'web-r2-s0-baseline-0', host: '127.0.0.1', port: await upstream('baseline') }],
      'web-r2-s0-baseline',
    );
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await request(`http://127.0.0.1:${listen}/`);
      seen.push(await res.body.text());
    }
    expect(seen.filter((v) => v === 'baseline')).toHaveLength(5);
    expect(router.stats('web', 1, 60, 0.5).requests).toBe(5);
    expect(router.stats('web', 1, 60, 0.5, 'web-r2-s0-baseline')).toMatchObject({
      requests: 5,
      set: 'web-r2-s0-baseline',
    });
    // The per-revision stream leaves the set out; the Prometheus series carry its name.
    expect(router.second(Math.floor(Date.now() / 1000)).every((r) => r.revision === 1)).toBe(true);
    expect(router.metricsText()).toContain('revision="1",set="web-r2-s0-baseline"');
  });
});
