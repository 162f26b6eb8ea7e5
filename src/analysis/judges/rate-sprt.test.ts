import { describe, expect, it } from 'vitest';
import { createRateSprt, isRateRejected, observeRate } from './rate-sprt.js';
import { createSeededRandom } from './seeded-random.js';

/** Runs `runs` tests of `intervals` intervals of `n` requests at true rate `q`; @returns the share rejected. */
function rejections(q0: number, q: number, runs: number, intervals: number, n: number, seed: number): number {
  const random = createSeededRandom(seed);
  let rejected = 0;
  for (let r = 0; r < runs; r++) {
    let state = createRateSprt(q0);
    for (let t = 0; t < intervals; t++) {
      state = observeRate(state, { requests: n, events: random.binomial(n, q) });
      if (isRateRejected(state, 0.01)) {
        rejected++;
        break;
      }
    }
  }
  return rejected / runs;
}

describe('rate SPRT (one-sample, H0: rate <= q0)', () => {
  it('should hold its false-alarm bound when the rate sits exactly on q0, read after every interval', () => {
    // alpha 0.01 over 300 runs: allow sampling noise up to 3%.
    expect(rejections(0.05, 0.05, 300, 300, 5, 1)).toBeLessThanOrEqual(0.03);
  });

  it('should reject a rate of 4 × q0 nearly always, and a fault that starts after an hour too', () => {
    expect(rejections(0.05, 0.2, 100, 60, 5, 2)).toBeGreaterThanOrEqual(0.95);
    const random = createSeededRandom(4);
    let state = createRateSprt(0.05);
    for (let t = 0; t < 3600; t++)
      state = observeRate(state, { requests: 5, events: random.binomial(5, 0.01) });
    expect(isRateRejected(state, 0.01)).toBe(false);
    let seconds = 0;
    while (!isRateRejected(state, 0.01) && seconds < 600) {
      state = observeRate(state, { requests: 5, events: random.binomial(5, 0.3) });
      seconds++;
    }
    expect(seconds).toBeLessThan(120);
  });

  it('should refuse a bound outside (0, 1)', () => {
    expect(() => createRateSprt(0)).toThrow(RangeError);
    expect(() => createRateSprt(1)).toThrow(RangeError);
  });
});
