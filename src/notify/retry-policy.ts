/**
 * How a notification delivery is retried: up to `attempts` tries in all, waiting
 * `min(initialDelayMs * factor^(n-1), maxDelayMs)` after the n-th failed try (exponential backoff,
 * as Temporal's RetryPolicy with `initialInterval`, `backoffCoefficient`, `maximumInterval`).
 */
export interface RetryPolicy {
  /** Tries in all, including the first; at least 1. @default 5 */
  attempts: number;
  /** Wait after the first failed try, ms. @default 200 */
  initialDelayMs: number;
  /** Longest wait between tries, ms; also caps a server's Retry-After. @default 5000 */
  maxDelayMs: number;
  /** Growth of the wait from one try to the next. @default 2 */
  factor: number;
}

/** The default retry policy: 5 tries, waits of 200, 400, 800, 1600 ms (capped at 5000 ms). */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 5000,
  factor: 2,
});

/**
 * The wait before the next try, ms, after the `failedAttempt`-th try (1-based) failed. A server's
 * `Retry-After` (already in ms, see {@link parseRetryAfterMs}) replaces the backoff; either way the
 * wait is at most `maxDelayMs`. Pure.
 *
 * @example backoffDelayMs(DEFAULT_RETRY_POLICY, 3) // 800
 * @example backoffDelayMs(DEFAULT_RETRY_POLICY, 1, 30_000) // 5000
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number, retryAfterMs?: number): number {
  const delay = retryAfterMs ?? policy.initialDelayMs * policy.factor ** (failedAttempt - 1);
  return Math.max(0, Math.min(delay, policy.maxDelayMs));
}

/**
 * Reads a `Retry-After` header given in seconds (RFC 9110 section 10.2.3, `delay-seconds`) as ms;
 * `undefined` when absent or not a non-negative integer (the HTTP-date form is not honoured: the
 * exponential backoff applies instead). Pure.
 *
 * @example parseRetryAfterMs('2') // 2000
 */
export function parseRetryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value.trim()) * 1000;
}
