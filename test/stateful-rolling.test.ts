import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  fetchOnce,
  freePort,
  REPO_ROOT,
  rolloutDoc,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

const AGENT = join(REPO_ROOT, 'examples', 'stateful-agent', 'server.mjs');

/**
 * A `spec.stateful` Rollout of 3 replicas updated with a rolling update, as a StatefulSet: the
 * test's replica holds a lock file in its ordinal's state directory, so two processes on one
 * ordinal would show at once.
 */
describe('stateful rolling update (StatefulSet semantics, real processes)', () => {
  const env = CutoverEnv.create('cutover-stateful-');
  const journal = env.path('journal');
  let port = 0;

  const spec = (version: string, rolling: Record<string, unknown> = {}) =>
    specYaml(
      rolloutDoc('agent', {
        replicas: 3,
        port,
        template: {
          command: ['node', AGENT],
          cwd: env.path('.'),
          env: { VERSION: version, JOURNAL: journal },
          readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
          terminationGracePeriodSeconds: 5,
        },
        strategy: { rolling },
        ...({ stateful: {} } as object),
      } as Parameters<typeof rolloutDoc>[1]),
    );

  const events_ = () =>
    readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [event, ordinal, version, at] = line.split(' ');
        return { event: event!, ordinal: Number(ordinal), version: version!, at: Number(at) };
      });
  const history = (ordinal: number) =>
    (JSON.parse(readFileSync(env.path(`state/agent/${ordinal}/state.json`), 'utf8')) as { history: string[] })
      .history;

  beforeAll(async () => {
    port = await freePort();
    await env.applyOk(spec('v1'));
    await env.waitForRollout('agent', (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === 3, {
      what: 'Healthy on v1',
    });
  }, 60_000);

  afterAll(async () => {
    await env.cleanup();
  });

  it('should name replicas by ordinal and give each its own state directory', async () => {
    const { items } = await env.apiGet<{
      items: { ordinals?: number[]; replicaStatuses: { id: string }[] }[];
    }>('/api/v1/rollouts/agent/replicasets');
    expect(items[0]!.ordinals).toEqual([0, 1, 2]);
    expect(items[0]!.replicaStatuses.map((r) => r.id).sort()).toEqual(['agent-0', 'agent-1', 'agent-2']);
    for (const o of [0, 1, 2]) expect(history(o)).toEqual(['v1']);
  });

  it('should replace ordinals highest first, never two processes on one ordinal, state intact, no request failed', async () => {
    const load = startLoad(port, { concurrency: 2 });
    await waitUntil(() => load.total >= 20, { timeoutMs: 10_000, what: '20 responses' });
    await env.applyOk(spec('v2'));
    await env.waitForRollout(
      'agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2 && r.status.readyReplicas === 3,
      { what: 'Healthy on v2', timeoutMs: 60_000 },
    );
    const counts = await load.stop();
    expect(counts.failures).toEqual([]);
    expect(counts.ok).toBeGreaterThan(20);

    const log = events_();
    expect(log.filter((e) => e.event.startsWith('VIOLATION'))).toEqual([]);
    const v2Starts = log.filter((e) => e.event === 'start' && e.version === 'v2');
    expect(v2Starts.map((e) => e.ordinal)).toEqual([2, 1, 0]);
    for (const start of v2Starts) {
      const stop = log.find((e) => e.event === 'stop' && e.version === 'v1' && e.ordinal === start.ordinal)!;
      expect(stop.at, `v1 of ordinal ${start.ordinal} stopped before v2 started`).toBeLessThanOrEqual(
        start.at,
      );
    }
    for (const o of [0, 1, 2]) expect(history(o)).toEqual(['v1', 'v2']);
  }, 90_000);

  it('should update only the ordinals at or above the partition', async () => {
    await env.applyOk(spec('v3', { partition: 2 }));
    await waitUntil(
      async () => {
        const r = await fetchOnce(port);
        return events_().some((e) => e.event === 'start' && e.version === 'v3') && r.status === 200;
      },
      { timeoutMs: 30_000, what: 'ordinal 2 on v3' },
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(history(2)).toEqual(['v1', 'v2', 'v3']);
    expect(history(1)).toEqual(['v1', 'v2']);
    expect(history(0)).toEqual(['v1', 'v2']);
    expect(events_().filter((e) => e.event.startsWith('VIOLATION'))).toEqual([]);
  }, 60_000);

  it('should back the state up before each update and restore it with undo --restore-state', async () => {
    // Without the partition the update to v3 goes on to every ordinal.
    await env.applyOk(spec('v3'));
    await env.waitForRollout(
      'agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 3 && r.status.readyReplicas === 3,
      { what: 'Healthy on v3', timeoutMs: 60_000 },
    );
    const { events } = await env.history('agent');
    const backups = events.filter((e) => e.reason === 'StateBackedUp').map((e) => e.message);
    expect(backups).toHaveLength(2);
    expect(backups[0]).toMatch(
      /^State directories of revision 1 backed up as agent-r1-\d+ \(\d+ bytes, sha256 [0-9a-f]{64}\)$/,
    );

    const undo = await env.cli(['undo', 'agent', '--to-revision', '1', '--restore-state']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/state restored from backup agent-r1-\d+/);
    await env.waitForRollout(
      'agent',
      (r) =>
        r.status.phase === 'Healthy' &&
        r.status.readyReplicas === 3 &&
        r.status['restoreState'] === undefined,
      { what: 'Healthy on the restored state', timeoutMs: 60_000 },
    );
    // The state as revision 1 left it, then revision 1 started on it again.
    for (const o of [0, 1, 2]) expect(history(o)).toEqual(['v1', 'v1']);
    expect(events_().filter((e) => e.event.startsWith('VIOLATION'))).toEqual([]);

    // No backup of an unknown revision: refused.
    const refused = await env.cli(['undo', 'agent', '--to-revision', '99', '--restore-state']);
    expect(refused.code).not.toBe(0);
  }, 90_000);
});
