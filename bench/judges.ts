/**
 * Benchmark of the canary judges on simulated traffic (seeded, reproducible, no processes): Poisson
 * request arrivals per second for each revision at the given rates and split, each request failing
 * with its revision's error probability, fed second by second through the same judge code the
 * providers use, on a simulated clock.
 *
 * Judges compared:
 * - sequential: the mixture SPRT of src/analysis/judges/mixture-sprt.ts (mixed over ratios and over
 *   restart times), one interval per second,
 *   evaluated every second (as `sequential` with `interval: 1s`);
 * - fixed-sample: judgeRevisions (Kayenta-style, two-proportion test on error rate, critical),
 *   over a 60 s window every 10 s, the first Failed measurement rolls back (failureLimit 0);
 * - threshold: a Flagger-style rule, canary error rate over the last 60 s > 1 % is a failed check
 *   every 10 s, 5 failed checks roll back (Flagger's `threshold: 5`).
 */
import { clopperPearsonUpper } from '../src/analysis/judges/binomial-confidence.js';
import { type FixedSampleJudgeConfig, judgeRevisions } from '../src/analysis/judges/fixed-sample-judge.js';
import { createMixtureSprt, isRejected, observeInterval } from '../src/analysis/judges/mixture-sprt.js';
import { createSeededRandom, type SeededRandom } from '../src/analysis/judges/seeded-random.js';
import {
  DEFAULT_SEQUENTIAL_ALPHA,
  DEFAULT_SEQUENTIAL_MARGIN,
} from '../src/analysis/providers/sequential/index.js';

const JUDGES = ['sequential', 'fixed-sample', 'threshold'] as const;
type Judge = (typeof JUDGES)[number];

/** The sequential judge's settings in every scenario (the provider's defaults). */
const SEQUENTIAL = { alpha: DEFAULT_SEQUENTIAL_ALPHA, margin: DEFAULT_SEQUENTIAL_MARGIN };
const FIXED: FixedSampleJudgeConfig = {
  confidence: 0.95,
  thresholds: { pass: 95, marginal: 75 },
  minSamples: 50,
  metrics: [
    {
      name: 'errors',
      metric: 'error-rate',
      direction: 'increase',
      tolerance: 0.2,
      weight: 1,
      critical: true,
    },
  ],
};
const FIXED_WINDOW_S = 60;
const CHECK_EVERY_S = 10;
const THRESHOLD_RATE = 0.01;
const THRESHOLD_CHECKS = 5;

/** One simulated canary. Rates in req/s, error probabilities 0..1, times in s from the analysis' start. */
interface Scenario {
  /** Total request rate, req/s. */
  rate: number;
  /** Canary weight (share of requests, 0..1) as a function of time. */
  weight(t: number): number;
  stableErrors: number;
  canaryErrors(t: number): number;
  /** Fault onset, s (Infinity: healthy). */
  onset: number;
  /** Simulated length, s. */
  seconds: number;
}

/** When each judge rolled back (s from the start, the end of the second it decided in; null: never) and canary requests seen by then. */
type Outcome = Record<Judge, { at: number; canaryRequestsAfterOnset: number } | null>;

function simulate(s: Scenario, random: SeededRandom): Outcome {
  let sprt = createMixtureSprt(SEQUENTIAL.margin);
  const ring: { nc: number; ec: number; ns: number; es: number }[] = [];
  let failedChecks = 0;
  let canaryAfterOnset = 0;
  const out: Outcome = { sequential: null, 'fixed-sample': null, threshold: null };
  const decided = (judge: Judge, t: number): void => {
    if (out[judge] === null) out[judge] = { at: t + 1, canaryRequestsAfterOnset: canaryAfterOnset };
  };
  for (let t = 0; t < s.seconds; t++) {
    const w = s.weight(t);
    const nc = random.poisson(s.rate * w);
    const ns = random.poisson(s.rate * (1 - w));
    const ec = random.binomial(nc, s.canaryErrors(t));
    const es = random.binomial(ns, s.stableErrors);
    if (t >= s.onset) canaryAfterOnset += nc;
    if (out.sequential === null) {
      sprt = observeInterval(sprt, {
        canaryRequests: nc,
        canaryEvents: ec,
        stableRequests: ns,
        stableEvents: es,
      });
      if (isRejected(sprt, SEQUENTIAL.alpha)) decided('sequential', t);
    }
    ring.push({ nc, ec, ns, es });
    if (ring.length > FIXED_WINDOW_S) ring.shift();
    if ((t + 1) % CHECK_EVERY_S === 0) {
      let nC = 0;
      let eC = 0;
      let nS = 0;
      let eS = 0;
      for (const r of ring) {
        nC += r.nc;
        eC += r.ec;
        nS += r.ns;
        eS += r.es;
      }
      if (out['fixed-sample'] === null) {
        const j = judgeRevisions(
          FIXED,
          { requests: nC, errors: eC, latency: [] },
          { requests: nS, errors: eS, latency: [] },
          1.2,
        );
        if (j.phase === 'Failed') decided('fixed-sample', t);
      }
      if (out.threshold === null && nC > 0 && eC / nC > THRESHOLD_RATE) {
        failedChecks++;
        if (failedChecks >= THRESHOLD_CHECKS) decided('threshold', t);
      }
    }
    if (JUDGES.every((j) => out[j] !== null)) break;
  }
  return out;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN);

/** Figures of one fault scenario for one judge. */
interface Detection {
  runs: number;
  /** Rolled back before the onset (false alarms). */
  early: number;
  /** Never rolled back within the simulated time. */
  missed: number;
  /** Seconds from onset to rollback, and canary requests served meanwhile, sorted. */
  seconds: number[];
  requests: number[];
}

function detect(
  runs: number,
  seed: number,
  scenario: (random: SeededRandom) => Scenario,
): Record<Judge, Detection> {
  const result = Object.fromEntries(
    JUDGES.map((j) => [j, { runs, early: 0, missed: 0, seconds: [], requests: [] } as Detection]),
  ) as Record<Judge, Detection>;
  const random = createSeededRandom(seed);
  for (let i = 0; i < runs; i++) {
    const s = scenario(random);
    const out = simulate(s, random);
    for (const j of JUDGES) {
      const o = out[j];
      const d = result[j];
      if (o === null) d.missed++;
      else if (o.at <= s.onset) d.early++;
      else {
        d.seconds.push(o.at - s.onset);
        d.requests.push(o.canaryRequestsAfterOnset);
      }
    }
  }
  for (const j of JUDGES) {
    result[j].seconds.sort((a, b) => a - b);
    result[j].requests.sort((a, b) => a - b);
  }
  return result;
}

/** setWeight steps of a canary: 10 %, 25 %, 50 % for a third of the run each. */
const steps =
  (seconds: number) =>
  (t: number): number =>
    t < seconds / 3 ? 0.1 : t < (2 * seconds) / 3 ? 0.25 : 0.5;

interface JudgesBenchResult {
  healthy: { runs: number; falseRollbacks: Record<Judge, number> };
  boundary: { runs: number; falseRollbacks: number };
  gross: Record<Judge, Detection>;
  subtle: Record<Judge, Detection>;
  lateGross: Record<Judge, Detection>;
}

/** Runs every scenario. Seeded: equal results on every run. */
function benchJudges(options: { healthyRuns?: number; faultRuns?: number } = {}): JudgesBenchResult {
  const healthyRuns = options.healthyRuns ?? 2000;
  const faultRuns = options.faultRuns ?? 1000;
  // Healthy: equal 0.5 % error rates, 10 min, 200..400 req/s in total, canary 10 % -> 25 % -> 50 % (20..200 req/s).
  const healthy = { runs: healthyRuns, falseRollbacks: { sequential: 0, 'fixed-sample': 0, threshold: 0 } };
  {
    const random = createSeededRandom(1);
    for (let i = 0; i < healthyRuns; i++) {
      const rate = 200 + 200 * random.uniform();
      const out = simulate(
        {
          rate,
          weight: steps(600),
          stableErrors: 0.005,
          canaryErrors: () => 0.005,
          onset: Infinity,
          seconds: 600,
        },
        random,
      );
      for (const j of JUDGES) if (out[j] !== null) healthy.falseRollbacks[j]++;
    }
  }
  // At the null's boundary: canary errors exactly (1 + margin) x stable's; the guarantee says <= alpha.
  const boundaryRuns = Math.round(healthyRuns / 4);
  let boundaryFalse = 0;
  {
    const random = createSeededRandom(2);
    for (let i = 0; i < boundaryRuns; i++) {
      const rate = 200 + 200 * random.uniform();
      const out = simulate(
        {
          rate,
          weight: steps(600),
          stableErrors: 0.005,
          canaryErrors: () => 0.005 * (1 + SEQUENTIAL.margin),
          onset: Infinity,
          seconds: 600,
        },
        random,
      );
      if (out.sequential !== null) boundaryFalse++;
    }
  }
  // Gross fault from the canary's first request: 20 canary req/s (10 % of 200), 5 % vs 0.5 %.
  const gross = detect(faultRuns, 3, () => ({
    rate: 200,
    weight: () => 0.1,
    stableErrors: 0.005,
    canaryErrors: () => 0.05,
    onset: 0,
    seconds: 300,
  }));
  // Subtle fault from the first request: 50 canary req/s (20 % of 250), 2 % vs 1 %.
  const subtle = detect(faultRuns, 4, () => ({
    rate: 250,
    weight: () => 0.2,
    stableErrors: 0.01,
    canaryErrors: () => 0.02,
    onset: 0,
    seconds: 600,
  }));
  // Gross fault appearing 2 min into a healthy canary.
  const lateGross = detect(Math.round(faultRuns / 2), 5, () => ({
    rate: 200,
    weight: () => 0.1,
    stableErrors: 0.005,
    canaryErrors: (t) => (t >= 120 ? 0.05 : 0.005),
    onset: 120,
    seconds: 420,
  }));
  return {
    healthy,
    boundary: { runs: boundaryRuns, falseRollbacks: boundaryFalse },
    gross,
    subtle,
    lateGross,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function detectionRows(name: string, d: Record<Judge, Detection>, goalSeconds: number | null): string[] {
  const rows: string[] = [];
  for (const j of JUDGES) {
    const x = d[j];
    const fmt = (v: number): string => (Number.isNaN(v) ? '-' : String(v));
    rows.push(
      `${name.padEnd(22)} ${j.padEnd(13)} s: ${fmt(quantile(x.seconds, 0.5)).padStart(4)} /${fmt(quantile(x.seconds, 0.95)).padStart(4)} /${fmt(x.seconds.at(-1) ?? Number.NaN).padStart(4)}` +
        `   canary req: ${fmt(quantile(x.requests, 0.5)).padStart(6)} /${fmt(quantile(x.requests, 0.95)).padStart(6)} /${fmt(x.requests.at(-1) ?? Number.NaN).padStart(6)}` +
        `   early ${x.early}, missed ${x.missed}${goalSeconds !== null && j === 'sequential' ? goalNote(x, goalSeconds) : ''}`,
    );
  }
  return rows;
}

function goalNote(x: Detection, goal: number): string {
  const median = quantile(x.seconds, 0.5);
  const p95 = quantile(x.seconds, 0.95);
  const ok = x.missed === 0 && median <= goal;
  const within = x.seconds.filter((s) => s <= goal).length / x.runs;
  return `\n${' '.repeat(38)}goal <= ${goal} s (median): ${ok ? 'met' : `MISSED by ${median - goal} s`}; p95 <= ${goal} s: ${p95 <= goal ? 'met' : `missed by ${p95 - goal} s`}; ${pct(within)} of runs within ${goal} s`;
}

/** Prints the benchmark's table and whether each goal is met. */
export function printJudgesBench(): void {
  const started = performance.now();
  const r = benchJudges();
  console.log('\n== judges: simulated canaries (seeded), sequential vs fixed-sample vs threshold ==');
  console.log(
    `sequential: alpha ${SEQUENTIAL.alpha}, margin ${SEQUENTIAL.margin}, every 1 s; fixed-sample: ${FIXED_WINDOW_S} s window every ${CHECK_EVERY_S} s, confidence ${FIXED.confidence}, tolerance 0.2; threshold: error rate > ${pct(THRESHOLD_RATE)} over ${FIXED_WINDOW_S} s, ${THRESHOLD_CHECKS} failed checks every ${CHECK_EVERY_S} s`,
  );
  console.log(
    `healthy canaries: ${r.healthy.runs} x 10 min, 0.5 % errors in both, canary 20..200 req/s (10 % -> 25 % -> 50 %)`,
  );
  for (const j of JUDGES) {
    const n = r.healthy.falseRollbacks[j];
    const upper = clopperPearsonUpper(n, r.healthy.runs);
    const goal =
      j === 'sequential' ? `   goal <= 1 %: ${upper <= 0.01 ? 'met' : `MISSED by ${pct(upper - 0.01)}`}` : '';
    console.log(
      `  false rollbacks ${j.padEnd(13)} ${String(n).padStart(4)} / ${r.healthy.runs} = ${pct(n / r.healthy.runs)}  (upper 95% Clopper-Pearson ${pct(upper)})${goal}`,
    );
  }
  const b = r.boundary;
  console.log(
    `  at the null's boundary (canary = ${1 + SEQUENTIAL.margin} x stable errors): sequential ${b.falseRollbacks} / ${b.runs} = ${pct(b.falseRollbacks / b.runs)} (upper ${pct(clopperPearsonUpper(b.falseRollbacks, b.runs))}; guarantee <= ${pct(SEQUENTIAL.alpha)})`,
  );
  console.log('detection after onset: median / p95 / max, in seconds and in canary requests seen');
  for (const row of detectionRows('gross 5%/0.5% 20 r/s', r.gross, 5)) console.log(`  ${row}`);
  for (const row of detectionRows('subtle 2%/1% 50 r/s', r.subtle, 60)) console.log(`  ${row}`);
  for (const row of detectionRows('gross at 2 min', r.lateGross, null)) console.log(`  ${row}`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
