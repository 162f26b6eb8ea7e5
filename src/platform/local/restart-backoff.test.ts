import { describe, expect, it } from 'vitest';
import { RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  it('should double from 1 s up to 30 s and reset after 60 s of running', () => {
    const b = new RestartBackoff();
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.delay(100))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(b.delay(60_000)).toBe(1000);
    expect(b.delay(10)).toBe(2000);
  });
});
