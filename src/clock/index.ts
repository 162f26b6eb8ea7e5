/**
 * Time source injected into everything that waits or timestamps, so decisions can be tested with a
 * simulated clock instead of sleeps (as XState's `SimulatedClock`).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests of timing logic. */
export class SimulatedClock implements Clock {
  #now: number;
  /** @param start - initial time, ms since the epoch. @default 0 */
  constructor(start = 0) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.#now += ms;
  }
  /** Set the time, ms since the epoch. */
  set(ms: number): void {
    this.#now = ms;
  }
}
