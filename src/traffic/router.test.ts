import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../platform/local/free-port.js';
import { PortInUseError } from './errors.js';
import { Router } from './router.js';
import { RouterFixtures } from './router-fixtures.test-helper.js';
import { steadyLoad, waitFor } from './steady-load.test-helper.js';

const fixtures = new RouterFixtures();
afterEach(() => fixtures.close());

function upstream(version: string, handler?: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(
    handler ??
      ((req, res) => {
        req.resume();
        req.on('end', () =>
          res
            .writeHead(200, { 'x-version': version, 'content-type': 'text/plain' })
            .end(`hello from ${version}\n`),
        );
      }),
  );
  return fixtures.listen(server);
}

/** A router splitting `web` 50/50 between revision 1 on `first` and revision 2 on `second`; its listen port. */
async function fiftyFifty(first: number, second: number): Promise<{ router: Router; listen: number }> {
  const router = newRouter();
  const listen = await freePort();
  await router.applyRollout('web', [
    {
      port: listen,
      backends: [
        { revision: 1, weight: 50 },
        { revision: 2, weight: 50 },
      ],
    },
  ]);
  router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: first }]);
  router.setEndpoints('web', 2, [{ id: 'web-r2-0', host: '127.0.0.1', port: second }]);
  return { router, listen };
}

function newRouter(holdTimeoutMs = 10_000): Router {
  return fixtures.keep(new Router({ holdTimeoutMs }));
}

describe('Router', () => {
  it('should retry an idempotent request once when the upstream closes a reused keep-alive socket', async () => {
    // Answers the first request of each connection, then destroys the socket on the second one
    // without answering: what an upstream whose idle timeout fires as the request arrives does.
    const seen = new WeakMap<object, number>();
    const port = await upstream('v1', (req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on('end', () => res.writeHead(200, { 'x-version': 'v1' }).end('ok'));
    });
    const router = newRouter();
    const listen = await freePort();
    await router.applyRollout('web', [{ port: listen, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port }]);
    const url = `http://127.0.0.1:${listen}/`;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(url);
      await res.body.text();
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // A POST on a reused socket is not retried: the upstream may have acted on it.
    const post = await request(url, { method: 'POST', body: 'x' });
    await post.body.text();
    const post2 = await request(url, { method: 'POST', body: 'x' });
    await post2.body.text();
    expect([post.statusCode, post2.statusCode]).toContain(502);
    const stats = router.stats('web', 1, 60, 0.5);
    expect(stats.status.proxyError).toBe(1);
    expect(stats.status['2xx']).toBe(6);
  });

  it('should retry GETs on the other revision when the last replica of one dies, failing none', async () => {
    // Regression: the retry re-picked by weight, often the dead revision again, so 2-5 in-flight
    // GETs failed with 502 each time a revision's last ready replica died.
    const stablePort = await upstream('v1');
    const dying = createServer((req) => req.socket.destroy()); // resets every request, like a crash mid-request
    const dyingPort = await new Promise<number>((resolve) =>
      dying.listen(0, '127.0.0.1', () => resolve((dying.address() as AddressInfo).port)),
    );
    const { listen } = await fiftyFifty(stablePort, dyingPort);
    const url = `http://127.0.0.1:${listen}/`;
    const reset = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(url).then(async (r) => {
          await r.body.text();
          return `${r.statusCode} ${r.headers['x-version']}`;
        }),
      ),
    );
    // Now the process is gone: connections are refused until the platform removes the endpoint.
    dying.closeAllConnections();
    await new Promise<void>((r) => dying.close(() => r()));
    const refused = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(url).then(async (r) => {
          await r.body.text();
          return `${r.statusCode} ${r.headers['x-version']}`;
        }),
      ),
    );
    expect([...reset, ...refused]).toEqual(Array.from({ length: 40 }, () => '200 v1'));
  });

  it('should hold a request while no endpoint is ready and dispatch it when one becomes ready', async () => {
    const port = await upstream('v1');
    const router = newRouter();
    const listen = await freePort();
    await router.applyRollout('web', [{ port: listen, backends: [{ revision: 1, weight: 100 }] }]);
    const pending = request(`http://127.0.0.1:${listen}/`);
    await new Promise((r) => setTimeout(r, 200));
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port }]);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('hello from v1\n');
  });

  it('should answer 503 after the hold timeout when no endpoint becomes ready', async () => {
    const router = newRouter(300);
    const listen = await freePort();
    await router.applyRollout('web', [{ port: listen, backends: [{ revision: 1, weight: 100 }] }]);
    const started = Date.now();
    const res = await request(`http://127.0.0.1:${listen}/`);
    await res.body.text();
    expect(res.statusCode).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(router.stats('web', 1, 10, 0.5).status.proxyError).toBe(1);
  });

  it('should not fail a request when weights change and an endpoint is removed under load', async () => {
    const v1a = await upstream('v1');
    const v1b = await upstream('v1');
    const v2 = await upstream('v2');
    const router = newRouter();
    const listen = await freePort();
    await router.applyRollout('web', [
      {
        port: listen,
        backends: [
          { revision: 1, weight: 100 },
          { revision: 2, weight: 0 },
        ],
      },
    ]);
    router.setEndpoints('web', 1, [
      { id: 'web-r1-0', host: '127.0.0.1', port: v1a },
      { id: 'web-r1-1', host: '127.0.0.1', port: v1b },
    ]);
    router.setEndpoints('web', 2, [{ id: 'web-r2-0', host: '127.0.0.1', port: v2 }]);
    const load = steadyLoad(`http://127.0.0.1:${listen}/`, 16);
    await waitFor(() => load.result.ok > 300, 10_000, 'initial traffic');
    for (const weight of [10, 50, 90, 0]) {
      await router.applyRollout('web', [
        {
          port: listen,
          backends: [
            { revision: 1, weight: 100 - weight },
            { revision: 2, weight },
          ],
        },
      ]);
      const before = load.result.ok;
      await waitFor(() => load.result.ok > before + 200, 10_000, `traffic at weight ${weight}`);
    }
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port: v1a }]);
    expect(await router.drainEndpoint('web-r1-1', 5_000)).toBe(0);
    const before = load.result.ok;
    await waitFor(() => load.result.ok > before + 300, 10_000, 'traffic after endpoint removal');
    const result = await load.stop();
    expect(result.failures.slice(0, 3)).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.versions.get('v2') ?? 0).toBeGreaterThan(0);
  });

  it('should move a listener to a new port without failing in-flight requests', async () => {
    const port = await upstream('v1');
    const router = newRouter();
    const a = await freePort();
    const b = await freePort();
    await router.applyRollout('web', [{ port: a, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port }]);
    await router.applyRollout('web', [{ port: b, backends: [{ revision: 1, weight: 100 }] }]);
    const res = await request(`http://127.0.0.1:${b}/`);
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(router.listeners('web')).toEqual([{ port: b, backends: [{ revision: 1, weight: 100 }] }]);
  });

  it('should reject a port in use with PortInUseError and keep the previous listeners', async () => {
    const busy = await upstream('other');
    const router = newRouter();
    const a = await freePort();
    await router.applyRollout('web', [{ port: a, backends: [{ revision: 1, weight: 100 }] }]);
    const b = await freePort();
    const err = await router
      .applyRollout('web', [
        { port: b, backends: [{ revision: 1, weight: 100 }] },
        { port: busy, backends: [{ revision: 2, weight: 100 }] },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortInUseError);
    expect((err as PortInUseError).port).toBe(busy);
    expect(router.listeners('web')).toEqual([{ port: a, backends: [{ revision: 1, weight: 100 }] }]);
    // The port bound before the failure was released again.
    await router.applyRollout('other', [{ port: b, backends: [] }]);
    // A port of another Rollout counts as in use too.
    await expect(router.applyRollout('third', [{ port: a, backends: [] }])).rejects.toBeInstanceOf(
      PortInUseError,
    );
  });

  it('should expose known traffic in the Prometheus text format', async () => {
    const ok = await upstream('v1');
    const bad = await upstream('v2', (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(500).end());
    });
    const { router, listen } = await fiftyFifty(ok, bad);
    for (let i = 0; i < 20; i++) await (await request(`http://127.0.0.1:${listen}/`)).body.text();
    const text = router.metricsText();
    expect(text).toContain('cutover_router_requests_total{rollout="web",revision="1",code_class="2xx"} 10\n');
    expect(text).toContain('cutover_router_requests_total{rollout="web",revision="2",code_class="5xx"} 10\n');
    expect(text).toContain('cutover_router_request_duration_seconds_count{rollout="web",revision="2"} 10\n');
    expect(text).toContain(
      'cutover_router_request_duration_seconds_bucket{rollout="web",revision="2",le="+Inf"} 10\n',
    );
    expect(text).toContain(
      `cutover_router_backend_weight{rollout="web",listener_port="${listen}",revision="2"} 50\n`,
    );
    expect(text).toContain('cutover_router_in_flight{rollout="web",revision="1"} 0\n');
    expect(text).toContain('cutover_replica_ready{rollout="web",revision="2"} 1\n');
    const stats = router.stats('web', 2, 10, 0.95);
    expect(stats.errorRate).toBe(1);
    expect(stats.requests).toBe(10);
    expect(router.stats('web', 1, 10, 0.95).errorRate).toBe(0);
    expect(router.stats('web', 9, 10, 0.95).errorRate).toBeNull();
  });
});
