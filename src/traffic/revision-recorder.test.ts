import { describe, expect, it } from 'vitest';
import { PROXY_ERROR, RevisionRecorder } from './revision-recorder.js';

const T0 = 1_700_000_000_000;

describe('RevisionRecorder', () => {
  it('should count only the requests inside the trailing window', () => {
    const rec = new RevisionRecorder(T0);
    for (let s = 0; s < 100; s++) rec.record(1, 0.01, T0 + s * 1000 + 500); // 1 req/s, 2xx
    rec.record(4, 0.2, T0 + 99_600); // one 5xx in the last second
    const now = T0 + 99_900;
    const w10 = rec.window(10, 0.95, now);
    expect(w10.requests).toBe(11);
    expect(w10.counts[4]).toBe(1);
    expect(w10.coveredSeconds).toBeCloseTo(9.9, 5);
    const w300 = rec.window(300, 0.5, now);
    expect(w300.requests).toBe(101);
    // Shorter history than the window: covered = age of the recorder.
    expect(w300.coveredSeconds).toBeCloseTo(99.9, 5);
    expect(w300.latency).toBeGreaterThan(0.008);
    expect(w300.latency).toBeLessThan(0.012);
  });

  it('should forget seconds older than the ring when they are reused', () => {
    const rec = new RevisionRecorder(T0);
    rec.record(PROXY_ERROR, 0.001, T0);
    const later = T0 + 400_000;
    expect(rec.window(300, 0.95, later).requests).toBe(0);
    rec.record(1, 0.001, T0 + 302_000); // same ring slot as T0
    expect(rec.window(300, 0.95, T0 + 302_100).counts).toEqual([0, 1, 0, 0, 0, 0]);
    expect(rec.totals[PROXY_ERROR]).toBe(1);
  });

  it('should report a whole second for the stream', () => {
    const rec = new RevisionRecorder(T0);
    rec.record(1, 0.004, T0 + 100);
    rec.record(1, 0.004, T0 + 900);
    rec.record(3, 0.004, T0 + 1100);
    expect(rec.second(T0 / 1000)?.counts).toEqual([0, 2, 0, 0, 0, 0]);
    expect(rec.second(T0 / 1000 + 1)?.counts).toEqual([0, 0, 0, 1, 0, 0]);
    expect(rec.second(T0 / 1000 + 2)).toBeNull();
  });
});
