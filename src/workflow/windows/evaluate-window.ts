import { Cron } from 'croner';
import {
  isLastBusinessDayOfMonth,
  isoDate,
  localTime,
  nextLocalMidnight,
  publicHoliday,
} from './calendar.js';
import type { FreezeOverride } from './override-freeze.js';
import type { WindowPolicy } from './window-policy.js';

/** An interval of time, `[start, end)`, in ms since the epoch. */
export interface WindowInterval {
  /** Inclusive, ms since the epoch. */
  readonly start: number;
  /** Exclusive, ms since the epoch. */
  readonly end: number;
}

/** Why a release may not start now. */
export const WINDOW_BLOCKERS = [
  'friday',
  'holiday',
  'last-business-day',
  'freeze',
  'outside-window',
] as const;
/** One of {@link WINDOW_BLOCKERS}. */
export type WindowBlocker = (typeof WINDOW_BLOCKERS)[number];

/** The answer of {@link evaluateWindow}. */
export interface WindowDecision {
  /** Whether a release may start at the evaluated instant. */
  readonly open: boolean;
  /** One sentence for people and the event log, e.g. `2026-05-14 is a public holiday in FR (Ascension Day)`. */
  readonly reason: string;
  /**
   * The allowed window the instant falls in, when it falls in one. When `open`, `end` is when the
   * window closes: its scheduled end or an earlier blocked day or freeze, whichever comes first.
   */
  readonly window?: WindowInterval;
  /** What blocks the release; absent when `open`. */
  readonly blockedBy?: WindowBlocker;
  /** Name of the blocking freeze, when `blockedBy` is `freeze`. */
  readonly freeze?: string;
}

/** Options of {@link evaluateWindow}. */
export interface EvaluateWindowOptions {
  /** Granted freeze overrides (from {@link overrideFreeze}); each lifts its freeze from its `at` on. @default [] */
  readonly overrides?: readonly FreezeOverride[];
}

/** Options of {@link nextWindow}. */
export interface NextWindowOptions extends EvaluateWindowOptions {
  /** How far ahead to look, in days (24 h each) after `after`. @default 60 */
  readonly horizonDays?: number;
}

/** Default look-ahead of {@link nextWindow}, in days. */
export const DEFAULT_HORIZON_DAYS = 60;

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

interface Block {
  readonly kind: Exclude<WindowBlocker, 'outside-window'>;
  readonly reason: string;
  /** First instant at which this block no longer applies, ms since the epoch. */
  readonly until: number;
  readonly freeze?: string;
}

/**
 * Decides whether a release may start at instant `at` under `policy`. Pure, deterministic.
 *
 * Open only inside an occurrence of an allowed window and not blocked. Blocks are checked in this
 * order and the first one found is reported: Friday, public holiday, last business day of the
 * month (all read as civil dates in `policy.timeZone`), a freeze not lifted by an override, and
 * finally being outside every allowed window. Rollback releases ignore windows (issue 5, §2):
 * callers do not ask.
 *
 * @param policy - a resolved policy (see resolveWindowPolicy).
 * @param at - the instant to judge, ms since the epoch (from the injected Clock).
 * @example evaluateWindow(policy, Date.parse('2026-05-12T08:30:00Z')) // { open: true, window: {...}, reason: 'open: ...' }
 */
export function evaluateWindow(
  policy: WindowPolicy,
  at: number,
  options: EvaluateWindowOptions = {},
): WindowDecision {
  const overrides = options.overrides ?? [];
  const occurrence = occurrenceAt(policy, at);
  const block = blockAt(policy, at, overrides);
  if (block !== undefined) {
    return {
      open: false,
      reason: block.reason,
      blockedBy: block.kind,
      ...(block.freeze === undefined ? {} : { freeze: block.freeze }),
      ...(occurrence === undefined ? {} : { window: occurrence }),
    };
  }
  if (occurrence === undefined) {
    const rules = policy.allowed.map((w) => `"${w.schedule}" for ${w.durationMinutes} min`).join(', ');
    return {
      open: false,
      reason: `${local(at, policy)} is outside the allowed windows (${rules}, ${policy.timeZone})`,
      blockedBy: 'outside-window',
    };
  }
  const window = { start: occurrence.start, end: closingTime(policy, at, occurrence.end, overrides) };
  return {
    open: true,
    reason: `open: inside the window ${local(occurrence.start, policy)} – ${local(occurrence.end, policy)}`,
    window,
  };
}

/**
 * The next interval in which a release may start, at or after `after`: its `start` is the first
 * such instant (`after` itself when the window is open then), its `end` when that window closes
 * (see {@link WindowDecision.window}). Blocked days and freezes are skipped. Pure, deterministic.
 * What a scheduled release waits for (issue 5, §4: "waits for the next window and says when that is").
 *
 * @param after - ms since the epoch.
 * @returns the interval, or `null` when none starts within `horizonDays` of `after`.
 * @example nextWindow(policy, clock.now()) // { start: 1778572800000, end: 1778580000000 }
 */
export function nextWindow(
  policy: WindowPolicy,
  after: number,
  options: NextWindowOptions = {},
): WindowInterval | null {
  const overrides = options.overrides ?? [];
  const horizonEnd = after + (options.horizonDays ?? DEFAULT_HORIZON_DAYS) * DAY_MS;
  let floor = after;
  // Each turn either returns or moves `floor` past a blocked day or freeze, or to the next
  // occurrence; the bound only guards against a policy that would loop.
  for (let turn = 0; turn < 100_000 && floor < horizonEnd; turn++) {
    const occurrence = firstOccurrenceFrom(policy, floor);
    if (occurrence === undefined) return null;
    const start = Math.max(occurrence.start, floor);
    if (start >= horizonEnd) return null;
    const block = blockAt(policy, start, overrides);
    if (block === undefined) return { start, end: closingTime(policy, start, occurrence.end, overrides) };
    floor = Math.max(block.until, start + 1);
  }
  return null;
}

const crons = new Map<string, Cron>();

function cronOf(schedule: string, timeZone: string): Cron {
  const key = `${timeZone}\n${schedule}`;
  let cron = crons.get(key);
  if (cron === undefined) {
    // No callback: croner computes run times only, it starts no timer.
    cron = new Cron(schedule, { timezone: timeZone, mode: '5-part' });
    crons.set(key, cron);
  }
  return cron;
}

/** The occurrence of an allowed window that contains `at` (earliest start first), if any. */
function occurrenceAt(policy: WindowPolicy, at: number): WindowInterval | undefined {
  const o = firstOccurrenceFrom(policy, at);
  return o !== undefined && o.start <= at ? o : undefined;
}

/**
 * The occurrence, over all allowed windows, that is open at `floor` or opens first after it; among
 * several open at `floor`, the one that started first.
 */
function firstOccurrenceFrom(policy: WindowPolicy, floor: number): WindowInterval | undefined {
  let best: WindowInterval | undefined;
  for (const w of policy.allowed) {
    const duration = w.durationMinutes * MINUTE_MS;
    // croner returns the first start strictly after its argument, so a start s with
    // s + duration > floor, i.e. an occurrence still open at `floor` or a later one.
    const next = cronOf(w.schedule, policy.timeZone).nextRun(new Date(floor - duration));
    if (next === null) continue;
    const start = next.getTime();
    const o = { start, end: start + duration };
    if (best === undefined || Math.max(o.start, floor) < Math.max(best.start, floor)) best = o;
    else if (Math.max(o.start, floor) === Math.max(best.start, floor) && o.end > best.end) best = o;
  }
  return best;
}

/** The first block in force at `at`, in the documented order. */
function blockAt(policy: WindowPolicy, at: number, overrides: readonly FreezeOverride[]): Block | undefined {
  const { blocked, timeZone } = policy;
  const t = localTime(at, timeZone);
  const date = isoDate(t.year, t.month, t.day);
  if (blocked.fridays && t.weekday === 5) {
    return {
      kind: 'friday',
      reason: `${date} is a Friday in ${timeZone}; Fridays are blocked`,
      until: nextLocalMidnight(at, timeZone),
    };
  }
  if (blocked.holidays !== false) {
    const name = publicHoliday(blocked.holidays, t.year, t.month, t.day);
    if (name !== undefined) {
      const where = [blocked.holidays.country, blocked.holidays.state, blocked.holidays.region]
        .filter(Boolean)
        .join('-');
      return {
        kind: 'holiday',
        reason: `${date} is a public holiday in ${where} (${name})`,
        until: nextLocalMidnight(at, timeZone),
      };
    }
  }
  if (blocked.lastBusinessDayOfMonth && isLastBusinessDayOfMonth(blocked, t.year, t.month, t.day)) {
    return {
      kind: 'last-business-day',
      reason: `${date} is the last business day of the month in ${timeZone}; it is blocked`,
      until: nextLocalMidnight(at, timeZone),
    };
  }
  for (const f of policy.freezes) {
    const from = Date.parse(f.from);
    const to = Date.parse(f.to);
    if (at < from || at >= to) continue;
    if (overrides.some((o) => o.freeze === f.name && o.at <= at)) continue;
    return {
      kind: 'freeze',
      reason: `freeze "${f.name}" (${f.from} to ${f.to}): ${f.reason}`,
      until: to,
      freeze: f.name,
    };
  }
  return undefined;
}

/**
 * When a window open at `at` closes: `end`, or the first blocked day or freeze that begins before
 * it. Blocks can only begin at a local midnight or at a freeze's `from`.
 */
function closingTime(
  policy: WindowPolicy,
  at: number,
  end: number,
  overrides: readonly FreezeOverride[],
): number {
  const changes: number[] = [];
  for (let m = nextLocalMidnight(at, policy.timeZone); m < end; m = nextLocalMidnight(m, policy.timeZone))
    changes.push(m);
  for (const f of policy.freezes) {
    const from = Date.parse(f.from);
    if (from > at && from < end) changes.push(from);
  }
  changes.sort((a, b) => a - b);
  for (const c of changes) if (blockAt(policy, c, overrides) !== undefined) return c;
  return end;
}

function local(at: number, policy: WindowPolicy): string {
  const t = localTime(at, policy.timeZone);
  const hm = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  return `${isoDate(t.year, t.month, t.day)} ${hm} ${policy.timeZone}`;
}
