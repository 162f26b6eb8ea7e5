import { request, WebSocket } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { CutoverEnv, freePort, rolloutDoc, sampleTemplate, specYaml } from './support/cutover-env.js';

/**
 * A conversation's streams through the real server, data plane and router while its Rollout is
 * promoted: a WebSocket echo and a server-sent events stream of 60 s opened on the stable revision
 * run to their end while a canary is promoted past them and the old replica is stopped.
 */
describe('streams across a promotion (real processes)', () => {
  const env = CutoverEnv.create('cutover-streams-promotion-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should carry a 60 s WebSocket and a 60 s SSE stream opened on stable to their end across a full promotion', async () => {
    const port = await freePort();
    const spec = (version: string) =>
      specYaml(
        rolloutDoc('chat', {
          replicas: 1,
          port,
          template: { ...sampleTemplate(env, version), terminationGracePeriodSeconds: 120 },
          strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
        }),
      );
    await env.applyOk(spec('v1'));
    await env.waitForRollout('chat', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });

    const started = Date.now();
    // SSE: 600 events, one every 100 ms.
    const sse = await request(`http://127.0.0.1:${port}/events?count=600&intervalMs=100`);
    expect(sse.headers['x-version']).toBe('v1');
    let events = 0;
    let text = '';
    const sseDone = (async () => {
      for await (const chunk of sse.body) {
        text += String(chunk);
        const parts = text.split('\n\n');
        text = parts.pop()!;
        events += parts.length;
      }
    })();
    // WebSocket: one message a second for 60 s, each echoed.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const received: string[] = [];
    ws.addEventListener('message', (e) => received.push(String(e.data)));
    const closed = new Promise<number>((resolve) => ws.addEventListener('close', (e) => resolve(e.code)));
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error('websocket error')));
    });
    let sent = 0;
    const sender = setInterval(() => {
      if (Date.now() - started >= 60_000) {
        clearInterval(sender);
        ws.close(1000, 'conversation over');
      } else ws.send(`turn ${sent++}`);
    }, 1_000);

    // The update: canary at 50%, then a full promotion; the old replica drains and stops.
    await env.applyOk(spec('v2'));
    await env.waitForRollout('chat', (r) => r.status.phase === 'Paused', { what: 'paused at 50%' });
    await env.cliOk(['promote', 'chat', '--full']);
    await env.waitForRollout('chat', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'promoted to revision 2',
      timeoutMs: 30_000,
    });
    const next = await request(`http://127.0.0.1:${port}/`);
    expect(next.headers['x-version']).toBe('v2');
    await next.body.text();

    expect(await closed).toBe(1000);
    await sseDone;
    expect(events).toBe(600);
    expect(received[0]).toBe('hello from v1 chat-r1-0');
    expect(received.slice(1)).toEqual(Array.from({ length: sent }, (_, i) => `turn ${i}`));
    expect(sent).toBeGreaterThanOrEqual(55);
    expect(Date.now() - started).toBeGreaterThanOrEqual(59_000);
    // Nothing was cut.
    const history = await env.history('chat');
    expect(history.events.filter((e) => e.reason === 'StreamsCut')).toEqual([]);
  }, 120_000);
});
