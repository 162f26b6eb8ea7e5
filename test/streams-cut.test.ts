import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { CutoverEnv, freePort, rolloutDoc, specYaml, waitUntil } from './support/cutover-env.js';

/**
 * A server-sent events stream through the real server, data plane and router: a scale-down keeps
 * the stream of the replica it stops until its grace period ends, then cuts it, which is an event.
 */
describe('streams of a stopping replica (real processes)', () => {
  const env = CutoverEnv.create('cutover-streams-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should stream until the grace period of a stopping replica ends, then cut the stream and record it', async () => {
    const port = await freePort();
    const server = env.write(
      'sse.mjs',
      `import http from 'node:http';
http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'x-replica': process.env.CUTOVER_REPLICA });
  let n = 0;
  const t = setInterval(() => res.write('data: ' + process.env.CUTOVER_REPLICA + ' ' + n++ + '\\n\\n'), 100);
  res.on('close', () => clearInterval(t));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {}); // keeps streaming until SIGKILL
`,
    );
    const doc = (replicas: number) =>
      specYaml(
        rolloutDoc('sse', {
          replicas,
          port,
          template: {
            command: ['node', server],
            cwd: env.path('.'),
            readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
            terminationGracePeriodSeconds: 2,
          },
          strategy: { rolling: {} },
        }),
      );
    expect((await env.apply(doc(2))).code).toBe(0);
    await env.waitForRollout('sse', (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === 2, {
      what: 'two ready replicas',
    });
    // One stream on each replica (the router alternates).
    const open = await Promise.all([0, 1].map(() => request(`http://127.0.0.1:${port}/events`)));
    const replicas = open.map((r) => String(r.headers['x-replica']));
    expect(new Set(replicas).size).toBe(2);
    const received = [0, 0];
    const outcomes = open.map(async (res, i) => {
      try {
        for await (const _chunk of res.body) received[i]!++;
        return 'ended';
      } catch {
        return 'cut';
      }
    });

    expect((await env.apply(doc(1))).code).toBe(0);
    const stopped = replicas.indexOf('sse-r1-1'); // scale-down stops the newest
    const cutAt = Date.now();
    expect(await outcomes[stopped]).toBe('cut');
    // It streamed through its grace period (2 s) before the cut.
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(1_500);
    expect(received[stopped]).toBeGreaterThanOrEqual(15);
    const history = await waitUntil(
      async () => {
        const h = await env.history('sse');
        return h.events.some((e) => e.reason === 'StreamsCut') ? h : undefined;
      },
      { timeoutMs: 10_000, what: 'a StreamsCut event' },
    );
    expect(history.events.find((e) => e.reason === 'StreamsCut')!.message).toBe(
      'Replica sse-r1-1 of revision 1 stopped with 1 request(s) still open (streams, WebSockets, long responses): cut at the end of its grace period',
    );
    // The other stream is untouched.
    const before = received[1 - stopped]!;
    await new Promise((r) => setTimeout(r, 500));
    expect(received[1 - stopped]!).toBeGreaterThan(before);
    open[1 - stopped]!.body.destroy();
  }, 60_000);
});
