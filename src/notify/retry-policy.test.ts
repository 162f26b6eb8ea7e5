import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RETRY_POLICY, parseRetryAfterMs } from './retry-policy.js';

describe('backoffDelayMs', () => {
  it.each([
    { attempt: 1, retryAfter: undefined, expected: 200 },
    { attempt: 2, retryAfter: undefined, expected: 400 },
    { attempt: 4, retryAfter: undefined, expected: 1600 },
    { attempt: 6, retryAfter: undefined, expected: 5000 },
    { attempt: 1, retryAfter: 3000, expected: 3000 },
    { attempt: 1, retryAfter: 0, expected: 0 },
    { attempt: 1, retryAfter: 120_000, expected: 5000 },
  ])('should wait $expected ms after failed attempt $attempt (Retry-After $retryAfter ms)', (c) => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, c.attempt, c.retryAfter)).toBe(c.expected);
  });
});

describe('parseRetryAfterMs', () => {
  it.each([
    { header: '2', expected: 2000 },
    { header: ' 0 ', expected: 0 },
    { header: ['7', '9'], expected: 7000 },
    { header: undefined, expected: undefined },
    { header: 'Wed, 21 Oct 2015 07:28:00 GMT', expected: undefined },
    { header: '-1', expected: undefined },
    { header: '1.5', expected: undefined },
  ])('should read $header as $expected ms', ({ header, expected }) => {
    expect(parseRetryAfterMs(header)).toBe(expected);
  });
});
