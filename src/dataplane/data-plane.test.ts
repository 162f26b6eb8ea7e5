import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steadyLoad, waitFor } from '../traffic/steady-load.test-helper.js';
import { DataPlaneClient } from './client.js';
import { readDataPlaneInfo } from './data-plane-info.js';
import { ensureDataPlane } from './ensure-data-plane.js';
import { DataPlanePortInUseError } from './errors.js';
import type { DataPlaneInfo, ReplicaSetSpec } from './protocol.js';

const SAMPLE = new URL('../../examples/sample-service/server.mjs', import.meta.url).pathname;
const ENSURE = new URL('../../dist/dataplane/ensure-data-plane.js', import.meta.url).pathname;

function sample(revision: number, replicas: number, env: Record<string, string>): ReplicaSetSpec {
  return {
    revision,
    hash: `h${revision}`,
    replicas,
    template: { command: ['node', SAMPLE], env, terminationGracePeriodSeconds: 5 },
  };
}

async function freeListenPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('DataPlane', () => {
  let home: string;
  let info: DataPlaneInfo;
  let client: DataPlaneClient;
  /** Raw requests to the admin socket. */
  let admin: Agent;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'cutover-dp-'));
    // Started the way the control plane does it: by a process that then dies (kill -9).
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { ensureDataPlane } from ${JSON.stringify(ENSURE)}; const i = await ensureDataPlane({ home: ${JSON.stringify(home)}, metricsPort: 0, ofrepPort: 0 }); console.log(JSON.stringify(i)); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
    });
    info = JSON.parse(line) as DataPlaneInfo;
    parent.kill('SIGKILL');
    await new Promise((r) => parent.once('exit', r));
    client = new DataPlaneClient({ socketPath: info.adminSocket });
    admin = new Agent({ connect: { socketPath: info.adminSocket } });
  });

  afterAll(async () => {
    await client?.shutdown().catch(() => undefined);
    if (info !== undefined)
      await waitFor(() => readDataPlaneInfo(home) === null, 30_000, 'data plane exit').catch(() => undefined);
    await client?.close();
    await admin?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('should keep serving after the process that started it is killed with SIGKILL', async () => {
    expect(await client.healthy()).toBe(true);
    expect((await client.state()).pid).toBe(info.pid);
    // ensureDataPlane finds the running one instead of starting another.
    expect((await ensureDataPlane({ home })).pid).toBe(info.pid);
  });

  it('should keep its data directory 0700 and its admin socket 0600', () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(info.adminSocket).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'dataplane.json')).mode & 0o777).toBe(0o600);
  });

  it('should refuse web pages, non-JSON writes and any write on the metrics port', async () => {
    // Regression: the admin API was plain HTTP on 127.0.0.1 with no credential, so any local user
    // could start a process as the server's user, and POST /v1/shutdown was a CORS simple request.
    const state = await client.state();
    const onAdmin = (
      path: string,
      init: { method: string; headers?: Record<string, string>; body?: string },
    ) => request(`http://localhost${path}`, { dispatcher: admin, ...init });
    const fromPage = await onAdmin('/v1/shutdown', {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(fromPage.statusCode).toBe(403);
    expect(await fromPage.body.json()).toMatchObject({ error: { code: 'CUTOVER_E_DATAPLANE_FORBIDDEN' } });
    const asText = await onAdmin('/v1/shutdown', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(asText.statusCode).toBe(415);
    await asText.body.text();
    const noType = await onAdmin('/v1/rollouts/x', { method: 'PUT', body: '{}' });
    expect(noType.statusCode).toBe(415);
    await noType.body.text();
    const metrics = `http://127.0.0.1:${info.metricsPort}`;
    for (const [method, path] of [
      ['PUT', '/v1/rollouts/x'],
      ['POST', '/v1/shutdown'],
      ['GET', '/v1/state'],
      ['DELETE', '/v1/rollouts/split'],
    ] as const) {
      const res = await request(`${metrics}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      await res.body.text();
    }
    const sd = await request(`${metrics}/v1/sd`, { headers: { origin: 'https://evil.example' } });
    expect(sd.statusCode).toBe(403);
    await sd.body.text();
    const rebound = await request(`${metrics}/metrics`, { headers: { host: 'evil.example' } });
    expect(rebound.statusCode).toBe(403);
    await rebound.body.text();
    const scrape = await request(`${metrics}/metrics`);
    expect(scrape.statusCode).toBe(200);
    await scrape.body.text();
    // Nothing moved.
    expect(await client.healthy()).toBe(true);
    expect((await client.state()).rollouts).toEqual(state.rollouts);
  });

  it('should split 90/10 within a few percent over 2000 requests', async () => {
    const port = await freeListenPort();
    await client.apply({
      rollout: 'split',
      replicaSets: [sample(1, 1, { VERSION: 'v1' }), sample(2, 1, { VERSION: 'v2' })],
      listeners: [
        {
          port,
          backends: [
            { revision: 1, weight: 90 },
            { revision: 2, weight: 10 },
          ],
        },
      ],
    });
    await waitFor(
      async () =>
        (await client.state()).rollouts
          .find((r) => r.rollout === 'split')
          ?.replicaSets.every((s) => s.readyReplicas === 1) ?? false,
      15_000,
      'replicas ready',
    );
    const versions = new Map<string, number>();
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const res = await request(`http://127.0.0.1:${port}/`);
        await res.body.text();
        const v = String(res.headers['x-version']);
        versions.set(v, (versions.get(v) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, () => send(250)));
    expect((versions.get('v1') ?? 0) + (versions.get('v2') ?? 0)).toBe(2000);
    expect(Math.abs((versions.get('v2') ?? 0) / 2000 - 0.1)).toBeLessThan(0.02);
    const stats = await client.stats('split', 2, 60, 0.95);
    expect(stats.requests).toBe(versions.get('v2'));
    expect(stats.errorRate).toBe(0);
  });

  it('should not fail a request during weight changes and a scale-down under keep-alive load', async () => {
    const port = await freeListenPort();
    const spec = (w: number, r1: number) => ({
      rollout: 'steady',
      replicaSets: [sample(1, r1, { VERSION: 'v1' }), sample(2, 1, { VERSION: 'v2' })],
      listeners: [
        {
          port,
          backends: [
            { revision: 1, weight: 100 - w },
            { revision: 2, weight: w },
          ],
        },
      ],
    });
    await client.apply(spec(0, 2));
    await waitFor(
      async () =>
        (await client.state()).rollouts
          .find((r) => r.rollout === 'steady')
          ?.replicaSets.every((s) => s.readyReplicas === s.replicas) ?? false,
      15_000,
      'replicas ready',
    );
    const load = steadyLoad(`http://127.0.0.1:${port}/`, 8);
    await waitFor(() => load.result.ok > 200, 10_000, 'traffic');
    for (const w of [25, 50, 75]) {
      await client.apply(spec(w, 2));
      const before = load.result.ok;
      await waitFor(() => load.result.ok > before + 200, 10_000, `traffic at ${w}`);
    }
    await client.apply(spec(75, 1)); // stops one v1 replica while it serves
    await waitFor(
      async () =>
        (await client.state()).rollouts.find((r) => r.rollout === 'steady')?.replicaSets[0]?.replicaStatuses
          .length === 1,
      15_000,
      'replica stopped',
    );
    const before = load.result.ok;
    await waitFor(() => load.result.ok > before + 200, 10_000, 'traffic after stop');
    const result = await load.stop();
    expect(result.failures.slice(0, 3)).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.versions.get('v2') ?? 0).toBeGreaterThan(0);
  });

  it('should answer 409 CUTOVER_E_PORT_IN_USE for a busy port and change nothing', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const busyPort = (busy.address() as AddressInfo).port;
    try {
      const port = await freeListenPort();
      await client.apply({ rollout: 'ports', replicaSets: [], listeners: [{ port, backends: [] }] });
      const before = await client.state();
      const err = await client
        .apply({
          rollout: 'ports',
          replicaSets: [sample(1, 1, {})],
          listeners: [{ port: busyPort, backends: [{ revision: 1, weight: 100 }] }],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataPlanePortInUseError);
      expect((err as DataPlanePortInUseError).port).toBe(busyPort);
      expect((err as DataPlanePortInUseError).code).toBe('CUTOVER_E_PORT_IN_USE');
      const raw = await request('http://localhost/v1/rollouts/ports', {
        dispatcher: admin,
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ replicaSets: [], listeners: [{ port: busyPort, backends: [] }] }),
      });
      expect(raw.statusCode).toBe(409);
      expect(((await raw.body.json()) as { error: { port: number } }).error.port).toBe(busyPort);
      expect(await client.state()).toEqual(before);
    } finally {
      busy.close();
    }
  });

  it('should report windowed stats and metrics after known traffic', async () => {
    const port = await freeListenPort();
    await client.apply({
      rollout: 'faulty',
      replicaSets: [sample(1, 1, { VERSION: 'v1' }), sample(2, 1, { VERSION: 'v2', FAULT_RATE: '1' })],
      listeners: [
        {
          port,
          backends: [
            { revision: 1, weight: 50 },
            { revision: 2, weight: 50 },
          ],
        },
      ],
    });
    await waitFor(
      async () =>
        (await client.state()).rollouts
          .find((r) => r.rollout === 'faulty')
          ?.replicaSets.every((s) => s.readyReplicas === 1) ?? false,
      15_000,
      'replicas ready',
    );
    for (let i = 0; i < 40; i++) await (await request(`http://127.0.0.1:${port}/`)).body.text();
    const bad = await client.stats('faulty', 2, 30, 0.95);
    expect(bad).toMatchObject({
      requests: 20,
      errors: 20,
      errorRate: 1,
      status: { '5xx': 20, proxyError: 0 },
    });
    expect(bad.latency).toBeGreaterThan(0);
    expect(bad.requestRate).toBeGreaterThan(0);
    const good = await client.stats('faulty', 1, 30, 0.5);
    expect(good).toMatchObject({ requests: 20, errors: 0, errorRate: 0 });
    const none = await client.stats('faulty', 7, 30, 0.5);
    expect(none).toMatchObject({ requests: 0, errorRate: null, latency: null });
    const text = await client.metricsText();
    expect(text).toContain(
      'cutover_router_requests_total{rollout="faulty",revision="2",code_class="5xx"} 20\n',
    );
    expect(text).toContain(
      'cutover_router_requests_total{rollout="faulty",revision="1",code_class="2xx"} 20\n',
    );
    expect(text).toContain('cutover_replica_ready{rollout="faulty",revision="2"} 1\n');
    // The per-second stream carries the same counters.
    const abort = new AbortController();
    const load = steadyLoad(`http://127.0.0.1:${port}/`, 1);
    let seen = 0;
    for await (const second of client.stream(abort.signal)) {
      seen += second.revisions.find((r) => r.rollout === 'faulty' && r.revision === 2)?.errors ?? 0;
      if (seen > 0) break;
    }
    abort.abort();
    await load.stop();
    expect(seen).toBeGreaterThan(0);
    expect(await client.remove('faulty')).toBe(true);
    expect((await client.state()).rollouts.some((r) => r.rollout === 'faulty')).toBe(false);
  });
});
