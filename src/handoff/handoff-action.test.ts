import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHandoffAction } from './handoff-action.js';

let server: Server;
let port = 0;
const target = () => ({ host: '127.0.0.1', port, replica: 'coord-r1-0', rollout: 'coord' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/hang') return;
      if (req.url === '/big') return res.end('x'.repeat(2048));
      if (req.url === '/fail') return res.writeHead(503).end('not ready\n  at all');
      res.end(
        JSON.stringify({
          method: req.method,
          token: req.headers['x-token'],
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('runHandoffAction (a real HTTP server and real commands)', () => {
  it('should send the method, headers and the state as the body, and return the answer', async () => {
    const result = await runHandoffAction(
      { httpGet: { path: '/import', method: 'POST', headers: { 'x-token': 't1' } } },
      target(),
      { input: Buffer.from('{"sessions":{}}'), timeoutMs: 2_000, maxBytes: 1024 },
    );
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.body.toString())).toEqual({
      method: 'POST',
      token: 't1',
      body: '{"sessions":{}}',
    });
  });

  it('should fail on a non-2xx status with the answer, a hung replica, and an answer over maxBytes', async () => {
    expect(
      await runHandoffAction({ httpGet: { path: '/fail' } }, target(), { timeoutMs: 2_000, maxBytes: 1024 }),
    ).toMatchObject({
      ok: false,
      detail: 'HTTP 503: not ready at all',
    });
    expect(
      await runHandoffAction({ httpGet: { path: '/hang' } }, target(), { timeoutMs: 200, maxBytes: 1024 }),
    ).toMatchObject({
      ok: false,
      detail: 'timed out after 200 ms',
    });
    expect(
      await runHandoffAction({ httpGet: { path: '/big' } }, target(), { timeoutMs: 2_000, maxBytes: 1024 }),
    ).toMatchObject({
      ok: false,
      detail: 'the answer is larger than maxStateBytes (1024 bytes)',
    });
  });

  it('should run exec with the state on stdin and read the state from stdout, with the replica in its environment', async () => {
    const imported = await runHandoffAction(
      { exec: { command: ['sh', '-c', 'cat; printf " $CUTOVER_REPLICA $PORT"'] } },
      target(),
      { input: Buffer.from('state'), timeoutMs: 2_000, maxBytes: 1024 },
    );
    expect(imported).toMatchObject({ ok: true, detail: 'exit 0' });
    expect(imported.body.toString()).toBe(`state coord-r1-0 ${port}`);
    expect(
      await runHandoffAction({ exec: { command: ['sh', '-c', 'echo no; exit 3'] } }, target(), {
        timeoutMs: 2_000,
        maxBytes: 1024,
      }),
    ).toMatchObject({
      ok: false,
      detail: 'exit 3: no',
    });
    expect(
      await runHandoffAction({ exec: { command: ['sleep', '5'] } }, target(), {
        timeoutMs: 200,
        maxBytes: 1024,
      }),
    ).toMatchObject({
      ok: false,
      detail: 'timed out after 200 ms',
    });
    expect(
      await runHandoffAction({ exec: { command: ['sh', '-c', 'head -c 4096 /dev/zero'] } }, target(), {
        timeoutMs: 2_000,
        maxBytes: 1024,
      }),
    ).toMatchObject({ ok: false, detail: 'the answer is larger than maxStateBytes (1024 bytes)' });
  });
});
