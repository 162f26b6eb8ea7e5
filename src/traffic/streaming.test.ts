import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];
const streams: ServerResponse[] = [];

afterEach(async () => {
  for (const res of streams.splice(0)) res.end();
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A server-sent events upstream: one event every 100 ms, `event: <version> <n>`, until the test ends. */
async function sse(version: string): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`data: ${version} 0\n\n`);
    streams.push(res);
    let n = 0;
    const timer = setInterval(() => {
      if (res.writableEnded) clearInterval(timer);
      else res.write(`data: ${version} ${++n}\n\n`);
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('streaming through the router (real sockets)', () => {
  it('should pass server-sent events through without buffering, and keep an open stream across weight changes', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    const listener = (canary: number) => [
      {
        port,
        backends: [
          { revision: 1, weight: 100 - canary },
          { revision: 2, weight: canary },
        ],
      },
    ];
    await router.applyRollout('chat', listener(0));
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: await sse('v1') }]);
    router.setEndpoints('chat', 2, [{ id: 'chat-r2-0', host: '127.0.0.1', port: await sse('v2') }]);

    const sent = performance.now();
    const res = await request(`http://127.0.0.1:${port}/events`);
    const events: { text: string; at: number }[] = [];
    const reading = (async () => {
      for await (const chunk of res.body) events.push({ text: String(chunk), at: performance.now() - sent });
    })();
    const until = async (n: number) => {
      while (events.length < n) await new Promise((r) => setTimeout(r, 10));
    };
    await until(1);
    // The first event arrives with the head, not after any buffering (the upstream sends more only every 100 ms).
    expect(events[0]!.text).toBe('data: v1 0\n\n');
    expect(events[0]!.at).toBeLessThan(80);
    // Weight changes, even to 100% on revision 2, do not touch the open stream.
    await router.applyRollout('chat', listener(50));
    await router.applyRollout('chat', listener(100));
    await until(8);
    expect(events.every((e) => e.text.startsWith('data: v1 '))).toBe(true);
    // Events arrive one by one as the upstream writes them.
    const gaps = events.slice(2, 8).map((e, i) => e.at - events[i + 1]!.at);
    expect(Math.min(...gaps)).toBeGreaterThan(50);
    res.body.destroy();
    await reading.catch(() => undefined);
    // A new request goes to revision 2.
    const next = await request(`http://127.0.0.1:${port}/events`);
    for await (const chunk of next.body) {
      expect(String(chunk)).toBe('data: v2 0\n\n');
      break;
    }
    next.body.destroy();
  });

  it('should keep a stream of a draining replica until the grace period ends, then cut it and count it', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: await sse('v1') }]);
    const res = await request(`http://127.0.0.1:${port}/events`);
    const events: string[] = [];
    const ended = (async () => {
      try {
        for await (const chunk of res.body) events.push(String(chunk));
        return 'ended';
      } catch {
        return 'cut';
      }
    })();
    while (events.length < 2) await new Promise((r) => setTimeout(r, 10));
    // The replica stops: out of the endpoints, then its in-flight requests get 600 ms.
    router.setEndpoints('chat', 1, []);
    const started = performance.now();
    const remaining = await router.drainEndpoint('chat-r1-0', 600);
    expect(remaining).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(events.length).toBeGreaterThanOrEqual(6); // it kept streaming meanwhile
    expect(await ended).toBe('cut');
    expect(router.streamsCut('chat')).toMatchObject([{ replica: 'chat-r1-0', revision: 1, connections: 1 }]);
    expect(router.metricsText()).toContain('cutover_router_streams_cut_total{rollout="chat"} 1');
  });
});
