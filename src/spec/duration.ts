/**
 * Durations as Argo Rollouts writes them: an integer number of seconds (`pause: {duration: 30}`),
 * or a string of one or more `<number><unit>` parts, largest unit first (`500ms`, `30s`, `5m`, `1h`,
 * `1m30s`), as Go's `time.ParseDuration` accepts for the units cutover supports.
 */
import { DurationError } from './errors.js';
import type { DurationValue } from './types.js';

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

/**
 * A duration string: `h`, `m`, `s`, `ms` parts in that order, each at most once, each a
 * non-negative decimal number (`1.5m` as Go allows), or a bare integer meaning seconds (as Argo
 * reads a string `pause.duration` such as `"30"`).
 */
const DURATION_PATTERN =
  /^(?:(?<h>\d+(?:\.\d+)?)h)?(?:(?<m>\d+(?:\.\d+)?)m(?!s))?(?:(?<s>\d+(?:\.\d+)?)s)?(?:(?<ms>\d+(?:\.\d+)?)ms)?$/;
const SECONDS_PATTERN = /^\d+$/;

/** How a duration is described in error messages and in the spec reference. */
export const DURATION_EXPECTED =
  'a duration: an integer number of seconds or a string such as 500ms, 30s, 5m, 1h, 1m30s';

/**
 * Converts a duration to milliseconds.
 *
 * Pure. A number is an integer count of **seconds** (as Argo Rollouts' `pause.duration`); a string is
 * `<n>ms`, `<n>s`, `<n>m`, `<n>h` or a compound of them largest unit first (`1h30m`, `1m30s`), or a
 * bare integer string meaning seconds. Fractions (`1.5s`) are accepted as Go does and rounded to
 * the nearest millisecond.
 *
 * @returns milliseconds, a non-negative integer
 * @throws DurationError (`CUTOVER_E_SPEC_DURATION`) for a negative or fractional number of seconds,
 *   an empty string, an unknown unit, or units out of order
 * @example durationToMs(30) // 30_000
 * @example durationToMs('1m30s') // 90_000
 * @example durationToMs('500ms') // 500
 */
export function durationToMs(value: DurationValue): number {
  const ms = tryDurationToMs(value);
  if (ms === undefined) {
    throw new DurationError(
      value,
      `invalid duration ${JSON.stringify(value)}: expected ${DURATION_EXPECTED}`,
    );
  }
  return ms;
}

/**
 * Whether `value` is a valid duration for {@link durationToMs} (which then does not throw). Pure.
 *
 * @example isDuration('1m30s') // true
 * @example isDuration('30 s') // false
 */
export function isDuration(value: unknown): value is DurationValue {
  return tryDurationToMs(value) !== undefined;
}

/**
 * Formats milliseconds as a compact duration string that {@link durationToMs} reads back, largest
 * unit first and zero parts left out (`90_000` → `1m30s`, `500` → `500ms`, `0` → `0s`). Pure.
 *
 * @param ms - milliseconds; fractions are rounded to the nearest millisecond
 * @throws DurationError (`CUTOVER_E_SPEC_DURATION`) for a negative or non-finite number
 * @example formatDuration(3_723_000) // '1h2m3s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new DurationError(ms, `cannot format ${ms} ms as a duration: expected a finite number >= 0`);
  }
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let text = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text;
}

function tryDurationToMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value * 1_000 : undefined;
  }
  if (typeof value !== 'string' || value === '') return undefined;
  if (SECONDS_PATTERN.test(value)) return Number(value) * 1_000;
  const groups = DURATION_PATTERN.exec(value)?.groups;
  if (groups === undefined) return undefined;
  let total = 0;
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const part = groups[unit];
    if (part !== undefined) total += Number(part) * UNIT_MS[unit];
  }
  return Number.isSafeInteger(Math.round(total)) ? Math.round(total) : undefined;
}
