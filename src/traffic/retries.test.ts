import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetriesSpec } from '../dataplane/protocol.js';
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

/** An upstream that records the bodies it received and answers with `answer`. */
async function upstream(
  answer: (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void,
): Promise<{ port: number; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      bodies.push(body);
      answer(req, res, body, bodies.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, bodies };
}

async function routerWith(
  retries: RetriesSpec | undefined,
  endpoints: number[],
  timeoutMs?: number,
): Promise<{ router: Router; url: string }> {
  const router = new Router();
  routers.push(router);
  const port = await freePort('127.0.0.1');
  await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }], {
    retries,
    timeoutMs,
  });
  router.setEndpoints(
    'chat',
    1,
    endpoints.map((p, i) => ({ id: `chat-r1-${i}`, host: '127.0.0.1', port: p })),
  );
  return { router, url: `http://127.0.0.1:${port}` };
}

describe('retries (spec.trafficPolicy.retries) through the router (real sockets)', () => {
  it('should retry a 5xx on another replica, count the request once and its failed tries apart', async () => {
    const bad = await upstream((_req, res) => res.writeHead(500).end('bad'));
    const good = await upstream((_req, res) => res.end('good'));
    const { router, url } = await routerWith({ attempts: 2, retryOn: '5xx' }, [bad.port, good.port]);
    for (let i = 0; i < 20; i++) {
      const res = await request(`${url}/`);
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('good');
    }
    const stats = router.stats('chat', 1, 60, 0.5);
    expect(stats.requests).toBe(20);
    expect(stats.errors).toBe(0);
    expect(bad.bodies.length).toBeGreaterThanOrEqual(5);
    expect(router.metricsText()).toContain(
      `cutover_router_failed_tries_total{rollout="chat",revision="1"} ${bad.bodies.length}\n`,
    );
  });

  it('should give up after `attempts` retries and answer with the last try', async () => {
    const bad = await upstream((_req, res, _body, n) => res.writeHead(503).end(`try ${n}`));
    const { router, url } = await routerWith({ attempts: 2, retryOn: 'gateway-error' }, [bad.port]);
    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toBe('try 3');
    const stats = router.stats('chat', 1, 60, 0.5);
    expect(stats.requests).toBe(1);
    expect(stats.status['5xx']).toBe(1);
  });

  it('should never resend a POST that reached the replica unless retryOn says non-idempotent, and resend its body whole when it does', async () => {
    // Each upstream fails its first, third... request: a retry of the same request succeeds.
    const flaky = () =>
      upstream((_req, res, _body, n) => res.writeHead(n % 2 === 1 ? 503 : 200).end(`try ${n}`));
    const strictUp = await flaky();
    const strict = await routerWith({ attempts: 1, retryOn: 'gateway-error' }, [strictUp.port]);
    const once = await request(`${strict.url}/`, { method: 'POST', body: 'order #1' });
    expect(once.statusCode).toBe(503);
    await once.body.text();
    expect(strictUp.bodies).toEqual(['order #1']);

    const body = 'x'.repeat(40_000);
    const lenientUp = await flaky();
    const lenient = await routerWith({ attempts: 1, retryOn: 'gateway-error,non-idempotent' }, [
      lenientUp.port,
    ]);
    const twice = await request(`${lenient.url}/`, { method: 'POST', body });
    expect(twice.statusCode).toBe(200);
    await twice.body.text();
    expect(lenientUp.bodies.map((b) => b === body)).toEqual([true, true]);

    // An idempotent PUT is resent; a body over the 64 KiB kept for retries is not.
    const putUp = await flaky();
    const puts = await routerWith({ attempts: 1, retryOn: 'gateway-error' }, [putUp.port]);
    const put = await request(`${puts.url}/`, { method: 'PUT', body: 'v=1' });
    expect(put.statusCode).toBe(200);
    await put.body.text();
    expect(putUp.bodies).toEqual(['v=1', 'v=1']);
    const large = await request(`${puts.url}/`, { method: 'PUT', body: 'y'.repeat(100_000) });
    expect(large.statusCode).toBe(503);
    await large.body.text();
    expect(putUp.bodies.length).toBe(3);
  });

  it('should retry a try that passes its perTryTimeout, within the request timeout', async () => {
    const hung = await upstream(() => undefined);
    const good = await upstream((_req, res) => res.end('good'));
    const { router, url } = await routerWith(
      { attempts: 1, perTryTimeoutMs: 200, retryOn: 'gateway-error' },
      [hung.port, good.port],
      5_000,
    );
    const started = performance.now();
    const results = await Promise.all(
      [0, 1].map(async () => {
        const res = await request(`${url}/`);
        return `${res.statusCode} ${await res.body.text()}`;
      }),
    );
    expect(results).toEqual(['200 good', '200 good']);
    // The sweep runs every 20 ms for this policy: the hung try ends soon after its 200 ms.
    expect(performance.now() - started).toBeLessThan(600);
    expect(router.stats('chat', 1, 60, 0.5).requests).toBe(2);
  });

  it('should keep the default without retries: a 5xx is the answer, a refused connection is retried', async () => {
    const bad = await upstream((_req, res) => res.writeHead(500).end('bad'));
    const { url } = await routerWith(undefined, [bad.port]);
    const res = await request(`${url}/`);
    expect(res.statusCode).toBe(500);
    await res.body.text();
    expect(bad.bodies.length).toBe(1);
  });
});
