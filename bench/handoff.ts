/**
 * Coordination handoff benchmark: the sample coordinator agent holding a 10 MiB state, updated with
 * blue-green under 200 req/s of session requests, promoted by the API, through the real server,
 * data plane and router. For each promotion: time from `promote` to the new coordinator active
 * (`status.activeReplica`), requests failed (goal 0), the longest gap in which no coordinator was
 * active (polling every replica's status every 10 ms; goal <= 1 s), and the slowest request. The
 * baseline, measured in the same run between the same two replicas: a plain client's export from
 * the old one and import into the new one (the floor of any handoff of this state).
 */
import { loadavg } from 'node:os';
import { request } from 'undici';
import { coordinationStatus, coordinatorHandoff, coordinatorTemplate } from '../test/support/coordinator.js';
import { CutoverEnv, freePorts, rolloutDoc, specYaml, waitUntil } from '../test/support/cutover-env.js';
import { pacedLoad } from '../test/support/paced-load.js';

const STATE_BYTES = 10 * 1024 * 1024;
const RATE = 200;

interface HandoffFigures {
  promoteToActiveMs: number;
  /** The handoff run's own duration (created → completed), ms. */
  runMs: number;
  failed: number;
  sent: number;
  /** Longest time no replica reported itself active, ms. */
  gapMs: number;
  slowestMs: number;
  /** Plain export + import of the same state between the same replicas, ms. */
  baselineMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function replicaPorts(env: CutoverEnv, revision?: number): Promise<number[]> {
  const { items } = await env.apiGet<{
    items: { revision: number; replicaStatuses: { port: number; pid: number | null }[] }[];
  }>('/api/v1/rollouts/coord/replicasets');
  return items
    .filter((s) => revision === undefined || s.revision === revision)
    .flatMap((s) => s.replicaStatuses.filter((r) => r.pid !== null).map((r) => r.port));
}

/** Longest stretch with no active coordinator among `ports`, polling every 10 ms until `stop()`. */
function gapWatcher(ports: readonly number[]) {
  let longest = 0;
  let inactiveSince: number | null = null;
  let running = true;
  const loop = (async () => {
    while (running) {
      const statuses = await Promise.all(ports.map((p) => coordinationStatus(p)));
      const now = Date.now();
      if (statuses.some((s) => s?.active === true)) {
        if (inactiveSince !== null) longest = Math.max(longest, now - inactiveSince);
        inactiveSince = null;
      } else inactiveSince ??= now;
      await sleep(10);
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return longest;
    },
  };
}

async function api(env: CutoverEnv, path: string): Promise<void> {
  const res = await request(`http://127.0.0.1:${env.apiPort()}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.apiToken()}`, 'content-type': 'application/json' },
    body: '{}',
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`POST ${path}: ${res.statusCode} ${text}`);
}

/** A plain client moving the state from `from` to `to` (export, then import), ms. */
async function directTransferMs(from: number, to: number): Promise<number> {
  const t = performance.now();
  const exported = await request(`http://127.0.0.1:${from}/api/v1/coordination/export`);
  const body = Buffer.from(await exported.body.arrayBuffer());
  const imported = await request(`http://127.0.0.1:${to}/api/v1/coordination/import`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  await imported.body.text();
  return performance.now() - t;
}

async function benchHandoff(promotions = 3): Promise<HandoffFigures[]> {
  const env = CutoverEnv.create('cutover-bench-handoff-');
  const [port, previewPort] = (await freePorts(2)) as [number, number];
  const spec = (version: string) =>
    specYaml(
      rolloutDoc('coord', {
        replicas: 1,
        port,
        template: coordinatorTemplate(env, version),
        strategy: { blueGreen: { previewPort, autoPromotionEnabled: false, scaleDownDelaySeconds: 1 } },
        ...({ handoff: coordinatorHandoff({ timeoutSeconds: 30, maxStateBytes: '64Mi' }) } as object),
      } as Parameters<typeof rolloutDoc>[1]),
    );
  const figures: HandoffFigures[] = [];
  try {
    await env.apply(spec('v1'));
    await env.waitForRollout(
      'coord',
      (r) => r.status.phase === 'Healthy' && r.status['activeReplica'] != null,
      {
        what: 'an active coordinator',
        timeoutMs: 60_000,
      },
    );
    const memory = await request(`http://127.0.0.1:${port}/api/v1/memory/context`, {
      method: 'PUT',
      body: 'x'.repeat(STATE_BYTES),
    });
    if (memory.statusCode !== 200) throw new Error(`PUT memory: ${memory.statusCode}`);
    await memory.body.text();

    for (let i = 0; i < promotions; i++) {
      const revision = i + 2;
      await env.apply(spec(`v${revision}`));
      await env.waitForRollout(
        'coord',
        (r) => r.status.phase === 'Paused' && r.status.currentRevision === revision,
        {
          what: `the preview of revision ${revision}`,
          timeoutMs: 60_000,
        },
      );
      const [oldPort] = await replicaPorts(env, revision - 1);
      const [newPort] = await replicaPorts(env, revision);
      // The floor: the same state moved by a plain client, then the standby reset by a fresh import.
      const baselineMs = await directTransferMs(oldPort!, newPort!);

      const load = pacedLoad(port, RATE, 32, `/api/v1/sessions/bench-${revision}/increment`, 'POST');
      const gaps = gapWatcher([oldPort!, newPort!]);
      await sleep(2_000);
      const promotedAt = Date.now();
      await api(env, '/api/v1/rollouts/coord/promote');
      // The new coordinator's own word, polled every 5 ms.
      await waitUntil(async () => (await coordinationStatus(newPort!))?.active === true, {
        timeoutMs: 60_000,
        what: `revision ${revision} active`,
        intervalMs: 5,
      });
      const activeAt = Date.now();
      await sleep(2_000);
      const gapMs = await gaps.stop();
      const samples = await load.stop();
      const { items } = await env.apiGet<{ items: { createdAt: number; finishedAt?: number }[] }>(
        '/api/v1/rollouts/coord/handoffs',
      );
      await env.waitForRollout(
        'coord',
        (r) => r.status.phase === 'Healthy' && r.status.stableRevision === revision,
        {
          what: `revision ${revision} stable`,
          timeoutMs: 60_000,
        },
      );
      figures.push({
        promoteToActiveMs: activeAt - promotedAt,
        runMs: (items[0]?.finishedAt ?? 0) - (items[0]?.createdAt ?? 0),
        failed: samples.filter((s) => !s.ok).length,
        sent: samples.length,
        gapMs,
        slowestMs: Math.max(...samples.map((s) => s.doneAt - s.sentAt)),
        baselineMs,
      });
    }
  } finally {
    await env.cleanup();
  }
  return figures;
}

/** Prints the figures of {@link benchHandoff}. */
export async function printHandoffBench(): Promise<void> {
  console.log('\n== coordination handoff: a 10 MiB state, blue-green, 200 req/s ==');
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (2 cores)`,
  );
  const figures = await benchHandoff();
  for (const [i, f] of figures.entries()) {
    console.log(
      `promotion ${i + 1}: promote -> active ${f.promoteToActiveMs} ms (handoff run ${f.runMs} ms), ` +
        `plain export+import ${f.baselineMs.toFixed(0)} ms (ratio ${(f.runMs / f.baselineMs).toFixed(2)}x), ` +
        `failed ${f.failed}/${f.sent}, no coordinator active for at most ${f.gapMs} ms, slowest request ${f.slowestMs} ms`,
    );
  }
  const failed = figures.reduce((a, f) => a + f.failed, 0);
  const gap = Math.max(...figures.map((f) => f.gapMs));
  console.log(
    `median promote -> active ${median(figures.map((f) => f.promoteToActiveMs))} ms; failed requests ${failed} (goal 0)${failed === 0 ? '' : '  MISSED'}; ` +
      `longest gap ${gap} ms (goal <= 1000 ms)${gap <= 1000 ? '' : `  MISSED by ${gap - 1000} ms`}`,
  );
}
