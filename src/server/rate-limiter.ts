/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained rate per key, requests/s. @default 50 */
  perSecond: number;
  /** Bucket size: requests a key may send at once. @default 100 */
  burst: number;
}

/** The API's default limit per token. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 50, burst: 100 };

/** Buckets kept before idle (full) ones are dropped. */
const PRUNE_AT = 10_000;

/**
 * A token bucket per key (as @fastify/rate-limit's, without its fixed windows): a key may spend
 * `burst` requests at once and earns `perSecond` back. Time comes from `now` (ms), so tests need
 * no sleeps.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly options: RateLimitOptions,
    private readonly now: () => number,
  ) {}

  /**
   * Spends one request of `key`.
   * @returns 0 when allowed, else the seconds (≥ 1, whole) until one is earned back.
   */
  take(key: string): number {
    const now = this.now();
    const { perSecond, burst } = this.options;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    if (this.#buckets.size >= PRUNE_AT) this.#prune(now);
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }

  #prune(now: number): void {
    const { perSecond, burst } = this.options;
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.#buckets.delete(key);
    }
  }
}
