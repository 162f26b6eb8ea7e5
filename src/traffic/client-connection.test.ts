import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server as NetServer,
} from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from './router.js';
import { waitFor } from './steady-load.test-helper.js';

const servers: (Server | NetServer)[] = [];
const routers: Router[] = [];

afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          if ('closeAllConnections' in s) s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

function listen(server: Server | NetServer): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function upstream(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  return listen(createServer(handler));
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** A router with one listener routing everything to the upstream on `port`. */
async function routerTo(port: number): Promise<{ router: Router; url: string }> {
  const router = new Router();
  routers.push(router);
  const listenPort = await freePort();
  await router.applyRollout('web', [{ port: listenPort, backends: [{ revision: 1, weight: 100 }] }]);
  router.setEndpoints('web', 1, [{ id: 'web-r1-0', host: '127.0.0.1', port }]);
  return { router, url: `http://127.0.0.1:${listenPort}` };
}

interface RawResult {
  text: string;
  /** The router closed the connection. */
  closed: boolean;
}

/**
 * Send `parts` on one raw connection (each part one write, 20 ms apart) and collect what comes
 * back until `done(text)` or the connection closes (bounded by 5 s).
 */
function raw(
  port: number,
  parts: string[],
  done: (text: string) => boolean = () => false,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => {
      finished = true;
      socket.destroy();
      reject(new Error(`no end of exchange within 5 s; got: ${JSON.stringify(text)}`));
    }, 5_000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (done(text)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      for (const part of parts) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  });
}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const echo = (req: IncomingMessage, res: ServerResponse): void => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-method': req.method ?? '' });
    res.end(`${req.method} ${req.url} ${body}`);
  });
};

describe('ClientConnection', () => {
  it('should stream a chunked request body to the upstream with its framing', async () => {
    const { url } = await routerTo(await upstream(echo));
    const host = new URL(url);
    const result = await raw(
      Number(host.port),
      [
        'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
        '6;ext=1\r\n world\r\n',
        '0\r\nx-trailer: 1\r\n\r\n',
      ],
      (t) => t.endsWith('0\r\n\r\n'),
    );
    expect(result.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(result.text).toContain('\r\n18\r\nPOST /upload hello world\r\n');
  });

  it('should forward a chunked response to an HTTP/1.1 client and decode it for an HTTP/1.0 client', async () => {
    const port = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      setTimeout(() => res.end('second'), 30);
    });
    const { url } = await routerTo(port);
    const res = await request(`${url}/`);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(await res.body.text()).toBe('first second');

    const old = await raw(Number(new URL(url).port), ['GET / HTTP/1.0\r\n\r\n']);
    expect(old.closed).toBe(true);
    expect(old.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(old.text.toLowerCase()).not.toContain('transfer-encoding');
    expect(old.text.endsWith('\r\n\r\nfirst second')).toBe(true);
  });

  it('should send no body for HEAD, 204 and 304 and keep the connection for the next request', async () => {
    const port = await upstream((req, res) => {
      req.resume();
      if (req.url === '/204') res.writeHead(204).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"a"' }).end();
      else
        res.writeHead(200, { 'content-length': '11' }).end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    const { url } = await routerTo(port);
    const result = await raw(
      Number(new URL(url).port),
      [
        'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /204 HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /304 HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      ],
      (t) => t.endsWith('hello world'),
    );
    expect(result.closed).toBe(false);
    const statuses = [...result.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '204', '304', '200']);
    expect(countOf(result.text, 'hello world')).toBe(1);
  });

  it('should answer pipelined requests in order', async () => {
    const port = await upstream((req, res) => {
      req.resume();
      // The first answer is the slowest: order must come from the router, not from timing.
      setTimeout(() => res.end(`answer ${req.url}`), req.url === '/1' ? 50 : 0);
    });
    const { url } = await routerTo(port);
    const result = await raw(
      Number(new URL(url).port),
      [
        'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /4 HTTP/1.1\r\nHost: x\r\n\r\n',
      ],
      (t) => t.includes('answer /4'),
    );
    const answers = [...result.text.matchAll(/answer (\/\d)/g)].map((m) => m[1]);
    expect(answers).toEqual(['/1', '/2', '/3', '/4']);
  });

  it('should answer 100 Continue to Expect: 100-continue before the body is sent', async () => {
    const { url } = await routerTo(await upstream(echo));
    const port = Number(new URL(url).port);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => reject(new Error(`timeout: ${got}`)), 5_000);
      socket.on('connect', () =>
        socket.write('PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'),
      );
      socket.on('data', (c) => {
        got += c.toString();
        if (got === 'HTTP/1.1 100 Continue\r\n\r\n') socket.write('body');
        if (got.includes('PUT /x body')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(got);
        }
      });
    });
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('should answer 400 and close on malformed requests', async () => {
    const { url } = await routerTo(await upstream(echo));
    const port = Number(new URL(url).port);
    for (const bad of [
      'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', // space in a field name
      'GET / HTTP/1.1\r\nHost : x\r\n\r\n', // whitespace before the colon
      'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n', // obs-fold
      'GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n', // bare LF
      'GET / HTTP/1.1\r\n\r\n', // HTTP/1.1 without Host
      'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', // space in the target
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n', // both framings
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n',
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', // bad chunk size
    ]) {
      const result = await raw(port, [bad]);
      expect.soft(result.text, JSON.stringify(bad)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect.soft(result.closed, JSON.stringify(bad)).toBe(true);
    }
  });

  it('should answer 431 to an oversized request head', async () => {
    const { url } = await routerTo(await upstream(echo));
    const port = Number(new URL(url).port);
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const result = await raw(port, [big]);
    expect(result.text).toMatch(/^HTTP\/1\.1 431 /);
    expect(result.closed).toBe(true);
    // An unfinished head that grows beyond the limit is refused without waiting for its end.
    const endless = await raw(port, [`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}`]);
    expect(endless.text).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('should abort the upstream request when the client disconnects mid-response', async () => {
    let upstreamClosed = false;
    const port = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part one\n');
      const timer = setInterval(() => res.write('more\n'), 20);
      res.on('close', () => {
        clearInterval(timer);
        upstreamClosed = true;
      });
    });
    const { router, url } = await routerTo(port);
    await raw(Number(new URL(url).port), ['GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'], (t) =>
      t.includes('part one'),
    );
    await waitFor(() => upstreamClosed, 5_000, 'the upstream response to be aborted');
    await waitFor(() => router.endpointInFlight('web-r1-0') === 0, 5_000, 'in-flight back to 0');
    expect(router.stats('web', 1, 60, 0.5).requests).toBe(0);
  });

  it('should cut the client connection when the upstream closes mid-body', async () => {
    const port = await listen(
      createNetServer((socket) => {
        socket.once('data', () => {
          socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b');
          setTimeout(() => socket.destroy(), 20);
        });
      }),
    );
    const { router, url } = await routerTo(port);
    const result = await raw(Number(new URL(url).port), ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(result.closed).toBe(true);
    expect(result.text).toContain('content-length: 100');
    expect(result.text.endsWith('only ten b')).toBe(true);
    await expect(request(`${url}/`).then((r) => r.body.text())).rejects.toThrow();
    expect(router.stats('web', 1, 60, 0.5).status.proxyError).toBe(2);
  });

  it('should answer 502 when the upstream sends a malformed response head', async () => {
    const port = await listen(
      createNetServer((socket) => {
        socket.once('data', () => socket.end('HTTP/1.1 OK\r\n\r\n'));
      }),
    );
    const { router, url } = await routerTo(port);
    const res = await request(`${url}/`, { method: 'POST', body: 'x' });
    expect(res.statusCode).toBe(502);
    await res.body.text();
    expect(router.stats('web', 1, 60, 0.5).status.proxyError).toBe(1);
  });

  it('should rewrite hop-by-hop and forwarding headers on the wire', async () => {
    let seen: IncomingMessage['headers'] = {};
    let seenVersion = '';
    const port = await upstream((req, res) => {
      seen = req.headers;
      seenVersion = req.httpVersion;
      req.resume();
      res.writeHead(200, {
        connection: 'keep-alive, x-internal',
        'x-internal': '1',
        'keep-alive': 'timeout=5',
        'content-length': '2',
      });
      res.end('ok');
    });
    const { url } = await routerTo(port);
    const result = await raw(
      Number(new URL(url).port),
      [
        'GET /h HTTP/1.0\r\nHost: public.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nTE: trailers\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n',
      ],
      (t) => t.endsWith('ok'),
    );
    expect(seenVersion).toBe('1.1');
    expect(seen['x-secret']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe('public.example');
    const head = result.text.toLowerCase();
    expect(head).not.toContain('x-internal');
    expect(head).not.toContain('keep-alive: timeout');
    // An HTTP/1.0 client that asked for keep-alive is told the connection stays open.
    expect(head).toContain('connection: keep-alive\r\n');
    expect(result.closed).toBe(false);
  });

  it('should stream large bodies both ways without losing or reordering a byte', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 251;
    let received: Buffer = Buffer.alloc(0);
    const port = await upstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = Buffer.concat(chunks);
        res.writeHead(200, { 'content-length': String(big.length) }).end(big);
      });
    });
    const { url } = await routerTo(port);
    const res = await request(`${url}/big`, { method: 'PUT', body: big });
    // Read slowly at first so that the router has to apply backpressure to the upstream.
    await new Promise((r) => setTimeout(r, 200));
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(received.equals(big)).toBe(true);
    expect(body.equals(big)).toBe(true);
  });

  it('should keep the body of a held request and forward it once an endpoint is ready', async () => {
    const port = await upstream(echo);
    const router = new Router();
    routers.push(router);
    const free = await freePort();
    await router.applyRollout('held', [{ port: free, backends: [{ revision: 1, weight: 100 }] }]);
    const pending = request(`http://127.0.0.1:${free}/held`, { method: 'POST', body: 'payload' });
    await new Promise((r) => setTimeout(r, 200));
    router.setEndpoints('held', 1, [{ id: 'held-r1-0', host: '127.0.0.1', port }]);
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('POST /held payload');
  });
});
