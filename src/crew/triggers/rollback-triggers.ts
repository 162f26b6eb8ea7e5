/**
 * The RollbackCoordinator's sample-driven triggers: error rate and p95 latency of the new revision,
 * judged on per-second samples, each through a {@link observeSustained} window so one bad second does
 * not roll back a release.
 */
import { INITIAL_SUSTAINED_STATE, observeSustained, type SustainedState } from './sustained-condition.js';

/**
 * Every reason a rollback can be triggered. `errorRate` and `p95` come from samples
 * ({@link evaluateRollbackTriggers}); `smokeTest`, `healthCheck`, `manual` and `monitor` (a MONITOR
 * checkpoint's `rollback` verdict) are events the coordinator receives as they happen.
 */
export const ROLLBACK_TRIGGER_KINDS = [
  'errorRate',
  'p95',
  'smokeTest',
  'healthCheck',
  'manual',
  'monitor',
] as const;
/** One of {@link ROLLBACK_TRIGGER_KINDS}. */
export type RollbackTriggerKind = (typeof ROLLBACK_TRIGGER_KINDS)[number];
/** The trigger kinds judged on samples. */
export type SampledRollbackTriggerKind = Extract<RollbackTriggerKind, 'errorRate' | 'p95'>;

/** A threshold that must be exceeded for a sustained time. */
export interface SustainedThreshold {
  /** The value must be strictly above this (a ratio 0..1 for the error rate, ms for p95). */
  readonly threshold: number;
  /** For at least this long, s; `0` triggers on the first sample above the threshold. */
  readonly forSeconds: number;
}

/** When samples of the new revision trigger a rollback. */
export interface RollbackTriggerPolicy {
  /** Error rate (errors / requests, ratio 0..1) above `threshold` for `forSeconds`. */
  readonly errorRate: SustainedThreshold;
  /** p95 latency (ms) above `threshold` for `forSeconds`. */
  readonly p95Ms: SustainedThreshold;
  /** A sample with fewer requests than this in its window is no data for either trigger. */
  readonly minRequests: number;
  /**
   * The longest hole between two breached samples that still counts as one breach, s.
   * @default 3 (three times the 1 s sample interval)
   */
  readonly maxGapSeconds?: number;
}

/**
 * Roll back when more than 5% of requests fail for 2 minutes, or at once when p95 exceeds 500 ms;
 * samples of fewer than 20 requests are not judged.
 */
export const DEFAULT_ROLLBACK_TRIGGERS: RollbackTriggerPolicy = {
  errorRate: { threshold: 0.05, forSeconds: 120 },
  p95Ms: { threshold: 500, forSeconds: 0 },
  minRequests: 20,
};

/** Default of {@link RollbackTriggerPolicy.maxGapSeconds}, s. */
export const DEFAULT_ROLLBACK_MAX_GAP_SECONDS = 3;

/** Where each sampled trigger stands; start from {@link INITIAL_ROLLBACK_TRIGGER_STATE}. */
export interface RollbackTriggerState {
  readonly errorRate: SustainedState;
  readonly p95: SustainedState;
}

/** No breach of either trigger yet. */
export const INITIAL_ROLLBACK_TRIGGER_STATE: RollbackTriggerState = {
  errorRate: INITIAL_SUSTAINED_STATE,
  p95: INITIAL_SUSTAINED_STATE,
};

/** One sample of the new revision's traffic, typically over the last second. */
export interface RollbackSample {
  /** End of the sample's window, ms since the epoch. */
  readonly at: number;
  /** Requests completed in the window. */
  readonly requests: number;
  /** Of those, requests that failed. */
  readonly errors: number;
  /** 95th percentile latency in the window, ms; `null` when unknown. */
  readonly p95Ms: number | null;
}

/** Why a rollback was triggered. */
export interface RollbackTrigger {
  readonly kind: SampledRollbackTriggerKind;
  /** For people, e.g. `error rate 0.21 > 0.05 for 120 s`. */
  readonly reason: string;
  /**
   * The numbers behind it: `errorRate` (ratio), `threshold`, `requests`, `errors`, `forSeconds`
   * for `errorRate`; `p95Ms`, `thresholdMs`, `requests`, `forSeconds` for `p95`.
   */
  readonly values: Record<string, number>;
}

/** What one sample did. */
export interface RollbackTriggerResult {
  /** The state to pass with the next sample. */
  readonly state: RollbackTriggerState;
  /** The trigger that fired, or `null`; the error rate wins when both fire on one sample. */
  readonly trigger: RollbackTrigger | null;
}

/**
 * Folds one sample of the new revision into the rollback triggers.
 *
 * Pure. Each trigger fires when its value has been strictly above its threshold on every sample for
 * at least `forSeconds` (see {@link observeSustained}: a sample under the threshold starts over, a
 * sample with fewer than `minRequests` requests or without a p95 is no data and does not extend a
 * breach, a hole longer than `maxGapSeconds` starts over). Level-triggered: the trigger is reported on
 * every sample while the breach lasts; the coordinator acts on the first.
 *
 * @param policy - @default {@link DEFAULT_ROLLBACK_TRIGGERS}
 * @throws RangeError for a sample with negative or non-finite counts, more errors than requests, a
 *   negative p95, or out of order; or a policy with a negative `forSeconds` or `minRequests`
 * @example
 * const { state, trigger } = evaluateRollbackTriggers(INITIAL_ROLLBACK_TRIGGER_STATE,
 *   { at: 0, requests: 100, errors: 1, p95Ms: 812 });
 * trigger // { kind: 'p95', reason: 'p95 812 ms > 500 ms', values: { p95Ms: 812, ... } }
 */
export function evaluateRollbackTriggers(
  state: RollbackTriggerState,
  sample: RollbackSample,
  policy: RollbackTriggerPolicy = DEFAULT_ROLLBACK_TRIGGERS,
): RollbackTriggerResult {
  validateSample(sample);
  if (!(policy.minRequests >= 0)) {
    throw new RangeError(`minRequests must be a number >= 0, got ${policy.minRequests}`);
  }
  const maxGapMs = (policy.maxGapSeconds ?? DEFAULT_ROLLBACK_MAX_GAP_SECONDS) * 1_000;
  const enough = sample.requests > 0 && sample.requests >= policy.minRequests;
  const errorRate = enough ? sample.errors / sample.requests : null;
  const p95Ms = enough ? sample.p95Ms : null;

  const errorStep = observeSustained(
    state.errorRate,
    { at: sample.at, breached: errorRate === null ? null : errorRate > policy.errorRate.threshold },
    { forMs: policy.errorRate.forSeconds * 1_000, maxGapMs },
  );
  const p95Step = observeSustained(
    state.p95,
    { at: sample.at, breached: p95Ms === null ? null : p95Ms > policy.p95Ms.threshold },
    { forMs: policy.p95Ms.forSeconds * 1_000, maxGapMs },
  );
  const next: RollbackTriggerState = { errorRate: errorStep.state, p95: p95Step.state };

  if (errorStep.fired && errorRate !== null) {
    const forSeconds = Math.round(errorStep.breachedForMs / 1_000);
    const { threshold } = policy.errorRate;
    return {
      state: next,
      trigger: {
        kind: 'errorRate',
        reason: `error rate ${round(errorRate, 3)} > ${threshold}${forText(forSeconds)}`,
        values: { errorRate, threshold, requests: sample.requests, errors: sample.errors, forSeconds },
      },
    };
  }
  if (p95Step.fired && p95Ms !== null) {
    const forSeconds = Math.round(p95Step.breachedForMs / 1_000);
    const thresholdMs = policy.p95Ms.threshold;
    return {
      state: next,
      trigger: {
        kind: 'p95',
        reason: `p95 ${round(p95Ms, 1)} ms > ${thresholdMs} ms${forText(forSeconds)}`,
        values: { p95Ms, thresholdMs, requests: sample.requests, forSeconds },
      },
    };
  }
  return { state: next, trigger: null };
}

function forText(seconds: number): string {
  return seconds > 0 ? ` for ${seconds} s` : '';
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function validateSample(sample: RollbackSample): void {
  const { requests, errors, p95Ms } = sample;
  if (!Number.isFinite(requests) || requests < 0) {
    throw new RangeError(`sample.requests must be a finite number >= 0, got ${requests}`);
  }
  if (!Number.isFinite(errors) || errors < 0 || errors > requests) {
    throw new RangeError(`sample.errors must be a number 0..requests (${requests}), got ${errors}`);
  }
  if (p95Ms !== null && (!Number.isFinite(p95Ms) || p95Ms < 0)) {
    throw new RangeError(`sample.p95Ms must be a finite number of ms >= 0 or null, got ${p95Ms}`);
  }
}
