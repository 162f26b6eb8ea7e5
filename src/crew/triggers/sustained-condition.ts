/**
 * A condition that must hold for a sustained window before it counts ("error rate > 5% sustained for
 * 2 minutes, not one sample"), as Prometheus' alerting rules `for:` clause: the alert fires only
 * once the expression has been true at every evaluation for the whole duration.
 */

/** Gap between breached samples after which a breach starts over, when no sample interval is given. */
export const DEFAULT_SUSTAINED_MAX_GAP_MS = 30_000;

/**
 * Where a sustained condition stands; fold samples into it with {@link observeSustained}.
 *
 * Both fields are `null` while the condition is not breached.
 */
export interface SustainedState {
  /** When the current continuous breach began, ms since the epoch; `null` while not breached. */
  readonly since: number | null;
  /** The last breached sample of the current breach, ms since the epoch; `null` while not breached. */
  readonly lastAt: number | null;
}

/** The state before any sample: not breached. */
export const INITIAL_SUSTAINED_STATE: SustainedState = { since: null, lastAt: null };

/** One observation of the condition. */
export interface SustainedSample {
  /** When the sample was taken, ms since the epoch; never earlier than the previous breached sample. */
  readonly at: number;
  /** Whether the condition was breached; `null` when there was no data to tell. */
  readonly breached: boolean | null;
}

/** How long the condition must hold, and how long a hole in the data may be. */
export interface SustainedOptions {
  /** The breach must last at least this long, ms; `0` fires on the first breached sample. */
  readonly forMs: number;
  /**
   * The longest time between two breached samples that still counts as one continuous breach, ms.
   * @default 3 × `sampleIntervalMs`, or {@link DEFAULT_SUSTAINED_MAX_GAP_MS} (30 s) without it
   */
  readonly maxGapMs?: number;
  /** The interval at which samples are taken, ms; only used for the default of `maxGapMs`. */
  readonly sampleIntervalMs?: number;
}

/** What one sample did to the condition. */
export interface SustainedResult {
  /** The state to pass with the next sample. */
  readonly state: SustainedState;
  /** Whether this sample is breached and the breach has now lasted at least `forMs`. */
  readonly fired: boolean;
  /** How long the current breach has lasted, ms: from its first to its last breached sample; 0 if none. */
  readonly breachedForMs: number;
}

/**
 * Folds one sample into a sustained condition.
 *
 * Pure. A breached sample extends the current breach, or starts a new one when there is none or when
 * more than `maxGapMs` passed since the last breached sample (so two breached samples 2 minutes
 * apart are not a 2-minute breach). A non-breached sample ends the breach. A sample without data
 * (`breached: null`) neither extends nor ends it, but once the gap exceeds `maxGapMs` the breach is
 * dropped. The breach is measured between breached samples only: a hole in the data never counts
 * towards `forMs`.
 *
 * `fired` is level-triggered: it is `true` on every breached sample once the breach has lasted
 * `forMs`; a caller that acts once acts on the first.
 *
 * @throws RangeError when `forMs` is negative or not finite, `maxGapMs` or `sampleIntervalMs` is not
 *   positive, or `sample.at` is earlier than the last breached sample (samples out of order)
 * @example
 * let state = INITIAL_SUSTAINED_STATE;
 * ({ state } = observeSustained(state, { at: 0, breached: true }, { forMs: 2_000, maxGapMs: 3_000 }));
 * ({ state } = observeSustained(state, { at: 1_000, breached: true }, { forMs: 2_000, maxGapMs: 3_000 }));
 * observeSustained(state, { at: 2_000, breached: true }, { forMs: 2_000, maxGapMs: 3_000 }).fired // true
 */
export function observeSustained(
  state: SustainedState,
  sample: SustainedSample,
  options: SustainedOptions,
): SustainedResult {
  const maxGapMs = resolveMaxGapMs(options);
  const { at, breached } = sample;
  if (!Number.isFinite(at)) throw new RangeError(`sample.at must be a finite number of ms, got ${at}`);
  const since = state.since;
  const lastAt = state.lastAt;
  const open = since !== null && lastAt !== null;
  if (open && at < lastAt) {
    throw new RangeError(
      `sample at ${at} ms is earlier than the last breached sample at ${lastAt} ms: samples must be in order`,
    );
  }
  const continues = open && at - lastAt <= maxGapMs;

  if (breached === false || (breached === null && !continues)) {
    return { state: INITIAL_SUSTAINED_STATE, fired: false, breachedForMs: 0 };
  }
  if (breached === null) return { state, fired: false, breachedForMs: breachedFor(state) };
  const next: SustainedState = continues ? { since, lastAt: at } : { since: at, lastAt: at };
  const breachedForMs = breachedFor(next);
  return { state: next, fired: breachedForMs >= options.forMs, breachedForMs };
}

function breachedFor(state: SustainedState): number {
  return state.since === null || state.lastAt === null ? 0 : state.lastAt - state.since;
}

function resolveMaxGapMs(options: SustainedOptions): number {
  const { forMs, maxGapMs, sampleIntervalMs } = options;
  if (!Number.isFinite(forMs) || forMs < 0) {
    throw new RangeError(`forMs must be a finite number of ms >= 0, got ${forMs}`);
  }
  if (sampleIntervalMs !== undefined && !(sampleIntervalMs > 0)) {
    throw new RangeError(`sampleIntervalMs must be a number of ms > 0, got ${sampleIntervalMs}`);
  }
  const gap =
    maxGapMs ?? (sampleIntervalMs === undefined ? DEFAULT_SUSTAINED_MAX_GAP_MS : 3 * sampleIntervalMs);
  if (!(gap > 0)) throw new RangeError(`maxGapMs must be a number of ms > 0, got ${gap}`);
  return gap;
}
