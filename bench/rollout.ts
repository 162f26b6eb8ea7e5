/**
 * Rollout benchmark (part of `npm run bench`): under steady load on loopback it measures
 * 1. failed client requests across a full canary, a control-plane `kill -9` + restart mid-canary,
 *    and rollbacks (goal: 0);
 * 2. time from a gross fault's onset (canary 5xx ≥ 20% at ≥ 20 canary req/s) to 100% of traffic on
 *    stable, with builtin error-rate analysis at a 1 s interval (goal: ≤ 5 s), over several trials.
 * Bounded in time and requests; stops by itself and shuts down everything it started.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DataPlaneClient, readDataPlaneInfo } from '../src/dataplane/index.js';
import { LoadGenerator } from '../src/demo/index.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'cutover.js');
const SERVICE = join(ROOT, 'examples', 'sample-service', 'server.mjs');
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function spec(port: number, version: string, faultRate: number): string {
  return `apiVersion: cutover.dev/v1alpha1
kind: Rollout
metadata: {name: bench}
spec:
  replicas: 2
  port: ${port}
  template:
    command: ["node", ${JSON.stringify(SERVICE)}]
    env: {VERSION: ${version}, FAULT_RATE: "${faultRate}"}
    readinessProbe: {httpGet: {path: /healthz}, periodSeconds: 1}
  strategy:
    canary:
      scaleDownDelaySeconds: 1
      abortScaleDownDelaySeconds: 1
      analysis: {templates: [{templateName: error-rate}]}
      steps:
      - setWeight: 20
      - pause: {duration: 2s}
      - setWeight: 50
      - pause: {}
---
apiVersion: cutover.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  metrics:
  - name: error-rate
    interval: 1s
    failureCondition: "result >= 0.05"
    provider: {builtin: {metric: error-rate, revision: canary, window: 2s}}
`;
}

export interface RolloutBenchResult {
  rate: number;
  sent: number;
  failed: number;
  injected: number;
  rollbackMs: number[];
}

export async function benchRollout(log: (line: string) => void = console.log): Promise<RolloutBenchResult> {
  const home = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
  const env = {
    ...process.env,
    CUTOVER_HOME: home,
    CUTOVER_API_PORT: '0',
    CUTOVER_METRICS_PORT: '0',
    CUTOVER_OFREP_PORT: '0',
  };
  const cli = async (...args: string[]) =>
    (await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 })).stdout;
  const status = async () => JSON.parse(await cli('get', 'rollout', 'bench', '-o', 'json')).status;
  const until = async (
    what: string,
    predicate: (s: { phase: string; currentStepIndex: number | null; currentRevision: number }) => boolean,
    ms = 60_000,
  ) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (predicate(await status())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`bench: timed out waiting for ${what}`);
  };
  const port = await freePort();
  const file = join(home, 'bench.yaml');
  const apply = async (version: string, fault: number) => {
    writeFileSync(file, spec(port, version, fault));
    await cli('apply', '-f', file);
  };
  const load = new LoadGenerator({ url: `http://127.0.0.1:${port}`, rate: RATE, concurrency: 64 });
  try {
    await apply('v1', 0);
    await until('v1 Healthy', (s) => s.phase === 'Healthy');
    const dp = new DataPlaneClient({ socketPath: readDataPlaneInfo(home)!.adminSocket });
    load.start();
    log(`rollout bench: ${RATE} req/s on 127.0.0.1:${port}`);

    // A full canary with a control-plane kill -9 while paused at step 4.
    await apply('v2', 0);
    await until('v2 paused at step 4', (s) => s.phase === 'Paused' && s.currentStepIndex === 3);
    const pid = Number(readFileSync(join(home, 'server.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    log(`  kill -9 of the server (pid ${pid}) at step 4/4`);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await status(); // restarts the server
    log(`  restarted: phase ${after.phase}, step ${after.currentStepIndex}, weight ${after.weights.canary}`);
    await cli('promote', 'bench');
    await until('v2 Healthy', (s) => s.phase === 'Healthy' && s.currentRevision === 2);
    log('  v2 promoted to stable');

    const rollbackMs: number[] = [];
    let good = 2;
    for (let trial = 1; trial <= TRIALS; trial++) {
      const version = `bad${trial}`;
      await apply(version, 0.2);
      const revision = (await status()).currentRevision;
      const deadline = Date.now() + 60_000;
      let back = 0;
      while (Date.now() < deadline) {
        const state = await dp.state();
        const listener = state.rollouts
          .find((r) => r.rollout === 'bench')
          ?.listeners.find((l) => l.port === port);
        const weight = listener?.backends.find((b) => b.revision === revision)?.weight ?? 0;
        if (load.report.firstSeen[version] !== undefined && weight === 0) {
          back = Date.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      if (!back) throw new Error(`bench: ${version} was not rolled back`);
      const ms = back - (load.report.firstSeen[version] ?? back);
      rollbackMs.push(ms);
      log(`  trial ${trial}: fault onset → 100% on stable in ${(ms / 1000).toFixed(2)} s`);
      good++;
      await apply(`good${good}`, 0);
      await until(`good${good} paused`, (s) => s.phase === 'Paused' && s.currentStepIndex === 3);
      await cli('promote', '--full', 'bench');
      await until(`good${good} Healthy`, (s) => s.phase === 'Healthy');
    }
    const report = await load.stop();
    const injected = Object.entries(report.serverErrorsByVersion)
      .filter(([v]) => v.startsWith('bad'))
      .reduce((a, [, n]) => a + n, 0);
    const failed =
      report.connectionErrors +
      Object.values(report.serverErrorsByVersion).reduce((a, b) => a + b, 0) -
      injected;
    return { rate: RATE, sent: report.sent, failed, injected, rollbackMs };
  } finally {
    await load.stop().catch(() => undefined);
    await cli('shutdown').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchRollout();
  const max = Math.max(...r.rollbackMs);
  console.log(
    `\nrequests sent ${r.sent} at ${r.rate} req/s; failed (other than injected faults): ${r.failed} (goal 0)`,
  );
  console.log(
    `fault onset → 100% on stable: max ${(max / 1000).toFixed(2)} s over ${r.rollbackMs.length} trials (goal ≤ 5 s)`,
  );
}
