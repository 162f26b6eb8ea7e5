import { describe, expect, it } from 'vitest';
import {
  createMixtureSprt,
  type IntervalCounts,
  isRejected,
  MIXTURE_GRID,
  type MixtureSprtState,
  mixtureLogLR,
  observeInterval,
  RESTARTS,
  restartWeight,
  unstartedWeight,
} from './mixture-sprt.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

/** One simulated canary: `seconds` intervals, split redrawn every 30 s, per-request error probabilities. */
function runs(
  random: SeededRandom,
  options: { alpha: number; margin: number; canaryError: (stable: number) => number; seconds: number },
): boolean {
  let state = createMixtureSprt(options.margin);
  const rate = 50 + 450 * random.uniform();
  const stableError = 0.002 + 0.03 * random.uniform();
  let weight = 0.5;
  for (let t = 0; t < options.seconds; t++) {
    if (t % 30 === 0)
      weight = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9][Math.floor(random.uniform() * 7)] ?? 0.5;
    const nc = random.poisson(rate * weight);
    const ns = random.poisson(rate * (1 - weight));
    state = observeInterval(state, {
      canaryRequests: nc,
      canaryEvents: random.binomial(nc, options.canaryError(stableError)),
      stableRequests: ns,
      stableEvents: random.binomial(ns, stableError),
    });
    if (isRejected(state, options.alpha)) return true;
  }
  return false;
}

describe('mixture SPRT', () => {
  it('should keep false rejections at or below alpha under H0 with random split changes (property)', () => {
    const random = createSeededRandom(20240501);
    const alpha = 0.1;
    let rejected = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      if (runs(random, { alpha, margin: 0, canaryError: (q) => q, seconds: 300 })) rejected++;
    }
    expect(rejected / n).toBeLessThanOrEqual(alpha);
  });

  it('should keep false rejections at or below alpha at the boundary of a non-zero margin (property)', () => {
    const random = createSeededRandom(7);
    const alpha = 0.1;
    let rejected = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      if (runs(random, { alpha, margin: 0.25, canaryError: (q) => 1.25 * q, seconds: 300 })) rejected++;
    }
    expect(rejected / n).toBeLessThanOrEqual(alpha);
  });

  it('should reject a doubled error rate in almost every run', () => {
    const random = createSeededRandom(3);
    let rejected = 0;
    for (let i = 0; i < 100; i++) {
      if (runs(random, { alpha: 0.01, margin: 0.1, canaryError: (q) => 2 * q, seconds: 600 })) rejected++;
    }
    expect(rejected).toBeGreaterThanOrEqual(95);
  });

  it('should not reject a difference within the margin', () => {
    const random = createSeededRandom(4);
    let rejected = 0;
    for (let i = 0; i < 100; i++) {
      if (runs(random, { alpha: 0.01, margin: 0.2, canaryError: (q) => 1.05 * q, seconds: 600 })) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(1);
  });

  it('should condition each interval on its own split', () => {
    // 10 canary errors out of 100 requests while the stable had 10 out of 900: at a 10 % split that
    // is a 9x regression; the same counts at a 50 % split (100 vs 100 requests) are equal rates.
    const skewed = observeInterval(createMixtureSprt(0), {
      canaryRequests: 100,
      canaryEvents: 10,
      stableRequests: 900,
      stableEvents: 10,
    });
    const even = observeInterval(createMixtureSprt(0), {
      canaryRequests: 100,
      canaryEvents: 10,
      stableRequests: 100,
      stableEvents: 10,
    });
    expect(isRejected(skewed, 0.01)).toBe(true);
    expect(isRejected(even, 0.01)).toBe(false);
  });

  it('should carry no evidence from an interval where one revision had no requests', () => {
    const s = observeInterval(createMixtureSprt(0), {
      canaryRequests: 50,
      canaryEvents: 50,
      stableRequests: 0,
      stableEvents: 0,
    });
    expect(s.logLR).toEqual(createMixtureSprt(0).logLR);
    expect(mixtureLogLR(s)).toBeCloseTo(0, 12);
    expect(s.canaryEvents).toBe(50);
  });

  it('should be a pure function of its state (resuming from stored state gives the same statistic)', () => {
    const counts = { canaryRequests: 30, canaryEvents: 3, stableRequests: 270, stableEvents: 2 };
    const once = observeInterval(observeInterval(createMixtureSprt(0.1), counts), counts);
    const stored = JSON.parse(
      JSON.stringify(observeInterval(createMixtureSprt(0.1), counts)),
    ) as MixtureSprtState;
    expect(mixtureLogLR(observeInterval(stored, counts))).toBeCloseTo(mixtureLogLR(once), 12);
  });

  it('should put start weights that sum to 1 on the restarted tests', () => {
    let sum = 0;
    for (let j = 0; j < 10_000; j++) {
      sum += restartWeight(j);
      expect(sum + unstartedWeight(j + 1)).toBeCloseTo(1, 12);
    }
    expect(restartWeight(RESTARTS.every + 1)).toBe(0);
    expect(mixtureLogLR(createMixtureSprt(0.1))).toBeCloseTo(0, 12);
  });

  it('should equal the start-weighted mixture of likelihood ratios computed one restart at a time', () => {
    const random = createSeededRandom(11);
    const margin = 0.1;
    const intervals: IntervalCounts[] = [];
    let state = createMixtureSprt(margin);
    for (let t = 0; t < 45; t++) {
      const nc = random.poisson(30);
      const ns = random.poisson(200);
      const c = {
        canaryRequests: nc,
        canaryEvents: random.binomial(nc, t < 20 ? 0.01 : 0.05),
        stableRequests: ns,
        stableEvents: random.binomial(ns, 0.01),
      };
      intervals.push(c);
      state = observeInterval(state, c);
    }
    // Brute force: Σ_k π_k Σ_j w_j L_{j→t}(θ_k) + Σ_{j ≥ t} w_j, each L from its own start.
    const theta0 = 1 + margin;
    let lambda = unstartedWeight(intervals.length);
    MIXTURE_GRID.ratios.forEach((ratio, k) => {
      for (let j = 0; j < intervals.length; j++) {
        let logL = 0;
        for (const {
          canaryRequests: nc,
          canaryEvents: ec,
          stableRequests: ns,
          stableEvents: es,
        } of intervals.slice(j)) {
          if (nc <= 0 || ns <= 0) continue;
          const p0 = (nc * theta0) / (nc * theta0 + ns);
          const p = (nc * theta0 * ratio) / (nc * theta0 * ratio + ns);
          logL += ec * Math.log(p / p0) + es * Math.log((1 - p) / (1 - p0));
        }
        lambda += Math.exp(MIXTURE_GRID.logPrior[k] ?? 0) * restartWeight(j) * Math.exp(logL);
      }
    });
    expect(mixtureLogLR(state)).toBeCloseTo(Math.log(lambda), 9);
  });

  it('should keep false rejections at or below alpha over long runs, where the restarts add up (property)', () => {
    const random = createSeededRandom(99);
    const alpha = 0.1;
    let rejected = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      if (runs(random, { alpha, margin: 0, canaryError: (q) => q, seconds: 1200 })) rejected++;
    }
    expect(rejected / n).toBeLessThanOrEqual(alpha);
  });

  it('should catch a fault that starts after minutes of healthy traffic within seconds', () => {
    const random = createSeededRandom(5);
    const delays: number[] = [];
    for (let i = 0; i < 50; i++) {
      let state = createMixtureSprt(0.1);
      for (let t = 0; t < 600; t++) {
        const nc = random.poisson(20);
        const ns = random.poisson(180);
        state = observeInterval(state, {
          canaryRequests: nc,
          canaryEvents: random.binomial(nc, t >= 300 ? 0.05 : 0.005),
          stableRequests: ns,
          stableEvents: random.binomial(ns, 0.005),
        });
        if (isRejected(state, 0.01)) {
          delays.push(t + 1 - 300);
          break;
        }
      }
    }
    // Every run rejects; a rare one before the onset (a false alarm, at most alpha) counts as not detected.
    expect(delays.length).toBe(50);
    const detected = delays.filter((d) => d > 0).sort((a, b) => a - b);
    expect(detected.length).toBeGreaterThanOrEqual(48);
    // Without restarts the healthy seconds cost about 20 s at the median (22 s after 120 s).
    expect(detected[Math.floor(detected.length / 2)]).toBeLessThanOrEqual(16);
  });
});
