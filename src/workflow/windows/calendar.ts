import type Holidays from 'date-holidays';
import { holidaysLibrary } from './holidays-library.js';
import type { BlockedDays, HolidayCalendar } from './window-policy.js';

/** A civil date and time of day in some time zone. */
export interface LocalTime {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  /** 1..31 */
  readonly day: number;
  /** 0 = Sunday .. 6 = Saturday */
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The civil date and time of instant `at` (ms since the epoch) in IANA time zone `timeZone`. */
export function localTime(at: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const year = parts['year'] ?? 0;
  const month = parts['month'] ?? 1;
  const day = parts['day'] ?? 1;
  return {
    year,
    month,
    day,
    weekday: weekdayOf(year, month, day),
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

/** Day of the week of a civil date: 0 = Sunday .. 6 = Saturday. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/**
 * The first instant after `at` at which the civil date in `timeZone` changes (local midnight, or
 * the first valid time of the day when midnight falls in a DST gap).
 */
export function nextLocalMidnight(at: number, timeZone: string): number {
  const t = localTime(at, timeZone);
  const sameDate = (x: number): boolean => {
    const l = localTime(x, timeZone);
    return l.day === t.day && l.month === t.month && l.year === t.year;
  };
  // A civil day lasts at most 25 hours (DST), so the date has changed 26 hours later; bisect to the ms.
  let lo = at;
  let hi = at + 26 * 3_600_000;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (sameDate(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}

const calendars = new Map<string, Holidays>();
const publicDays = new Map<string, ReadonlyMap<string, string>>();

/**
 * The name of the public holiday (date-holidays type `public`) of `calendar` on the civil date, or
 * `undefined` when it is not one.
 */
export function publicHoliday(
  calendar: HolidayCalendar,
  year: number,
  month: number,
  day: number,
): string | undefined {
  const key = [calendar.country, calendar.state ?? '', calendar.region ?? ''].join('/');
  let days = publicDays.get(`${key}@${year}`);
  if (days === undefined) {
    let hd = calendars.get(key);
    if (hd === undefined) {
      const Library = holidaysLibrary();
      hd = new Library(calendar.country, calendar.state ?? '', calendar.region ?? '', { types: ['public'] });
      calendars.set(key, hd);
    }
    // `date` is the holiday's civil date in the country, `YYYY-MM-DD hh:mm:ss`; compare civil dates
    // so the answer does not depend on the host's time zone.
    days = new Map(
      hd
        .getHolidays(year, 'en')
        .filter((h) => h.type === 'public')
        .map((h) => [h.date.slice(0, 10), h.name]),
    );
    publicDays.set(`${key}@${year}`, days);
  }
  return days.get(isoDate(year, month, day));
}

/** Whether the civil date is a business day: Monday–Friday and not a public holiday of `blocked.holidays`. */
function isBusinessDay(blocked: BlockedDays, year: number, month: number, day: number): boolean {
  const wd = weekdayOf(year, month, day);
  if (wd === 0 || wd === 6) return false;
  return blocked.holidays === false || publicHoliday(blocked.holidays, year, month, day) === undefined;
}

/** Whether the civil date is the last business day of its month (see {@link isBusinessDay}). */
export function isLastBusinessDayOfMonth(
  blocked: BlockedDays,
  year: number,
  month: number,
  day: number,
): boolean {
  if (!isBusinessDay(blocked, year, month, day)) return false;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  for (let d = day + 1; d <= lastDay; d++) if (isBusinessDay(blocked, year, month, d)) return false;
  return true;
}

export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
