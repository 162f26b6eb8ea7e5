import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicaSetSpec } from '../../dataplane/protocol.js';
import type { LocalTemplate } from '../../spec/types.js';
import { Router } from '../../traffic/index.js';
import { steadyLoad, waitFor } from '../../traffic/steady-load.test-helper.js';
import { LocalPlatform } from './local-platform.js';

const SAMPLE = new URL('../../../examples/sample-service/server.mjs', import.meta.url).pathname;
let home: string;
let router: Router;
let platform: LocalPlatform;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cutover-platform-'));
  router = new Router();
  platform = new LocalPlatform({ home, sink: router, backoff: { initialMs: 200, maxMs: 5_000 } });
});

afterEach(async () => {
  await platform.stopAll();
  await router.close();
  rmSync(home, { recursive: true, force: true });
});

function script(name: string, source: string): string {
  const path = join(home, name);
  writeFileSync(path, source);
  return path;
}

function set(revision: number, replicas: number, template: LocalTemplate): ReplicaSetSpec {
  return { revision, hash: `h${revision}`, replicas, template };
}

async function freeListenPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function replicas(rollout: string, revision: number) {
  return platform.status(rollout).find((s) => s.revision === revision)?.replicaStatuses ?? [];
}

describe('LocalPlatform', () => {
  it('should restart a crashed replica with a doubling backoff and report its exit code', async () => {
    platform.apply('crashy', [
      set(1, 1, { command: ['node', '-e', 'setTimeout(() => process.exit(3), 50)'] }),
    ]);
    const starts: number[] = [];
    await waitFor(
      () => {
        const r = replicas('crashy', 1)[0];
        if (r !== undefined && r.startedAt > 0 && !starts.includes(r.startedAt)) starts.push(r.startedAt);
        return (r?.restarts ?? 0) >= 3;
      },
      10_000,
      '3 restarts',
    );
    const r = replicas('crashy', 1)[0]!;
    expect(r.lastExitCode).toBe(3);
    // Gaps between starts: ~50 ms of running + 200, 400, 800 ms of backoff.
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(240);
    expect(gaps[1]).toBeGreaterThanOrEqual(440);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
  });

  it('should report a spawn that Node refuses (NUL in an env value) as a crash with its reason, not throw', async () => {
    // Regression: a NUL byte made spawn() throw a TypeError out of apply, uncaught in the data plane.
    expect(() =>
      platform.apply('nul', [set(1, 1, { command: ['node', '-e', ''], env: { BAD: 'a\u0000b' } })]),
    ).not.toThrow();
    await waitFor(
      () => (replicas('nul', 1)[0]?.restarts ?? 0) >= 1,
      5_000,
      'a restart after the refused spawn',
    );
    const r = replicas('nul', 1)[0]!;
    expect(r).toMatchObject({ state: 'Crashed', lastExitCode: 127, pid: null });
    expect(r.message).toMatch(/^spawn failed: /);
  });

  it('should send no traffic to a replica before its readiness probe passes', async () => {
    // Listens at once, but is only ready after 1 s; before that any non-probe request is a 500.
    const slow = script(
      'slow.mjs',
      `import http from 'node:http';
      const t0 = Date.now();
      http.createServer((req, res) => {
        const ready = Date.now() - t0 >= 1000;
        if (req.url === '/ready') return res.writeHead(ready ? 200 : 503).end();
        res.writeHead(ready ? 200 : 500, { 'x-version': 'v2' }).end();
      }).listen(Number(process.env.PORT), '127.0.0.1');`,
    );
    const port = await freeListenPort();
    await router.applyRollout('web', [
      {
        port,
        backends: [
          { revision: 1, weight: 50 },
          { revision: 2, weight: 50 },
        ],
      },
    ]);
    platform.apply('web', [
      set(1, 1, { command: ['node', SAMPLE], env: { VERSION: 'v1' } }),
      set(2, 1, {
        command: ['node', slow],
        readinessProbe: { httpGet: { path: '/ready' }, periodSeconds: 0.1 },
      }),
    ]);
    await waitFor(() => platform.status('web')[0]?.readyReplicas === 1, 10_000, 'v1 ready');
    const load = steadyLoad(`http://127.0.0.1:${port}/`, 4);
    await waitFor(() => (load.result.versions.get('v2') ?? 0) > 50, 10_000, 'v2 traffic');
    const result = await load.stop();
    expect(result.failed).toBe(0);
  });

  it('should restart a replica whose liveness probe fails', async () => {
    const sick = script(
      'sick.mjs',
      `import http from 'node:http';
      const t0 = Date.now();
      http.createServer((req, res) => res.writeHead(req.url === '/live' && Date.now() - t0 > 300 ? 500 : 200).end())
        .listen(Number(process.env.PORT), '127.0.0.1');`,
    );
    platform.apply('sick', [
      set(1, 1, {
        command: ['node', sick],
        livenessProbe: { httpGet: { path: '/live' }, periodSeconds: 0.1, failureThreshold: 2 },
        terminationGracePeriodSeconds: 1,
      }),
    ]);
    await waitFor(() => (replicas('sick', 1)[0]?.restarts ?? 0) >= 1, 10_000, 'a liveness restart');
    expect(replicas('sick', 1)[0]!.lastExitCode).not.toBeNull();
  });

  it('should drain in-flight requests before SIGTERM and SIGKILL a replica that ignores SIGTERM', async () => {
    const events = join(home, 'events.log');
    const stubborn = script(
      'stubborn.mjs',
      `import http from 'node:http';
      import { appendFileSync } from 'node:fs';
      process.on('SIGTERM', () => appendFileSync(${JSON.stringify(events)}, 'sigterm ' + Date.now() + '\\n'));
      http.createServer((req, res) => {
        setTimeout(() => { appendFileSync(${JSON.stringify(events)}, 'responded ' + Date.now() + '\\n'); res.end('slow'); }, 800);
      }).listen(Number(process.env.PORT), '127.0.0.1');`,
    );
    const port = await freeListenPort();
    await router.applyRollout('stub', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    platform.apply('stub', [set(1, 1, { command: ['node', stubborn], terminationGracePeriodSeconds: 1 })]);
    await waitFor(() => platform.status('stub')[0]?.readyReplicas === 1, 10_000, 'ready');
    const pid = replicas('stub', 1)[0]!.pid!;
    const inFlight = request(`http://127.0.0.1:${port}/`);
    await waitFor(() => router.endpointInFlight('stub-r1-0') === 1, 5_000, 'request in flight');
    const t0 = Date.now();
    const removing = platform.remove('stub');
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('slow');
    await removing;
    const elapsed = Date.now() - t0;
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['responded', 'sigterm']);
    const sigtermAt = Number(lines[1]!.split(' ')[1]);
    // SIGKILL only after the 1 s grace period that followed SIGTERM.
    expect(t0 + elapsed - sigtermAt).toBeGreaterThanOrEqual(900);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('should run `python3 -m http.server $(PORT)` as a replica', async () => {
    writeFileSync(join(home, 'index.html'), 'python here\n');
    const port = await freeListenPort();
    await router.applyRollout('py', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    platform.apply('py', [
      set(1, 1, {
        command: ['python3', '-m', 'http.server', '$(PORT)', '--bind', '127.0.0.1'],
        cwd: home,
        terminationGracePeriodSeconds: 2,
      }),
    ]);
    await waitFor(() => platform.status('py')[0]?.readyReplicas === 1, 15_000, 'python ready');
    const res = await request(`http://127.0.0.1:${port}/index.html`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('python here\n');
  });

  it('should scale down not-ready replicas first, then the newest', async () => {
    const never = script(
      'never.mjs',
      `import http from 'node:http';
      http.createServer((req, res) => res.writeHead(process.env.CUTOVER_REPLICA.endsWith('-1') ? 503 : 200).end())
        .listen(Number(process.env.PORT), '127.0.0.1');`,
    );
    const template: LocalTemplate = {
      command: ['node', never],
      readinessProbe: { httpGet: {}, periodSeconds: 0.1 },
    };
    platform.apply('scale', [set(1, 3, template)]);
    await waitFor(
      () => platform.status('scale')[0]?.readyReplicas === 2 && replicas('scale', 1).length === 3,
      10_000,
      '2 of 3 ready',
    );
    platform.apply('scale', [set(1, 2, template)]);
    await waitFor(() => replicas('scale', 1).length === 2, 10_000, 'scale to 2');
    expect(
      replicas('scale', 1)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['scale-r1-0', 'scale-r1-2']);
    platform.apply('scale', [set(1, 1, template)]);
    await waitFor(() => replicas('scale', 1).length === 1, 10_000, 'scale to 1');
    expect(replicas('scale', 1).map((r) => r.id)).toEqual(['scale-r1-0']);
  });
});
