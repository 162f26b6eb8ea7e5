import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  isAlive,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from './support/cutover-env.js';
import { pacedLoad } from './support/paced-load.js';

interface DataPlaneJson {
  pid: number;
  routerPid: number;
  routerRestarts: number;
}

/**
 * `kill -9` of the data plane's router process under 500 req/s of keep-alive load, with the
 * control plane already dead: the supervisor holds the listening socket (connections wait in its
 * backlog, none is refused) and the replicas (taken over, not restarted), and starts a new router
 * process by itself (design: "A crash of the router process refuses no connection and restarts no
 * replica", invariant 9).
 */
describe('Data plane crash', () => {
  const env = CutoverEnv.create('cutover-dpcrash-');

  afterAll(async () => {
    await env.cleanup();
  });

  it('should refuse no connection, fail only requests in flight on the killed router process, and keep every replica', async () => {
    const port = await freePort();
    const doc = rolloutDoc('web', {
      replicas: 2,
      port,
      template: sampleTemplate(env, 'v1'),
      strategy: { canary: { steps: [{ setWeight: 50 }] } },
    });
    await env.applyOk(specYaml(doc));
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    const info = (): DataPlaneJson =>
      JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as DataPlaneJson;
    const before = info();
    const replicas = env.replicaPids().sort();
    expect(replicas).toHaveLength(2);

    // No control plane from here on: the data plane must restart its router by itself.
    const serverPid = env.serverPid()!;
    process.kill(serverPid, 'SIGKILL');
    await waitUntil(() => !isAlive(serverPid), { timeoutMs: 5_000, what: 'the server to die' });

    const load = pacedLoad(port, 500, 16);
    await waitUntil(() => load.samples.length >= 1_000, { timeoutMs: 10_000, what: '1000 responses' });
    const killedAt = Date.now();
    process.kill(before.routerPid, 'SIGKILL');
    await waitUntil(() => Date.now() - killedAt >= 3_000, { timeoutMs: 5_000, what: '3 s of load' });
    const samples = await load.stop();

    const after = info();
    expect(after.pid).toBe(before.pid);
    expect(after.routerPid).not.toBe(before.routerPid);
    expect(after.routerRestarts).toBe(before.routerRestarts + 1);
    expect(isAlive(before.routerPid)).toBe(false);
    // Taken over, not restarted: the same processes.
    expect(env.replicaPids().sort()).toEqual(replicas);

    const failed = samples.filter((s) => !s.ok);
    const report = `${JSON.stringify(failed.slice(0, 10))}\n${failed.length} failed, kill at ${killedAt}, last failure at ${Math.max(...failed.map((s) => s.doneAt))}\n${readFileSync(env.path('logs/dataplane.log'), 'utf8').slice(-3000)}`;
    // No connection refused, ever.
    expect(
      samples.filter((s) => s.outcome === 'ECONNREFUSED'),
      report,
    ).toEqual([]);
    // Only requests on connections of the killed process may fail, and at most one per connection.
    expect(
      failed.filter((s) => s.connectedAt >= killedAt),
      report,
    ).toEqual([]);
    expect(failed.length, report).toBeLessThanOrEqual(16);
    // Serving again within 1 s: the first request sent after the kill that succeeded.
    const firstServed = samples
      .filter((s) => s.ok && s.sentAt >= killedAt)
      .reduce((min, s) => Math.min(min, s.doneAt), Number.POSITIVE_INFINITY);
    expect(firstServed - killedAt).toBeLessThanOrEqual(1_000);
    // And every request sent from then on succeeded, but for a request that a loaded machine let
    // onto a connection of the killed process before its teardown reset it (seen in CI: sent 12 ms
    // after the kill): those may fail, once per connection (at most 16 above), within 1 s of it.
    expect(
      samples.filter(
        (s) => s.sentAt >= firstServed && !s.ok && (s.connectedAt >= killedAt || s.doneAt - killedAt > 1_000),
      ),
      report,
    ).toEqual([]);
    expect(samples.filter((s) => s.sentAt >= killedAt).length).toBeGreaterThan(1_000);

    // The new router process answers the control plane, which reports the restart and the take-over.
    const rollout = await env.getRollout('web');
    expect(rollout.status.phase).toBe('Healthy');
    const events = await env.apiGet<{ items: { reason: string; message: string }[] }>(
      '/api/v1/events?limit=1000',
    );
    const restarted = events.items.find((e) => e.reason === 'RouterRestarted');
    expect(restarted?.message).toContain(`Router process ${before.routerPid} ended`);
    expect(restarted?.message).toContain('took over 2 running replica(s)');
  });
});
