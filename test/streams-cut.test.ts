import { request, WebSocket } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from './support/cutover-env.js';

/** A client WebSocket: the messages received and how it closed. */
function openWebSocket(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.addEventListener('message', (e) => messages.push(String(e.data)));
  const closed = new Promise<{ code: number; at: number }>((resolve) =>
    ws.addEventListener('close', (e) => resolve({ code: e.code, at: Date.now() })),
  );
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('websocket error')));
  });
  return { ws, messages, closed, opened };
}

/**
 * Streams through the real server, data plane and router: a scale-down keeps the server-sent
 * events stream and the WebSocket of the replica it stops until its grace period ends, then cuts
 * the stream and closes the WebSocket with 1001, which is an event; the other replica's are
 * untouched.
 */
describe('streams of a stopping replica (real processes)', () => {
  const env = CutoverEnv.create('cutover-streams-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should stream until the grace period of a stopping replica ends, then cut the stream, close the WebSocket with 1001 and record it', async () => {
    const port = await freePort();
    const doc = (replicas: number) =>
      specYaml(
        rolloutDoc('sse', {
          replicas,
          port,
          template: { ...sampleTemplate(env, 'v1'), terminationGracePeriodSeconds: 2 },
          strategy: { rolling: {} },
        }),
      );
    await env.applyOk(doc(2));
    await env.waitForRollout('sse', (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === 2, {
      what: 'two ready replicas',
    });
    // One stream and one WebSocket on each replica (the router alternates).
    const open = await Promise.all([0, 1].map(() => request(`http://127.0.0.1:${port}/events`)));
    const replicas = open.map((r) => String(r.headers['x-replica']));
    expect(new Set(replicas).size).toBe(2);
    const sockets = [0, 1].map(() => openWebSocket(`ws://127.0.0.1:${port}/ws`));
    await Promise.all(sockets.map((s) => s.opened));
    await waitUntil(async () => sockets.every((s) => s.messages.length === 1) || undefined, {
      timeoutMs: 5_000,
      what: 'the greetings',
    });
    const socketReplicas = sockets.map((s) => s.messages[0]!.split(' ').at(-1)!);
    expect(new Set(socketReplicas).size).toBe(2);
    const received = [0, 0];
    const outcomes = open.map(async (res, i) => {
      try {
        for await (const _chunk of res.body) received[i]!++;
        return 'ended';
      } catch {
        return 'cut';
      }
    });

    await env.applyOk(doc(1));
    const stopped = replicas.indexOf('sse-r1-1'); // scale-down stops the newest
    const stoppedSocket = sockets[socketReplicas.indexOf('sse-r1-1')]!;
    const keptSocket = sockets[socketReplicas.indexOf('sse-r1-0')]!;
    const cutAt = Date.now();
    // The WebSocket works through the grace period.
    stoppedSocket.ws.send('still here');
    await waitUntil(async () => stoppedSocket.messages.includes('still here') || undefined, {
      timeoutMs: 1_000,
      what: 'an echo during the grace period',
    });
    expect(await outcomes[stopped]).toBe('cut');
    // It streamed through its grace period (2 s) before the cut.
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(1_500);
    expect(received[stopped]).toBeGreaterThanOrEqual(15);
    const closed = await stoppedSocket.closed;
    expect(closed.code).toBe(1001);
    expect(closed.at - cutAt).toBeGreaterThanOrEqual(1_500);
    const history = await waitUntil(
      async () => {
        const h = await env.history('sse');
        return h.events.some((e) => e.reason === 'StreamsCut') ? h : undefined;
      },
      { timeoutMs: 10_000, what: 'a StreamsCut event' },
    );
    expect(history.events.find((e) => e.reason === 'StreamsCut')!.message).toBe(
      'Replica sse-r1-1 of revision 1 stopped with 2 request(s) still open (streams, WebSockets, long responses): cut at the end of its grace period',
    );
    // The other stream and WebSocket are untouched.
    const before = received[1 - stopped]!;
    await new Promise((r) => setTimeout(r, 500));
    expect(received[1 - stopped]!).toBeGreaterThan(before);
    keptSocket.ws.send('after');
    await waitUntil(async () => keptSocket.messages.includes('after') || undefined, {
      timeoutMs: 2_000,
      what: 'an echo on the kept replica',
    });
    keptSocket.ws.close();
    open[1 - stopped]!.body.destroy();
  }, 60_000);
});
