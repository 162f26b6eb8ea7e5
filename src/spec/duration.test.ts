import { describe, expect, it } from 'vitest';
import { DurationError, durationToMs, formatDuration, isDuration } from './index.js';

describe('durationToMs', () => {
  it('should read an integer as seconds, as Argo Rollouts reads pause.duration', () => {
    expect(durationToMs(30)).toBe(30_000);
    expect(durationToMs(0)).toBe(0);
    expect(durationToMs('30')).toBe(30_000);
  });

  it('should read ms, s, m, h and compounds largest unit first', () => {
    expect(durationToMs('500ms')).toBe(500);
    expect(durationToMs('30s')).toBe(30_000);
    expect(durationToMs('5m')).toBe(300_000);
    expect(durationToMs('1h')).toBe(3_600_000);
    expect(durationToMs('1m30s')).toBe(90_000);
    expect(durationToMs('1h2m3s4ms')).toBe(3_723_004);
    expect(durationToMs('1.5s')).toBe(1_500);
  });

  it.each([-1, 1.5, Number.NaN, '', ' 30s', '30 s', '30sec', '1d', 's', '30s1m', '1m1m', '-5s'])(
    'should throw DurationError with code CUTOVER_E_SPEC_DURATION for %j',
    (value) => {
      expect(() => durationToMs(value)).toThrow(DurationError);
      expect(() => durationToMs(value)).toThrow(/invalid duration .*expected a duration/);
    },
  );
});

describe('isDuration', () => {
  it('should tell durations from other values without throwing', () => {
    expect(isDuration('1m30s')).toBe(true);
    expect(isDuration(10)).toBe(true);
    expect(isDuration('10x')).toBe(false);
    expect(isDuration(null)).toBe(false);
    expect(isDuration({})).toBe(false);
  });
});

describe('formatDuration', () => {
  it('should write the largest units first and leave zero parts out', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_723_000)).toBe('1h2m3s');
    expect(formatDuration(3_600_005)).toBe('1h5ms');
    expect(formatDuration(500)).toBe('500ms');
    expect(formatDuration(0)).toBe('0s');
  });

  it('should write what durationToMs reads back', () => {
    for (const ms of [1, 999, 1_000, 61_001, 86_400_000]) expect(durationToMs(formatDuration(ms))).toBe(ms);
  });

  it('should throw DurationError for a negative or non-finite number', () => {
    expect(() => formatDuration(-1)).toThrow(DurationError);
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(DurationError);
  });
});
