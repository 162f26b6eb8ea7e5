import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicaSetSpec } from '../../dataplane/protocol.js';
import type { LocalTemplate } from '../../spec/types.js';
import { Router } from '../../traffic/index.js';
import { steadyLoad, waitFor } from '../../traffic/steady-load.test-helper.js';
import { freePort } from './free-port.js';
import { LocalPlatform } from './local-platform.js';

const COORDINATOR = new URL('../../../examples/coordinator-agent/server.mjs', import.meta.url).pathname;
let home: string;
let router: Router;
let platform: LocalPlatform;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'cutover-lifecycle-'));
  router = new Router();
  platform = new LocalPlatform({ home, sink: router, backoff: { initialMs: 200, maxMs: 5_000 } });
});

afterEach(async () => {
  await platform.stopAll();
  await router.close();
  rmSync(home, { recursive: true, force: true });
});

function set(revision: number, replicas: number, template: LocalTemplate): ReplicaSetSpec {
  return { revision, hash: `h${revision}`, replicas, template };
}

function replicas(rollout: string, revision: number) {
  return platform.status(rollout).find((s) => s.revision === revision)?.replicaStatuses ?? [];
}

const LIVENESS = { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 2 };

describe('container lifecycle on the local platform (real processes)', () => {
  it('should keep a replica with an 8 s model load behind its startupProbe from being restarted by its liveness probe', async () => {
    const slow = { command: ['node', COORDINATOR], env: { MODEL_LOAD_MS: '8000' } };
    // The control: the same replica without a startupProbe is killed by its liveness probe.
    platform.apply('unguarded', [set(1, 1, { ...slow, livenessProbe: LIVENESS })]);
    platform.apply('guarded', [
      set(1, 1, {
        ...slow,
        livenessProbe: LIVENESS,
        readinessProbe: { httpGet: { path: '/healthz/ready' }, periodSeconds: 1 },
        startupProbe: { httpGet: { path: '/healthz/startup' }, periodSeconds: 1, failureThreshold: 20 },
      }),
    ]);
    await waitFor(() => replicas('guarded', 1)[0]?.ready === true, 20_000, 'the guarded replica ready');
    const guarded = replicas('guarded', 1)[0]!;
    expect(guarded.restarts).toBe(0);
    expect(Date.now() - guarded.startedAt).toBeGreaterThanOrEqual(8_000);
    expect(replicas('unguarded', 1)[0]!.restarts).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('should restart a replica whose startupProbe does not pass within failureThreshold × periodSeconds', async () => {
    platform.apply('never', [
      set(1, 1, {
        command: ['node', COORDINATOR],
        env: { MODEL_LOAD_MS: '600000' },
        startupProbe: { httpGet: { path: '/healthz/startup' }, periodSeconds: 0.2, failureThreshold: 2 },
        terminationGracePeriodSeconds: 1,
      }),
    ]);
    await waitFor(() => (replicas('never', 1)[0]?.restarts ?? 0) >= 1, 10_000, 'a restart');
    expect(replicas('never', 1)[0]!.ready).toBe(false);
  }, 15_000);

  it('should run preStop after the router stopped sending the replica requests and before SIGTERM', async () => {
    const journal = join(home, 'journal');
    const server = join(home, 'server.mjs');
    // Each event on one line with the time: the requests it served, preStop, SIGTERM.
    writeFileSync(
      server,
      `import http from 'node:http';
import { appendFileSync } from 'node:fs';
const note = (what) => appendFileSync(${JSON.stringify(journal)}, process.env.CUTOVER_REPLICA + ' ' + what + ' ' + Date.now() + '\\n');
const s = http.createServer((req, res) => {
  if (req.url === '/prestop') { note('preStop'); setTimeout(() => res.end('ok'), 300); return; }
  note('request'); res.end('hi');
});
s.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { note('SIGTERM'); process.exit(0); });
`,
    );
    const template: LocalTemplate = {
      command: ['node', server],
      lifecycle: { preStop: { httpGet: { path: '/prestop' } } },
      terminationGracePeriodSeconds: 10,
    };
    platform.apply('hooked', [set(1, 2, template)]);
    await waitFor(() => platform.status('hooked')[0]?.readyReplicas === 2, 10_000, 'two ready');
    const port = await freePort('127.0.0.1');
    await router.applyRollout('hooked', [{ port, backends: [{ revision: 1, weight: 100 }] }]);
    const load = steadyLoad(`http://127.0.0.1:${port}/`, 4);
    await new Promise((r) => setTimeout(r, 500));
    const before = replicas('hooked', 1).map((r) => r.id);
    platform.apply('hooked', [set(1, 1, template)]);
    await waitFor(() => replicas('hooked', 1).length === 1, 15_000, 'one stopped');
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(20);

    const lines = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const stopped = before.find((id) => id !== replicas('hooked', 1)[0]!.id)!;
    const events = lines.filter(([id]) => id === stopped).map(([, what, at]) => ({ what, at: Number(at) }));
    const preStop = events.findIndex((e) => e.what === 'preStop');
    const sigterm = events.findIndex((e) => e.what === 'SIGTERM');
    expect(preStop).toBeGreaterThan(0);
    expect(sigterm).toBeGreaterThan(preStop);
    // No request reached it after preStop began; SIGTERM came after the hook answered (300 ms).
    expect(events.slice(preStop + 1).filter((e) => e.what === 'request')).toEqual([]);
    expect(events[sigterm]!.at - events[preStop]!.at).toBeGreaterThanOrEqual(290);
  }, 30_000);
});
