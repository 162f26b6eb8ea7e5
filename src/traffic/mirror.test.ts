import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { MIRROR_SET, type MirrorRouteSpec } from '../dataplane/protocol.js';
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

interface Received {
  method: string;
  url: string;
  body: string;
  mirror: string | undefined;
}

/** An upstream that records what it received and answers with `answer(n)`. */
async function upstream(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: req.url!,
        body: Buffer.concat(parts).toString(),
        mirror: req.headers['x-cutover-mirror'] as string | undefined,
      });
      answer(req, res, received.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, received };
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));

async function mirrored(stablePort: number, canaryPort: number, route: Partial<MirrorRouteSpec> = {}) {
  const router = new Router();
  routers.push(router);
  const port = await freePort('127.0.0.1');
  await router.applyRollout('chat', [
    {
      port,
      backends: [{ revision: 1, weight: 100 }],
      mirrorRoutes: [
        { name: 'shadow', revision: 2, percentage: 100, match: [{ path: { prefix: '/' } }], ...route },
      ],
    },
  ]);
  router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: stablePort }]);
  router.setEndpoints('chat', 2, [{ id: 'chat-r2-0', host: '127.0.0.1', port: canaryPort }]);
  return { router, url: `http://127.0.0.1:${port}` };
}

describe('mirror routes (setMirrorRoute) through the router (real sockets)', () => {
  it("should copy every request to the canary, answer only with stable's, and record the canary's answers as the mirror role", async () => {
    const stable = await upstream((_req, res) => json(res, 200, { answer: 'A' }));
    const canary = await upstream((_req, res) => json(res, 500, { answer: 'broken' }));
    const { router, url } = await mirrored(stable.port, canary.port, { compare: {} });
    for (let i = 0; i < 30; i++) {
      const res = await request(
        `${url}/ask?q=${i}`,
        i % 3 === 0 ? { method: 'POST', body: `question ${i}` } : {},
      );
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ answer: 'A' });
    }
    await expect.poll(() => canary.received.length).toBe(30);
    expect(canary.received.every((r) => r.mirror === 'true')).toBe(true);
    expect(canary.received.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual(
      stable.received.filter((r) => r.method === 'POST').map((r) => r.body),
    );
    expect(new Set(canary.received.map((r) => r.url))).toEqual(new Set(stable.received.map((r) => r.url)));

    await expect.poll(() => router.stats('chat', 2, 60, 0.5, MIRROR_SET).mirror?.compared).toBe(30);
    const mirror = router.stats('chat', 2, 60, 0.5, MIRROR_SET);
    expect(mirror.requests).toBe(30);
    expect(mirror.errorRate).toBe(1);
    expect(mirror.mirror).toEqual({ compared: 30, mismatches: 30, mismatchRate: 1 });
    // The canary's own figures (what clients saw of it) are untouched; stable's count each request once.
    expect(router.stats('chat', 2, 60, 0.5).requests).toBe(0);
    expect(router.stats('chat', 1, 60, 0.5).requests).toBe(30);
    expect(router.metricsText()).toContain(
      'cutover_router_mirror_requests_total{rollout="chat",revision="2",code_class="5xx"} 30\n',
    );
  });

  it('should compare a JSON field of both answers when asked, and honour match and percentage', async () => {
    const stable = await upstream((_req, res, n) => json(res, 200, { answer: `A${n}`, model: 'v1' }));
    // The canary gives the same answer to even requests, another to odd ones, with another model name.
    const canary = await upstream((req, res) => {
      const n = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
      json(res, 200, { answer: n % 2 === 0 ? `A${n + 1}` : 'other', model: 'v2' });
    });
    const { router, url } = await mirrored(stable.port, canary.port, {
      match: [{ method: { exact: 'GET' }, path: { prefix: '/ask' } }],
      compare: { jsonPath: '{$.answer}' },
    });
    for (let n = 0; n < 20; n++) await (await request(`${url}/ask?n=${n}`)).body.text();
    // Neither a POST nor another path matches.
    await (await request(`${url}/ask`, { method: 'POST', body: 'x' })).body.text();
    await (await request(`${url}/health`)).body.text();
    await expect.poll(() => router.stats('chat', 2, 60, 0.5, MIRROR_SET).mirror?.compared).toBe(20);
    expect(router.stats('chat', 2, 60, 0.5, MIRROR_SET).mirror).toEqual({
      compared: 20,
      mismatches: 10,
      mismatchRate: 0.5,
    });
    expect(canary.received).toHaveLength(20);

    const half = await mirrored(stable.port, canary.port, { percentage: 50 });
    for (let n = 0; n < 200; n++) await (await request(`${half.url}/ask?n=${n}`)).body.text();
    await new Promise((r) => setTimeout(r, 200));
    expect(canary.received.length - 20).toBeGreaterThan(60);
    expect(canary.received.length - 20).toBeLessThan(140);
  });

  it('should drop copies over the body bound and never make a client wait for a hung canary', async () => {
    const stable = await upstream((_req, res) => json(res, 200, { answer: 'A' }));
    const canary = await upstream(() => undefined); // never answers
    const { router, url } = await mirrored(stable.port, canary.port);
    const started = performance.now();
    for (let i = 0; i < 10; i++) expect((await request(`${url}/`)).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
    const big = await request(`${url}/`, { method: 'POST', body: 'z'.repeat(100_000) });
    expect(big.statusCode).toBe(200);
    await big.body.text();
    expect(stable.received.at(-1)!.body.length).toBe(100_000);
    expect(router.metricsText()).toContain('cutover_router_mirror_dropped_total{rollout="chat"} 1\n');
    await expect.poll(() => canary.received.length).toBe(10);
  });
});
