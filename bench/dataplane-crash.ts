/**
 * Data plane crash benchmark: `kill -9` of the router process under keep-alive load, repeated, with
 * no control plane. For each kill: requests that failed (all on connections of the killed process,
 * the goal), connections refused (goal 0), time from the kill to the first response to a request
 * sent after it (goal <= 1 s), and whether the replicas kept their pids. The baseline, measured in
 * the same run on the same machine: the time to start a bare `node -e ''` process, since a new
 * router process cannot serve before Node itself has started.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataPlaneClient,
  ensureDataPlane,
  readDataPlaneInfo,
  shutdownDataPlane,
} from '../src/dataplane/index.js';
import { freePort, SAMPLE_SERVICE } from '../test/support/cutover-env.js';
import { pacedLoad } from '../test/support/paced-load.js';

/** One kill's figures. */
interface CrashFigures {
  rate: number;
  failed: number;
  /** Failures of requests sent before the kill: in flight on the killed process. */
  inFlight: number;
  /**
   * Failures of requests sent after the kill on a connection of the killed process, before the
   * client had read its FIN (clients retry these: RFC 9110 section 9.2.2).
   */
  deadConnection: number;
  /** Failures of requests on connections opened after the kill (goal 0). */
  failedAfterKill: number;
  refused: number;
  /** Kill to the first response to a request sent after it, ms. */
  serveAgainMs: number;
  replicasKept: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Time to start and exit a bare Node process, ms (median of 5). */
function bareNodeStartMs(): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '']);
    runs.push(performance.now() - t);
  }
  return median(runs);
}

async function replicaPids(client: DataPlaneClient): Promise<number[]> {
  const state = await client.state();
  return state.rollouts
    .flatMap((r) => r.replicaSets.flatMap((s) => s.replicaStatuses.map((x) => x.pid ?? 0)))
    .sort((a, b) => a - b);
}

/**
 * Runs `kills` router crashes at each rate (req/s), 11 s apart (a router process that ran 10 s is
 * replaced at once, so each kill measures a first crash).
 */
async function benchDataPlaneCrash(rates = [500, 2000], kills = 3): Promise<CrashFigures[]> {
  const home = mkdtempSync(join(tmpdir(), 'cutover-bench-crash-'));
  const info = await ensureDataPlane({ home, metricsPort: 0, ofrepPort: 0 });
  const client = new DataPlaneClient({ socketPath: info.adminSocket });
  const port = await freePort();
  const figures: CrashFigures[] = [];
  try {
    await client.apply({
      rollout: 'bench',
      replicaSets: [
        { revision: 1, hash: 'h1', replicas: 2, template: { command: ['node', SAMPLE_SERVICE] } },
      ],
      listeners: [{ port, backends: [{ revision: 1, weight: 100 }] }],
    });
    for (let i = 0; i < 100; i++) {
      const s = await client.state();
      if (s.rollouts[0]?.replicaSets[0]?.readyReplicas === 2) break;
      await sleep(100);
    }
    for (const rate of rates) {
      const connections = Math.max(16, Math.ceil(rate / 30));
      for (let k = 0; k < kills; k++) {
        const before = await replicaPids(client);
        const routerPid = readDataPlaneInfo(home)!.routerPid;
        const load = pacedLoad(port, rate, connections);
        await sleep(2_000);
        const killedAt = Date.now();
        process.kill(routerPid, 'SIGKILL');
        await sleep(3_000);
        const samples = await load.stop();
        const failed = samples.filter((s) => !s.ok);
        const served = samples.filter((s) => s.ok && s.sentAt >= killedAt).map((s) => s.doneAt);
        figures.push({
          rate,
          failed: failed.length,
          inFlight: failed.filter((s) => s.sentAt < killedAt).length,
          deadConnection: failed.filter((s) => s.sentAt >= killedAt && s.connectedAt < killedAt).length,
          failedAfterKill: failed.filter((s) => s.connectedAt >= killedAt).length,
          refused: samples.filter((s) => s.outcome === 'ECONNREFUSED').length,
          serveAgainMs: served.length > 0 ? Math.min(...served) - killedAt : Number.POSITIVE_INFINITY,
          replicasKept: JSON.stringify(await replicaPids(client)) === JSON.stringify(before),
        });
        await sleep(Math.max(0, 11_000 - (Date.now() - killedAt)));
      }
    }
  } finally {
    await client.close();
    await shutdownDataPlane(home).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
  return figures;
}

/** Runs the benchmark and prints its figures against its goals. */
export async function printDataPlaneCrashBench(): Promise<void> {
  console.log('\n== data plane: kill -9 of the router process under keep-alive load ==');
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const baseline = bareNodeStartMs();
  const figures = await benchDataPlaneCrash();
  console.log(
    `machine load (1/5/15 min) at start: ${load}; bare node start (baseline): ${baseline.toFixed(0)} ms`,
  );
  for (const f of figures) {
    const goals = [
      f.refused === 0 ? '' : ' REFUSED-MISSED',
      f.failedAfterKill === 0 ? '' : ' FAILED-AFTER-KILL-MISSED',
      f.serveAgainMs <= 1000 ? '' : ` SERVE-AGAIN-MISSED by ${(f.serveAgainMs - 1000).toFixed(0)} ms`,
      f.replicasKept ? '' : ' REPLICAS-RESTARTED',
    ].join('');
    console.log(
      `${String(f.rate).padStart(5)} req/s: failed ${f.failed} = ${f.inFlight} in flight on the killed process + ${f.deadConnection} sent on its connections before the client saw them close, on new connections ${f.failedAfterKill} (goal 0), refused ${f.refused} (goal 0), served again after ${f.serveAgainMs} ms = ${(f.serveAgainMs / baseline).toFixed(1)}x a bare node start (goal <= 1000 ms), replica pids ${f.replicasKept ? 'unchanged' : 'CHANGED'}${goals}`,
    );
  }
}
