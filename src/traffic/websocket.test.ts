import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { request, WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptEchoWebSocket } from '../../examples/sample-service/websocket.mjs';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** Close frames the upstream received, per upstream port: status codes. */
const upstreamCloses = new Map<number, number[]>();

/** The sample service's WebSocket echo on `/ws`; plain HTTP answers "plain <version>". */
async function echoServer(version: string): Promise<number> {
  const server = createServer((req, res) => {
    req.resume();
    res.end(`plain ${version}`);
  });
  const closes: number[] = [];
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    // Record the status of a close frame the router sends (client frames are masked).
    socket.on('data', (chunk: Buffer) => {
      if (chunk[0] === 0x88 && chunk.length >= 8)
        closes.push(((chunk[6]! ^ chunk[2]!) << 8) | (chunk[7]! ^ chunk[3]!));
    });
    acceptEchoWebSocket(req, socket, head, `hello from ${version}`);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  upstreamCloses.set(port, closes);
  return port;
}

/** A client WebSocket with a queue of received messages and its close event. */
function open(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  sockets.push(ws);
  const messages: (string | Buffer)[] = [];
  let waiter: (() => void) | null = null;
  ws.addEventListener('message', (e) => {
    messages.push(typeof e.data === 'string' ? e.data : Buffer.from(e.data as ArrayBuffer));
    waiter?.();
  });
  const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, wasClean: e.wasClean })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('websocket error')));
  });
  const next = async (): Promise<string | Buffer> => {
    while (messages.length === 0) await new Promise<void>((r) => (waiter = r));
    return messages.shift()!;
  };
  return { ws, opened, closed, next };
}

describe('WebSockets through the router (real sockets)', () => {
  it('should tunnel a WebSocket both ways, count the handshake, and keep it across weight changes', async () => {
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
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: await echoServer('v1') }]);
    router.setEndpoints('chat', 2, [{ id: 'chat-r2-0', host: '127.0.0.1', port: await echoServer('v2') }]);

    const client = open(`ws://127.0.0.1:${port}/ws`);
    await client.opened;
    expect(await client.next()).toBe('hello from v1');
    client.ws.send('first');
    expect(await client.next()).toBe('first');
    // A message larger than any socket read crosses as many chunks, both ways.
    const big = Buffer.alloc(300_000, 7);
    big.write('start');
    client.ws.send(big);
    expect(Buffer.compare((await client.next()) as Buffer, big)).toBe(0);

    await router.applyRollout('chat', listener(50));
    await router.applyRollout('chat', listener(100));
    for (let i = 0; i < 20; i++) {
      client.ws.send(`after ${i}`);
      expect(await client.next()).toBe(`after ${i}`);
    }
    // New connections follow the weights; the open one stays where it was.
    const second = open(`ws://127.0.0.1:${port}/ws`);
    expect(await second.next()).toBe('hello from v2');
    // Plain requests still work on the same router port.
    const plain = await request(`http://127.0.0.1:${port}/`);
    expect(await plain.body.text()).toBe('plain v2');

    // The open tunnel holds its replica: the drain waits for it.
    expect(router.endpointInFlight('chat-r1-0')).toBe(1);
    // The handshake counts once, as 1xx; no error.
    const stats = router.stats('chat', 1, 60, 0.5);
    expect(stats.status['1xx']).toBe(1);
    expect(stats.errors).toBe(0);

    client.ws.close(1000, 'done');
    expect(await client.closed).toEqual({ code: 1000, wasClean: true });
    await expect.poll(() => router.endpointInFlight('chat-r1-0')).toBe(0);
  });

  it('should close a WebSocket of a draining replica with 1001 on both sides when the grace period ends, and count it', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    const upstream = await echoServer('v1');
    await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: upstream }]);
    const client = open(`ws://127.0.0.1:${port}/ws`);
    await client.next();
    router.setEndpoints('chat', 1, []);
    const started = performance.now();
    const draining = router.drainEndpoint('chat-r1-0', 600);
    // Still usable during the grace period.
    client.ws.send('during');
    expect(await client.next()).toBe('during');
    expect(await draining).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(await client.closed).toEqual({ code: 1001, wasClean: true });
    await expect.poll(() => upstreamCloses.get(upstream)).toEqual([1001]);
    expect(router.streamsCut('chat')).toMatchObject([{ replica: 'chat-r1-0', revision: 1, connections: 1 }]);
  });

  it('should close open WebSockets with 1001 when the router shuts down', async () => {
    const router = new Router({ closeTimeoutMs: 300 });
    const port = await freePort('127.0.0.1');
    await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    router.setEndpoints('chat', 1, [{ id: 'chat-r1-0', host: '127.0.0.1', port: await echoServer('v1') }]);
    const client = open(`ws://127.0.0.1:${port}/ws`);
    await client.next();
    await router.close();
    expect((await client.closed).code).toBe(1001);
  });

  it('should relay an upstream that refuses the upgrade as a plain response, and refuse a 101 nobody asked for', async () => {
    const router = new Router();
    routers.push(router);
    const port = await freePort('127.0.0.1');
    await router.applyRollout('chat', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    const refusing = createServer((req, res) => {
      req.resume();
      res.writeHead(req.headers.upgrade === 'websocket' ? 426 : 200).end('no upgrade here');
    });
    servers.push(refusing);
    await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', () => r()));
    router.setEndpoints('chat', 1, [
      { id: 'chat-r1-0', host: '127.0.0.1', port: (refusing.address() as AddressInfo).port },
    ]);
    // The Upgrade request reaches the upstream with its Upgrade field; its 426 comes back, and the
    // same client connection carries the next request.
    const raw = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    raw.on('data', (c: Buffer) => received.push(c));
    raw.write(
      'GET /ws HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n',
    );
    await expect.poll(() => Buffer.concat(received).toString()).toContain('no upgrade here');
    expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 426 /);
    received.length = 0;
    raw.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await expect
      .poll(() => Buffer.concat(received).toString())
      .toMatch(/^HTTP\/1\.1 200 [\s\S]*no upgrade here/);
    raw.destroy();

    // An upstream that switches protocols on a request that did not ask for it: 502.
    const rogue = createServer();
    rogue.on('request', (req, res) => {
      req.resume();
      res.socket!.write(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n',
      );
    });
    servers.push(rogue);
    await new Promise<void>((r) => rogue.listen(0, '127.0.0.1', () => r()));
    router.setEndpoints('chat', 1, [
      { id: 'chat-r1-1', host: '127.0.0.1', port: (rogue.address() as AddressInfo).port },
    ]);
    const res = await request(`http://127.0.0.1:${port}/`);
    expect(res.statusCode).toBe(502);
    expect(await res.body.text()).toContain('HPE_UNEXPECTED_UPGRADE');
  });
});
