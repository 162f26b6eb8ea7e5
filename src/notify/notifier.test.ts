import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Notification } from './notification.js';
import type { NotificationChannel } from './notification-channel.js';
import { Notifier, type NotifierLogger } from './notifier.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A real HTTP receiver on 127.0.0.1:0 answering with `reply` (by request count, 1-based). */
async function receiver(
  reply: (count: number, res: ServerResponse) => void = (_n, res) => res.end('ok'),
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(data),
      });
      reply(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A sleep that records the requested delays and returns at once (no real waiting in tests). */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

const notification: Notification = {
  kind: 'rollbackStarted',
  release: 'shop-1.4.0',
  environment: 'production',
  severity: 'critical',
  title: 'Rollback started: shop-1.4.0',
  text: 'error rate 0.21 > 0.05 for 120 s',
  at: Date.UTC(2025, 0, 1, 10),
  fields: { trigger: 'errorRate' },
};

function channel(over: Partial<NotificationChannel> & Pick<NotificationChannel, 'url'>): NotificationChannel {
  return { name: 'ops', type: 'webhook', ...over };
}

describe('Notifier', () => {
  it('should POST the webhook JSON with the channel headers', async () => {
    const r = await receiver();
    const notifier = new Notifier({
      channels: [channel({ url: r.url, headers: { authorization: 'Bearer t0k' } })],
    });
    const results = await notifier.send(notification);
    expect(results).toEqual([{ channel: 'ops', delivered: true, attempts: 1, status: 200 }]);
    expect(r.received).toHaveLength(1);
    const [req] = r.received;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/hook');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe('Bearer t0k');
    expect(req?.body).toEqual({
      kind: 'rollbackStarted',
      release: 'shop-1.4.0',
      environment: 'production',
      severity: 'critical',
      title: 'Rollback started: shop-1.4.0',
      text: 'error rate 0.21 > 0.05 for 120 s',
      at: Date.UTC(2025, 0, 1, 10),
      time: '2025-01-01T10:00:00.000Z',
      fields: { trigger: 'errorRate' },
    });
  });

  it('should POST a Slack message with text and blocks to a slack channel', async () => {
    const r = await receiver();
    const results = await new Notifier({ channels: [channel({ type: 'slack', url: r.url })] }).send(
      notification,
    );
    expect(results[0]?.delivered).toBe(true);
    const body = r.received[0]?.body as { text: string; blocks: { type: string }[] };
    expect(body.text).toBe('[critical] Rollback started: shop-1.4.0');
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'context']);
  });

  it('should retry 503 with exponential backoff and deliver on attempt 3', async () => {
    const r = await receiver((n, res) => {
      res.statusCode = n <= 2 ? 503 : 200;
      res.end(n <= 2 ? 'busy' : 'ok');
    });
    const { sleep, delays } = recordingSleep();
    const results = await new Notifier({
      channels: [channel({ url: r.url })],
      retry: { initialDelayMs: 100 },
      sleep,
    }).send(notification);
    expect(results).toEqual([{ channel: 'ops', delivered: true, attempts: 3, status: 200 }]);
    expect(r.received).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it('should cap the backoff at maxDelayMs and give up after the configured attempts', async () => {
    const r = await receiver((_n, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const { sleep, delays } = recordingSleep();
    const warnings: object[] = [];
    const logger: NotifierLogger = { warn: (obj) => void warnings.push(obj) };
    const results = await new Notifier({
      channels: [channel({ url: r.url })],
      retry: { attempts: 6, initialDelayMs: 200, maxDelayMs: 1000 },
      sleep,
      logger,
    }).send(notification);
    expect(results).toEqual([
      { channel: 'ops', delivered: false, attempts: 6, status: 500, error: 'HTTP 500: boom' },
    ]);
    expect(delays).toEqual([200, 400, 800, 1000, 1000]);
    expect(warnings).toHaveLength(6);
    expect(JSON.stringify(warnings)).not.toContain(r.url);
  });

  it('should honour Retry-After seconds on 429, capped by maxDelayMs', async () => {
    const r = await receiver((n, res) => {
      if (n === 1) res.writeHead(429, { 'retry-after': '2' });
      else if (n === 2) res.writeHead(429, { 'retry-after': '60' });
      res.end();
    });
    const { sleep, delays } = recordingSleep();
    const results = await new Notifier({ channels: [channel({ url: r.url })], sleep }).send(notification);
    expect(results[0]).toMatchObject({ delivered: true, attempts: 3, status: 200 });
    expect(delays).toEqual([2000, 5000]);
  });

  it('should not retry a 400', async () => {
    const r = await receiver((_n, res) => {
      res.statusCode = 400;
      res.end('invalid_payload');
    });
    const { sleep, delays } = recordingSleep();
    const results = await new Notifier({ channels: [channel({ url: r.url })], sleep }).send(notification);
    expect(results).toEqual([
      { channel: 'ops', delivered: false, attempts: 1, status: 400, error: 'HTTP 400: invalid_payload' },
    ]);
    expect(r.received).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('should report an unreachable receiver as undelivered after all attempts, without throwing', async () => {
    const r = await receiver();
    await new Promise((resolve) => r.server.close(resolve)); // the port is now closed: connection refused
    const { sleep, delays } = recordingSleep();
    const results = await new Notifier({
      channels: [channel({ url: r.url })],
      retry: { attempts: 3 },
      sleep,
    }).send(notification);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ channel: 'ops', delivered: false, attempts: 3, status: null });
    expect(results[0]?.error).toMatch(/ECONNREFUSED/);
    expect(delays).toEqual([200, 400]);
  });

  it('should give up a try that gets no answer within the timeout', async () => {
    const r = await receiver(() => {}); // never answers
    const { sleep } = recordingSleep();
    const started = Date.now();
    const results = await new Notifier({
      channels: [channel({ url: r.url })],
      retry: { attempts: 2 },
      sleep,
      timeoutMs: 150,
    }).send(notification);
    expect(results[0]).toMatchObject({ delivered: false, attempts: 2, status: null });
    expect(r.received).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('should send only to channels whose kinds include the notification kind', async () => {
    const all = await receiver();
    const rollbacks = await receiver();
    const approvals = await receiver();
    const notifier = new Notifier({
      channels: [
        channel({ name: 'all', url: all.url }),
        channel({ name: 'rollbacks', url: rollbacks.url, kinds: ['rollbackStarted', 'escalation'] }),
        channel({ name: 'approvals', url: approvals.url, kinds: ['approvalRequested'] }),
      ],
    });
    const results = await notifier.send(notification);
    expect(results.map((d) => d.channel)).toEqual(['all', 'rollbacks']);
    expect([all.received.length, rollbacks.received.length, approvals.received.length]).toEqual([1, 1, 0]);
    expect(await notifier.send({ ...notification, kind: 'preDeployment' })).toEqual([
      { channel: 'all', delivered: true, attempts: 1, status: 200 },
    ]);
  });
});
