import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SUSTAINED_MAX_GAP_MS,
  INITIAL_SUSTAINED_STATE,
  observeSustained,
  type SustainedOptions,
  type SustainedResult,
  type SustainedSample,
} from './index.js';

const T0 = Date.UTC(2025, 0, 1, 12);

/** Folds `samples` (at offsets from T0, ms) and returns every step's result. */
function run(samples: readonly [offsetMs: number, breached: boolean | null][], options: SustainedOptions) {
  let state = INITIAL_SUSTAINED_STATE;
  const results: SustainedResult[] = [];
  for (const [offset, breached] of samples) {
    const sample: SustainedSample = { at: T0 + offset, breached };
    const result = observeSustained(state, sample, options);
    results.push(result);
    state = result.state;
  }
  return results;
}

/** Breached samples every `stepMs` from `fromMs` to `toMs` inclusive. */
function every(stepMs: number, fromMs: number, toMs: number, breached: boolean | null = true) {
  const samples: [number, boolean | null][] = [];
  for (let at = fromMs; at <= toMs; at += stepMs) samples.push([at, breached]);
  return samples;
}

describe('observeSustained', () => {
  const twoMinutes: SustainedOptions = { forMs: 120_000, sampleIntervalMs: 1_000 };

  it('should fire once per-second breached samples span the whole window, not before', () => {
    const results = run(every(1_000, 0, 120_000), twoMinutes);
    expect(results.at(-2)).toMatchObject({ fired: false, breachedForMs: 119_000 });
    expect(results.at(-1)).toMatchObject({ fired: true, breachedForMs: 120_000 });
    expect(results.at(-1)?.state).toEqual({ since: T0, lastAt: T0 + 120_000 });
  });

  it('should keep firing on every breached sample while the breach lasts', () => {
    const results = run(every(1_000, 0, 125_000), twoMinutes);
    expect(results.filter((result) => result.fired)).toHaveLength(6);
  });

  it('should not count two breached samples 2 minutes apart as sustained', () => {
    const results = run(
      [
        [0, true],
        [120_000, true],
      ],
      twoMinutes,
    );
    expect(results[1]).toMatchObject({ fired: false, breachedForMs: 0 });
    expect(results[1]?.state).toEqual({ since: T0 + 120_000, lastAt: T0 + 120_000 });
  });

  it('should start over after one non-breached sample', () => {
    const samples = [...every(1_000, 0, 100_000), [100_500, false], ...every(1_000, 101_000, 160_000)] as [
      number,
      boolean | null,
    ][];
    const results = run(samples, twoMinutes);
    expect(results[101]).toEqual({ state: INITIAL_SUSTAINED_STATE, fired: false, breachedForMs: 0 });
    expect(results.some((result) => result.fired)).toBe(false);
    expect(results.at(-1)?.breachedForMs).toBe(59_000);
  });

  it.each([
    // [name, samples, breachedForMs after the last sample]
    [
      'a short hole of no data keeps the breach',
      [...every(1_000, 0, 5_000), [6_000, null], [7_000, true]],
      7_000,
    ],
    ['no data does not extend the breach', [...every(1_000, 0, 5_000), [6_000, null], [7_000, null]], 5_000],
    ['a hole longer than maxGapMs starts over', [...every(1_000, 0, 5_000), [6_000, null], [9_500, true]], 0],
    ['a gap of exactly maxGapMs keeps the breach', [...every(1_000, 0, 5_000), [8_000, true]], 8_000],
  ] as const)('should handle gaps: %s', (_name, samples, expectedMs) => {
    const results = run(samples as unknown as [number, boolean | null][], { forMs: 60_000, maxGapMs: 3_000 });
    expect(results.at(-1)?.breachedForMs).toBe(expectedMs);
    expect(results.at(-1)?.fired).toBe(false);
  });

  it('should drop a breach when no data lasts longer than maxGapMs', () => {
    const results = run([...every(1_000, 0, 5_000), [6_000, null], [9_000, null]], {
      forMs: 60_000,
      maxGapMs: 3_000,
    });
    expect(results.at(-2)?.state).toEqual({ since: T0, lastAt: T0 + 5_000 });
    expect(results.at(-1)?.state).toEqual(INITIAL_SUSTAINED_STATE);
  });

  it('should not fire on a no-data sample even when the breach has lasted forMs', () => {
    const results = run([...every(1_000, 0, 10_000), [11_000, null]], {
      forMs: 10_000,
      sampleIntervalMs: 1_000,
    });
    expect(results.at(-2)?.fired).toBe(true);
    expect(results.at(-1)).toMatchObject({ fired: false, breachedForMs: 10_000 });
  });

  it('should fire on the first breached sample when forMs is 0', () => {
    const results = run(
      [
        [0, false],
        [1_000, true],
      ],
      { forMs: 0 },
    );
    expect(results.map((result) => result.fired)).toEqual([false, true]);
  });

  it('should default maxGapMs to 3 sample intervals, or to 30 s without one', () => {
    const withInterval = run(
      [
        [0, true],
        [3_000, true],
        [6_001, true],
      ],
      { forMs: 60_000, sampleIntervalMs: 1_000 },
    );
    expect(withInterval.map((result) => result.breachedForMs)).toEqual([0, 3_000, 0]);
    const withoutInterval = run(
      [
        [0, true],
        [DEFAULT_SUSTAINED_MAX_GAP_MS, true],
        [2 * DEFAULT_SUSTAINED_MAX_GAP_MS + 1, true],
      ],
      { forMs: 60_000 },
    );
    expect(withoutInterval.map((result) => result.breachedForMs)).toEqual([0, 30_000, 0]);
  });

  it('should throw RangeError for samples out of order and for invalid options', () => {
    const state = { since: T0, lastAt: T0 + 5_000 };
    expect(() => observeSustained(state, { at: T0 + 4_000, breached: true }, { forMs: 0 })).toThrow(
      /earlier than the last breached sample/,
    );
    expect(() =>
      observeSustained(INITIAL_SUSTAINED_STATE, { at: T0, breached: true }, { forMs: -1 }),
    ).toThrow(RangeError);
    expect(() =>
      observeSustained(INITIAL_SUSTAINED_STATE, { at: T0, breached: true }, { forMs: 0, maxGapMs: 0 }),
    ).toThrow(RangeError);
    expect(() =>
      observeSustained(INITIAL_SUSTAINED_STATE, { at: Number.NaN, breached: true }, { forMs: 0 }),
    ).toThrow(RangeError);
  });
});
