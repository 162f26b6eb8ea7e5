/** Crash-loop backoff of a replica (as Kubernetes' CrashLoopBackOff, faster). */
export interface RestartBackoffOptions {
  /** First delay, ms. @default 1000 */
  initialMs?: number;
  /** Upper bound, ms. @default 30000 */
  maxMs?: number;
  /** A run at least this long resets the delay to `initialMs`, ms. @default 60000 */
  resetAfterMs?: number;
}

/**
 * Delay before restarting a crashed replica: `initialMs`, doubling on each crash up to `maxMs`,
 * back to `initialMs` after a run of `resetAfterMs`. Pure apart from its own counter.
 */
export class RestartBackoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #resetAfter: number;
  #next: number;

  constructor(options: RestartBackoffOptions = {}) {
    this.#initial = options.initialMs ?? 1_000;
    this.#max = options.maxMs ?? 30_000;
    this.#resetAfter = options.resetAfterMs ?? 60_000;
    this.#next = this.#initial;
  }

  /**
   * The delay before the next restart, ms.
   * @param ranForMs - how long the crashed run lasted, ms.
   */
  delay(ranForMs: number): number {
    if (ranForMs >= this.#resetAfter) this.#next = this.#initial;
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, this.#max);
    return delay;
  }
}
