import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Lease, Store } from '../store/index.js';

/** Name of the lease whose holder runs the controller and the crew. */
export const CONTROLLER_LEASE = 'controller';

/** Lease duration when `$CUTOVER_LEASE_DURATION_SECONDS` is unset, ms. */
export const DEFAULT_LEASE_DURATION_MS = 8000;

/** Options of {@link LeaderElection}. */
export interface LeaderElectionOptions {
  store: Store;
  /** This replica's id (the lease's `holder` while it leads). */
  holder: string;
  /**
   * How long a lease lasts without renewal, ms: a leader that dies is replaced after at most this
   * plus one `retryPeriodMs`. @default 8000
   */
  leaseDurationMs?: number;
  /** Period of the attempts (renewals by the leader, tries by the others), ms. @default leaseDurationMs / 4 */
  retryPeriodMs?: number;
  logger: Logger;
  /** Called once, when this replica becomes the leader, with the lease's fencing token. */
  onStartedLeading(token: number): void;
  /**
   * Called once, when this replica stops leading: another took the lease, or it could not renew it
   * before `renewDeadline` (its lease may be about to expire). It must stop acting at once.
   */
  onStoppedLeading(reason: string): void;
  /** Called after every attempt with the lease as the database has it. */
  onObserved?(lease: Lease, now: number): void;
}

/**
 * Leader election on the store's lease row, as Kubernetes' client-go leaderelection: every replica
 * tries every `retryPeriodMs`; the holder renews, the others take the lease once it has expired,
 * with a fencing token one higher. A leader that has not renewed for `leaseDurationMs -
 * retryPeriodMs` (measured on its own monotonic clock from the start of its last successful
 * renewal, so before the database can consider the lease expired) stops leading.
 */
export class LeaderElection {
  readonly #o: Required<Omit<LeaderElectionOptions, 'onObserved'>> &
    Pick<LeaderElectionOptions, 'onObserved'>;
  #timer: NodeJS.Timeout | undefined;
  /** Checks the renew deadline while an attempt hangs (an unreachable database). */
  #watchdog: NodeJS.Timeout | undefined;
  #token: number | undefined;
  /** performance.now() after which the leader must consider its lease lost. */
  #validUntil = 0;
  #stopped = false;
  #attempt: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.#o = { retryPeriodMs: Math.max(100, Math.floor(leaseDurationMs / 4)), ...options, leaseDurationMs };
  }

  /** The fencing token while this replica leads, else undefined. */
  get token(): number | undefined {
    return this.#token;
  }

  get leading(): boolean {
    return this.#token !== undefined;
  }

  start(): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#attempt = this.#try().finally(() => {
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.retryPeriodMs);
      });
    };
    tick();
    this.#watchdog = setInterval(() => this.#checkDeadline(), Math.max(25, this.#o.retryPeriodMs / 4));
  }

  /** Stops trying; a leader hands the lease over at once (it expires now). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#watchdog);
    await this.#attempt;
    const token = this.#token;
    if (token === undefined) return;
    this.#token = undefined;
    await this.#o.store.releaseLease(CONTROLLER_LEASE, this.#o.holder, token).catch(() => undefined);
  }

  async #try(): Promise<void> {
    const started = performance.now();
    try {
      const { lease, now } = await this.#o.store.tryAcquireLease(
        CONTROLLER_LEASE,
        this.#o.holder,
        this.#o.leaseDurationMs,
      );
      this.#o.onObserved?.(lease, now);
      if (this.#stopped) return;
      if (lease.holder === this.#o.holder) {
        this.#validUntil = started + this.#o.leaseDurationMs - this.#o.retryPeriodMs;
        if (this.#token === undefined) {
          this.#token = lease.token;
          this.#o.logger.info(
            { token: lease.token, holder: lease.holder },
            'leader election: this replica leads',
          );
          this.#o.onStartedLeading(lease.token);
        } else if (this.#token !== lease.token) {
          this.#lost(`the lease was taken over (token ${lease.token})`);
        }
      } else if (this.#token !== undefined) {
        this.#lost(`replica ${lease.holder} holds the lease (token ${lease.token})`);
      }
    } catch (error) {
      this.#o.logger.warn({ err: String(error) }, 'leader election: cannot reach the store');
    }
    // A renewal that takes longer than the lease's margin leaves the leader without a valid lease.
    this.#checkDeadline();
  }

  #checkDeadline(): void {
    if (this.#token !== undefined && performance.now() > this.#validUntil)
      this.#lost('the lease could not be renewed before its renew deadline');
  }

  #lost(reason: string): void {
    if (this.#token === undefined) return;
    this.#token = undefined;
    this.#o.logger.error({ reason }, 'leader election: this replica no longer leads');
    this.#o.onStoppedLeading(reason);
  }
}
