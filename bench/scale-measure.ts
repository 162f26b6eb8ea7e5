/**
 * What the scale benchmarks measure of one running control plane (`bench/scale.ts` on the local
 * platform, `bench/scale-kubernetes.ts` on the simulated Kubernetes API server): reconcile pass
 * quantiles from the server's own `cutover_reconcile_duration_seconds` histogram, the server
 * process's CPU and RSS from /proc, the SQLite store's size, and how the figures are printed.
 */
import { readFileSync, statSync } from 'node:fs';
import { request } from 'undici';
import type { CutoverEnv } from '../test/support/cutover-env.js';

/** Length of a measured window, ms, unless it holds fewer than {@link MIN_PASSES} passes. */
const WINDOW_MS = 15_000;
/** Passes a window waits for (slow passes at large N), until {@link MAX_WINDOW_MS}. */
const MIN_PASSES = 5;
/** Longest window, ms. */
const MAX_WINDOW_MS = 120_000;
/** One clock tick of /proc/<pid>/stat, ms (`CLK_TCK`, 100 on Linux). */
const TICK_MS = 1000 / Number(process.env.CLK_TCK ?? 100);

/** The server over one window. */
export interface Window {
  /** Reconcile passes ended in the window (count). */
  passes: number;
  /** Mean pass (the histogram's sum over its count), ms. */
  meanMs: number;
  /** Upper bound of the bucket holding the pass p50, ms. */
  p50Ms: number;
  /** Upper bound of the bucket holding the pass p99, ms. */
  p99Ms: number;
  /** CPU of the server process (user + system), share of one core (0..cores). */
  cpu: number;
  /** Resident set of the server process at the window's end, MiB. */
  rssMiB: number;
}

/** The figures of one size N. */
export interface ScaleFigures {
  n: number;
  steady: Window;
  updating: Window;
  storeMiB: number;
  /** From the failed measurement to the canary at 0 %, ms. */
  abortMs: number;
  /** 1-minute load average when this size started. */
  loadAtStart: number;
}

/** Cumulative bucket counts of one of the server's histograms, by upper bound (s); its sum (s) under NaN. */
export async function histogramBuckets(
  env: CutoverEnv,
  metric = 'cutover_reconcile_duration_seconds',
): Promise<Map<number, number>> {
  const res = await request(`http://127.0.0.1:${env.apiPort()}/metrics`, {
    headers: { authorization: `Bearer ${env.apiToken()}` },
  });
  const text = await res.body.text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${metric}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))) {
    buckets.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  }
  const sum = new RegExp(`^${metric}_sum (\\S+)`, 'm').exec(text)?.[1];
  buckets.set(Number.NaN, Number(sum ?? 0));
  return buckets;
}

/** The q quantile (0..1) of the observations between two bucket snapshots: the upper bound of its bucket, ms. */
export function quantileMs(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].filter((le) => !Number.isNaN(le)).sort((a, b) => a - b);
  const total = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  for (const le of bounds) {
    const count = (after.get(le) ?? 0) - (before.get(le) ?? 0);
    if (count >= q * total) return le * 1000;
  }
  return Number.POSITIVE_INFINITY;
}

/** Observations between two bucket snapshots, and their mean (exact, from the sums), ms. */
export function countAndMeanMs(
  before: Map<number, number>,
  after: Map<number, number>,
): { count: number; meanMs: number } {
  const count = (after.get(Number.POSITIVE_INFINITY) ?? 0) - (before.get(Number.POSITIVE_INFINITY) ?? 0);
  const seconds = (after.get(Number.NaN) ?? 0) - (before.get(Number.NaN) ?? 0);
  return { count, meanMs: count === 0 ? Number.NaN : (seconds * 1000) / count };
}

/** CPU time of process `pid` so far (user + system), ms. */
export function cpuMs(pid: number): number {
  return cpuTicks(pid) * TICK_MS;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/**
 * The server `pid` of `env` over a window of {@link WINDOW_MS}, longer when it holds fewer than
 * {@link MIN_PASSES} passes (up to {@link MAX_WINDOW_MS}).
 */
export async function measureWindow(env: CutoverEnv, pid: number): Promise<Window> {
  const before = await histogramBuckets(env);
  const count = (b: Map<number, number>) => b.get(Number.POSITIVE_INFINITY) ?? 0;
  const cpuBefore = cpuTicks(pid);
  const started = Date.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  let after = await histogramBuckets(env);
  while (count(after) - count(before) < MIN_PASSES && Date.now() - started < MAX_WINDOW_MS) {
    await new Promise((r) => setTimeout(r, 1000));
    after = await histogramBuckets(env);
  }
  const elapsed = Date.now() - started;
  const { count: passes, meanMs } = countAndMeanMs(before, after);
  return {
    passes,
    meanMs,
    p50Ms: quantileMs(before, after, 0.5),
    p99Ms: quantileMs(before, after, 0.99),
    cpu: ((cpuTicks(pid) - cpuBefore) * TICK_MS) / elapsed,
    rssMiB: rssMiB(pid),
  };
}

/** Size of the SQLite store of `env` (database and write-ahead log), MiB. */
export function storeMiB(env: CutoverEnv): number {
  const bytes = ['cutover.db', 'cutover.db-wal']
    .map((f) => {
      try {
        return statSync(env.path(f)).size;
      } catch {
        return 0;
      }
    })
    .reduce((a, b) => a + b, 0);
  return bytes / 1024 / 1024;
}

/**
 * When the first failed measurement of a Rollout's AnalysisRuns finished, ms since the epoch (the
 * server's clock). @throws when none failed.
 */
export async function firstFailedMeasurementAt(env: CutoverEnv, rollout: string): Promise<number> {
  const runs = await env.apiGet<{
    items: { status: { metricResults: { measurements: { finishedAt?: number; phase: string }[] }[] } }[];
  }>(`/api/v1/analysisruns?rollout=${encodeURIComponent(rollout)}`);
  const failedAt = Math.min(
    ...runs.items.flatMap((run) =>
      run.status.metricResults.flatMap((m) =>
        m.measurements
          .filter((x) => x.phase === 'Failed')
          .map((x) => x.finishedAt ?? Number.POSITIVE_INFINITY),
      ),
    ),
  );
  if (!Number.isFinite(failedAt))
    throw new Error(`${rollout}: no failed measurement in ${JSON.stringify(runs.items)}`);
  return failedAt;
}

/** Prints one size's figures; `abort` names what the abort time runs to. */
export function printScaleFigures(f: ScaleFigures, abort: string): void {
  const w = (x: Window) =>
    `pass mean ${x.meanMs.toFixed(1)} ms, p50 <= ${x.p50Ms.toFixed(1)} ms, p99 <= ${x.p99Ms.toFixed(1)} ms (histogram bucket bounds; p99 per Rollout <= ${(x.p99Ms / f.n).toFixed(2)} ms), ${x.passes} passes, CPU ${(x.cpu * 100).toFixed(0)} % of a core, RSS ${x.rssMiB.toFixed(0)} MiB`;
  console.log(`N=${f.n} (load ${f.loadAtStart.toFixed(1)} at start)`);
  console.log(`  steady:   ${w(f.steady)}`);
  console.log(`  updating: ${w(f.updating)}`);
  console.log(`  store ${f.storeMiB.toFixed(1)} MiB; ${abort}: ${f.abortMs} ms`);
}

/**
 * Prints the slope of the updating pass between the first and last sizes after the baseline
 * (`figures[0]`): ms per added Rollout of the p50 (a bucket bound) and of the mean (exact), and the
 * per-Rollout mean at every size (flat when a Rollout's cost does not grow with N).
 */
export function printSlope(figures: readonly ScaleFigures[]): void {
  const [first, last] = [figures[1], figures.at(-1)];
  if (!first || !last || last.n <= first.n) return;
  const slope = (ms: (f: ScaleFigures) => number) => ((ms(last) - ms(first)) / (last.n - first.n)).toFixed(3);
  console.log(
    `slope of the updating pass per added Rollout: p50 ${slope((f) => f.updating.p50Ms)} ms, mean ${slope((f) => f.updating.meanMs)} ms (per-Rollout mean ${figures
      .slice(1)
      .map((f) => `${(f.updating.meanMs / f.n).toFixed(2)} ms at N=${f.n}`)
      .join(', ')})`,
  );
}
