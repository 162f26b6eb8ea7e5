import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenerSpec, SessionAffinitySpec } from '../dataplane/protocol.js';
import { freePort } from '../platform/local/free-port.js';
import { Router } from './router.js';

const servers: Server[] = [];
const routers: Router[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await Promise.all(routers.splice(0).map((r) => r.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** An upstream answering with its replica id in `x-replica`. */
function replica(id: string): Promise<{ id: string; host: string; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'x-replica': id }).end(id));
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ id, host: '127.0.0.1', port: (server.address() as AddressInfo).port }),
    ),
  );
}

/** A router for rollout `web` with revisions 1 and 2, two replicas each, on one port. */
async function setUp(affinity: SessionAffinitySpec, canaryWeight: number) {
  const router = new Router();
  routers.push(router);
  const port = await freePort('127.0.0.1');
  const listener = (canary: number): ListenerSpec => ({
    port,
    backends: [
      { revision: 1, weight: 100 - canary },
      { revision: 2, weight: canary },
    ],
    sessionAffinity: affinity,
  });
  await router.applyRollout('web', [listener(canaryWeight)]);
  router.setEndpoints('web', 1, await Promise.all([replica('web-r1-0'), replica('web-r1-1')]));
  router.setEndpoints('web', 2, await Promise.all([replica('web-r2-0'), replica('web-r2-1')]));
  return { router, port, setCanary: (w: number) => router.applyRollout('web', [listener(w)]) };
}

async function get(
  port: number,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<{ replica: string; setCookie: string | undefined }> {
  const dispatcher = new Agent({ connections: 1, ...(localAddress ? { localAddress } : {}) });
  agents.push(dispatcher);
  const res = await request(`http://127.0.0.1:${port}/`, { headers, dispatcher });
  await res.body.text();
  const cookie = res.headers['set-cookie'];
  return { replica: String(res.headers['x-replica']), setCookie: Array.isArray(cookie) ? cookie[0] : cookie };
}

describe('session affinity in the router (real sockets)', () => {
  it('should keep each Cookie session on one revision and one replica, split new sessions by weight, and move them to stable on abort', async () => {
    const { router, port, setCanary } = await setUp({ type: 'Cookie' }, 30);
    const sessions: { cookie: string; replicas: Set<string> }[] = [];
    for (let s = 0; s < 300; s++) {
      const first = await get(port);
      expect(first.setCookie).toMatch(/^cutover-session=[\w-]{22}; Path=\/; HttpOnly; SameSite=Lax$/);
      const cookie = first.setCookie!.split(';')[0]!;
      const replicas = new Set([first.replica]);
      for (let i = 1; i < 10; i++) {
        const next = await get(port, { cookie: `theme=dark; ${cookie}` });
        expect(next.setCookie).toBeUndefined();
        replicas.add(next.replica);
      }
      sessions.push({ cookie, replicas });
    }
    expect(sessions.filter((s) => s.replicas.size !== 1)).toEqual([]);
    const onCanary =
      sessions.filter((s) => [...s.replicas][0]!.startsWith('web-r2')).length / sessions.length;
    expect(onCanary).toBeGreaterThanOrEqual(0.24);
    expect(onCanary).toBeLessThanOrEqual(0.36);
    const counts = router.sessions('web');
    expect(counts.map((c) => [c.revision, c.sessions])).toEqual([
      [1, sessions.length - Math.round(onCanary * sessions.length)],
      [2, Math.round(onCanary * sessions.length)],
    ]);
    expect(router.metricsText()).toMatch(
      /cutover_router_sessions\{rollout="web",listener_port="\d+",revision="2"\} \d+/,
    );

    // Abort: the canary loses its weight; every session's next request is on stable.
    await setCanary(0);
    for (const s of sessions) expect((await get(port, { cookie: s.cookie })).replica).toMatch(/^web-r1-/);
  }, 60_000);

  it('should keep a client IP on one replica, then rebalance it after timeoutSeconds idle (the seed: ClientIP)', async () => {
    const { port } = await setUp({ type: 'ClientIP', timeoutSeconds: 2 }, 0);
    const first = await get(port, {}, '127.0.0.2');
    for (let i = 0; i < 10; i++) expect((await get(port, {}, '127.0.0.2')).replica).toBe(first.replica);
    // Another client is a session of its own, on the next replica in turn.
    const other = await get(port, {}, '127.0.0.3');
    expect(other.replica).not.toBe(first.replica);
    await new Promise((r) => setTimeout(r, 2_200));
    // Idle past the timeout: forgotten, picked anew (the round-robin has moved on since).
    await get(port, {}, '127.0.0.4');
    const after = await get(port, {}, '127.0.0.2');
    expect(after.replica).not.toBe(first.replica);
  }, 20_000);

  it('should key a Header session by the conversation id, and move it to another replica of its revision when its replica leaves', async () => {
    const { router, port } = await setUp({ type: 'Header', headerName: 'X-Session-Id' }, 0);
    const a = await get(port, { 'x-session-id': 'conv-a' });
    const b = await get(port, { 'x-session-id': 'conv-b' });
    expect(b.replica).not.toBe(a.replica);
    for (let i = 0; i < 5; i++)
      expect((await get(port, { 'x-session-id': 'conv-a' })).replica).toBe(a.replica);
    const remaining = a.replica === 'web-r1-0' ? 'web-r1-1' : 'web-r1-0';
    const stays = await replica(remaining);
    router.setEndpoints('web', 1, [stays]);
    const moved = await get(port, { 'x-session-id': 'conv-a' });
    expect(moved.replica).toBe(remaining);
    expect((await get(port, { 'x-session-id': 'conv-a' })).replica).toBe(remaining);
  });
});
