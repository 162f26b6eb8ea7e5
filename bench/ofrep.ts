/**
 * OFREP benchmark (issue 14, part 3): single-flag evaluation through the data plane's OFREP
 * listener (a real data plane: supervisor and router process, started from dist/), requests/s and
 * latency percentiles, against a direct in-process `@openfeature/flagd-core` evaluation of the same
 * flag as the ceiling (no HTTP, no JSON). flagd itself is not installed here, so its own figures are
 * not the reference.
 *
 * Load: a closed loop of undici requests over 16 keep-alive connections from this process
 * (loopback only), 1 s warm-up then 5 s measured, each request a new targetingKey on a flag with a
 * `fractional` rule and a sem_ver guard. The load generator shares the machine's 2 cores with the
 * router process, so requests/s is per machine, not per core of the router.
 *
 * Run: npm run build && npm run bench -- ofrep
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlagdCore } from '@openfeature/flagd-core';
import { Pool } from 'undici';
import { DataPlaneClient, ensureDataPlane, shutdownDataPlane } from '../src/dataplane/index.js';

const CONNECTIONS = 16;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;
const CEILING_MS = 2_000;

const FLAG_SET = {
  flags: {
    'new-planner': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        if: [
          { sem_ver: [{ var: 'version' }, '>=', '2.0.0'] },
          {
            fractional: [
              ['on', 25],
              ['off', 75],
            ],
          },
          'off',
        ],
      },
    },
  },
};

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function loadOfrep(port: number): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const start = Date.now();
  const measureFrom = start + WARMUP_MS;
  const end = measureFrom + MEASURE_MS;
  let measured = 0;
  const loop = async () => {
    while (Date.now() < end) {
      const body = JSON.stringify({ context: { targetingKey: `user-${n++}`, version: '2.3.1' } });
      const t0 = performance.now();
      const sentAt = Date.now();
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/ofrep/v1/evaluate/flags/new-planner',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.body.text();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      if (sentAt >= measureFrom && Date.now() <= end) {
        latencies.push(performance.now() - t0);
        measured++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: measured / (MEASURE_MS / 1000),
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    errors,
  };
}

/** The ceiling: flagd-core's own evaluation of the same flag in this process, no HTTP. */
function ceiling(): number {
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(FLAG_SET));
  let n = 0;
  const end = performance.now() + CEILING_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++)
      core.resolveBooleanEvaluation('new-planner', false, { targetingKey: `user-${n++}`, version: '2.3.1' });
  }
  return n / (CEILING_MS / 1000);
}

export async function printOfrepBench(): Promise<void> {
  console.log('\n== ofrep: single-flag evaluation through the data plane ==');
  const [l1, l5, l15] = loadavg();
  console.log(`load average at start: ${l1?.toFixed(2)} ${l5?.toFixed(2)} ${l15?.toFixed(2)}`);
  const home = mkdtempSync(join(tmpdir(), 'cutover-bench-ofrep-'));
  try {
    const info = await ensureDataPlane({ home, metricsPort: 0, ofrepPort: 0 });
    const client = new DataPlaneClient({ socketPath: info.adminSocket });
    await client.putFlags({ flagSets: [{ name: 'bench', spec: FLAG_SET }] });
    await client.close();
    const port = info.ofrepPort ?? 0;
    const r = await loadOfrep(port);
    const direct = ceiling();
    console.log(
      `OFREP POST /ofrep/v1/evaluate/flags/{key}, ${CONNECTIONS} connections, ${MEASURE_MS / 1000} s: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`,
    );
    console.log(
      `ceiling: flagd-core in-process evaluation of the same flag: ${Math.round(direct)} evaluations/s (${((r.rps / direct) * 100).toFixed(1)}% reached over HTTP)`,
    );
  } finally {
    await shutdownDataPlane(home, 30_000).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}
