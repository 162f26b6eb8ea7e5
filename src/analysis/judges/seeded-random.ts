/**
 * A seeded pseudo-random source with the samplers the judges' simulations need (uniform, Poisson,
 * binomial), so tests and the benchmark are reproducible run for run.
 */

/** Samplers over one seeded stream. Not cryptographic. */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** A Poisson(mean) count; exact (inversion below 10, Hörmann's PTRS rejection above). */
  poisson(mean: number): number;
  /** A Binomial(trials, p) count; exact (geometric skips, O(trials·min(p, 1-p)) time). */
  binomial(trials: number, p: number): number;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error below 1e-13). Pure. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * A {@link SeededRandom} on mulberry32 (32-bit state; period 2^32, ample for simulations). Equal
 * seeds give equal streams.
 *
 * @param seed - any integer
 * @example createSeededRandom(42).poisson(20)
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const poisson = (mean: number): number => {
    if (!(mean > 0)) return 0;
    if (mean < 10) {
      // Inversion by sequential search.
      let k = 0;
      let p = Math.exp(-mean);
      let cumulative = p;
      const u = uniform();
      while (u > cumulative && k < 1000) {
        k++;
        p *= mean / k;
        cumulative += p;
      }
      return k;
    }
    // PTRS: W. Hörmann (1993), "The transformed rejection method for generating Poisson random variables".
    const logMean = Math.log(mean);
    const b = 0.931 + 2.53 * Math.sqrt(mean);
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = uniform() - 0.5;
      const v = uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
        -mean + k * logMean - logGamma(k + 1)
      )
        return k;
    }
  };
  const binomial = (trials: number, p: number): number => {
    if (trials <= 0 || p <= 0) return 0;
    if (p >= 1) return trials;
    if (p > 0.5) return trials - binomial(trials, 1 - p);
    // Positions of successes: geometric gaps.
    const logQ = Math.log(1 - p);
    let count = 0;
    let position = 0;
    for (;;) {
      position += Math.floor(Math.log(1 - uniform()) / logQ) + 1;
      if (position > trials) return count;
      count++;
    }
  };
  return { uniform, poisson, binomial };
}
