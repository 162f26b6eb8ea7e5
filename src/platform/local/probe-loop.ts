import type { Probe } from '../../spec/types.js';
import { PROBE_DEFAULTS, type ProbeContext, runProbe } from './probe.js';

/** How a {@link ProbeLoop} reports. */
export interface ProbeLoopOptions {
  probe: Probe;
  context: ProbeContext;
  /** Result before the first threshold is crossed (readiness: false, liveness: true). */
  initial: boolean;
  /** Called when the result flips (after successThreshold successes / failureThreshold failures). */
  onChange: (passing: boolean) => void;
  /** Stop probing after the first success (the built-in "port accepts TCP" readiness). @default false */
  stopOnSuccess?: boolean;
  /**
   * Called, and probing stopped, when `failureThreshold` consecutive attempts fail before the probe
   * ever passed (a startup probe that gives up). Without it such failures are only counted.
   */
  onGiveUp?: () => void;
}

/**
 * Runs a probe periodically with Kubernetes' semantics: first attempt after
 * `initialDelaySeconds`, then every `periodSeconds` (measured from the end of an attempt); the
 * result flips to passing after `successThreshold` consecutive successes and to failing after
 * `failureThreshold` consecutive failures. Fractional seconds are accepted (a cutover extension).
 */
export class ProbeLoop {
  readonly #options: ProbeLoopOptions;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #passing: boolean;
  #successes = 0;
  #failures = 0;

  constructor(options: ProbeLoopOptions) {
    this.#options = options;
    this.#passing = options.initial;
  }

  /** Whether the probe currently passes. */
  get passing(): boolean {
    return this.#passing;
  }

  start(): void {
    const delay = (this.#options.probe.initialDelaySeconds ?? PROBE_DEFAULTS.initialDelaySeconds) * 1000;
    this.#schedule(delay);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#attempt(), ms);
  }

  async #attempt(): Promise<void> {
    const { probe, context } = this.#options;
    const ok = await runProbe(probe, context);
    if (this.#stopped) return;
    if (ok) {
      this.#successes++;
      this.#failures = 0;
      if (!this.#passing && this.#successes >= (probe.successThreshold ?? PROBE_DEFAULTS.successThreshold)) {
        this.#passing = true;
        this.#options.onChange(true);
      }
    } else {
      this.#failures++;
      this.#successes = 0;
      const threshold = probe.failureThreshold ?? PROBE_DEFAULTS.failureThreshold;
      if (this.#passing && this.#failures >= threshold) {
        this.#passing = false;
        this.#options.onChange(false);
      } else if (!this.#passing && this.#failures >= threshold && this.#options.onGiveUp !== undefined) {
        this.stop();
        this.#options.onGiveUp();
        return;
      }
    }
    if (this.#stopped) return;
    if (ok && this.#passing && this.#options.stopOnSuccess) return;
    this.#schedule((probe.periodSeconds ?? PROBE_DEFAULTS.periodSeconds) * 1000);
  }
}
