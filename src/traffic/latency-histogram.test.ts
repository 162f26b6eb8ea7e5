import { describe, expect, it } from 'vitest';
import {
  HISTOGRAM_BOUNDS,
  HISTOGRAM_BUCKETS,
  histogramBucket,
  histogramQuantile,
} from './latency-histogram.js';

describe('latency-histogram', () => {
  it('should span 50 µs to at least 60 s with 1.2x steps', () => {
    expect(HISTOGRAM_BOUNDS[0]).toBeCloseTo(50e-6, 12);
    expect(HISTOGRAM_BOUNDS[HISTOGRAM_BOUNDS.length - 1]).toBeGreaterThanOrEqual(60);
    expect(HISTOGRAM_BOUNDS[1]! / HISTOGRAM_BOUNDS[0]!).toBeCloseTo(1.2, 9);
  });

  it('should put a value in the bucket whose bounds hold it', () => {
    for (const v of [0, 1e-5, 50e-6, 0.0001, 0.0123, 0.5, 3, 59]) {
      const i = histogramBucket(v);
      expect(v).toBeLessThanOrEqual(HISTOGRAM_BOUNDS[i]! * (1 + 1e-9));
      if (i > 0) expect(v).toBeGreaterThan(HISTOGRAM_BOUNDS[i - 1]!);
    }
    expect(histogramBucket(1000)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('should read quantiles within 20 %', () => {
    const counts = new Float64Array(HISTOGRAM_BUCKETS);
    for (let i = 1; i <= 1000; i++) counts[histogramBucket(i / 1000)]! += 1; // 1 ms .. 1 s uniform
    expect(histogramQuantile(counts, 0.5)! / 0.5).toBeGreaterThan(0.8);
    expect(histogramQuantile(counts, 0.5)! / 0.5).toBeLessThan(1.2);
    expect(histogramQuantile(counts, 0.99)! / 0.99).toBeGreaterThan(0.8);
    expect(histogramQuantile(counts, 0.99)! / 0.99).toBeLessThan(1.2);
    expect(histogramQuantile(new Float64Array(HISTOGRAM_BUCKETS), 0.5)).toBeNull();
  });
});
