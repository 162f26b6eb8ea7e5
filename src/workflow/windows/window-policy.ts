import { Cron } from 'croner';
import { WindowPolicyError, type WindowPolicyIssue } from './errors.js';
import { holidaysLibrary } from './holidays-library.js';

/**
 * A recurring allowed window: it opens at every start of `schedule` (read in the policy's time
 * zone) and stays open for `durationMinutes` of elapsed time.
 */
export interface AllowedWindow {
  /**
   * 5-field cron expression (minute hour day-of-month month day-of-week) of the window's start, as
   * croner reads it: day-of-week 0 or 7 = Sunday, names allowed (`TUE-THU`), day-of-month and
   * day-of-week combined with OR as in Vixie cron. A start that falls in a DST gap moves to the
   * first valid time after it (croner's fixed-time rule).
   * @example '0 10 * * 2-4'
   */
  readonly schedule: string;
  /** How long the window stays open, in minutes of elapsed time (1..10080). */
  readonly durationMinutes: number;
}

/** Public holidays to block, looked up in date-holidays (type `public` only). */
export interface HolidayCalendar {
  /** ISO 3166-1 alpha-2 country code, e.g. `FR`, `US`. */
  readonly country: string;
  /** Subdivision code as date-holidays names it, e.g. `NY` for `US`, `BY` for `DE`. */
  readonly state?: string;
  /** Region within `state`, as date-holidays names it. */
  readonly region?: string;
}

/** Calendar days on which no release may start, whatever the allowed windows say. */
export interface BlockedDays {
  /** Block Fridays (in the policy's time zone). @default true */
  readonly fridays: boolean;
  /** Block public holidays of this calendar, or `false` for none. @default false */
  readonly holidays: HolidayCalendar | false;
  /**
   * Block the last business day of each month: the last Monday–Friday that is not a public holiday
   * of `holidays` (only weekends when `holidays` is `false`). @default true
   */
  readonly lastBusinessDayOfMonth: boolean;
}

/** An explicit change freeze: no release starts in `[from, to)` unless an `admin` overrides it. */
export interface Freeze {
  /** Unique name within the policy; overrides refer to it. @example 'year-end' */
  readonly name: string;
  /** Start, inclusive: ISO 8601 date-time with `Z` or an offset. @example '2026-12-18T18:00:00+01:00' */
  readonly from: string;
  /** End, exclusive: ISO 8601 date-time with `Z` or an offset. @example '2027-01-04T08:00:00+01:00' */
  readonly to: string;
  /** Why the freeze exists; shown when it blocks a release. */
  readonly reason: string;
}

/**
 * A resolved deployment-window policy, as an Environment declares it under `windows`, with every
 * default filled in (see {@link resolveWindowPolicy}). Plain data: serialisable as is.
 */
export interface WindowPolicy {
  /** IANA time zone in which schedules, Fridays, holidays and month ends are read. @default 'UTC' */
  readonly timeZone: string;
  /** Recurring windows in which a release may start. @default {@link DEFAULT_ALLOWED_WINDOWS} */
  readonly allowed: readonly AllowedWindow[];
  /** Blocked days. @default {@link DEFAULT_BLOCKED_DAYS} */
  readonly blocked: BlockedDays;
  /** Explicit freezes. @default [] */
  readonly freezes: readonly Freeze[];
}

/** A window policy as written in a spec: every field optional, defaults filled by {@link resolveWindowPolicy}. */
export interface WindowPolicyInput {
  readonly timeZone?: string;
  readonly allowed?: readonly AllowedWindow[];
  readonly blocked?: Partial<BlockedDays>;
  readonly freezes?: readonly Freeze[];
}

/** Default time zone when a policy names none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** Default allowed windows: Tuesday to Thursday, 10:00–12:00 in the policy's time zone (issue 5, §4). */
export const DEFAULT_ALLOWED_WINDOWS: readonly AllowedWindow[] = [
  { schedule: '0 10 * * 2-4', durationMinutes: 120 },
];

/**
 * Default blocked days: Fridays and the last business day of the month (issue 5, §4). Holidays
 * need a country, so they are off until `blocked.holidays` names one.
 */
export const DEFAULT_BLOCKED_DAYS: BlockedDays = {
  fridays: true,
  holidays: false,
  lastBusinessDayOfMonth: true,
};

/** Longest allowed window, in minutes (one week). */
const MAX_DURATION_MINUTES = 7 * 24 * 60;

// An ISO 8601 date-time with an explicit offset, so a freeze means the same instant everywhere.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Validates a window policy as written in a spec and fills in the defaults. Pure; throws.
 *
 * @param input - the `windows` value of an Environment (`undefined` means all defaults).
 * @param path - field path of `input`, used in error messages. @default 'windows'
 * @returns the resolved policy.
 * @throws {@link WindowPolicyError} (`CUTOVER_E_WINDOW_POLICY_INVALID`) listing every problem with
 *   its field path, e.g. `windows.allowed[0].schedule: expected a 5-field cron expression, got "bad"`.
 * @example resolveWindowPolicy({ timeZone: 'Europe/Paris', blocked: { holidays: { country: 'FR' } } })
 */
export function resolveWindowPolicy(input: unknown, path = 'windows'): WindowPolicy {
  const issues: WindowPolicyIssue[] = [];
  const issue = (p: string, message: string): void => {
    issues.push({ path: p, message });
  };
  if (input === undefined) input = {};
  if (!isRecord(input))
    throw new WindowPolicyError([{ path, message: `expected an object, got ${show(input)}` }]);

  let timeZone = DEFAULT_TIME_ZONE;
  if (input['timeZone'] !== undefined) {
    const tz = input['timeZone'];
    const canonical = typeof tz === 'string' ? canonicalTimeZone(tz) : undefined;
    if (canonical !== undefined) timeZone = canonical;
    else issue(`${path}.timeZone`, `expected an IANA time zone name (e.g. Europe/Paris), got ${show(tz)}`);
  }

  let allowed: AllowedWindow[] = [...DEFAULT_ALLOWED_WINDOWS];
  const allowedIn = input['allowed'];
  if (allowedIn !== undefined) {
    if (!Array.isArray(allowedIn) || allowedIn.length === 0) {
      issue(
        `${path}.allowed`,
        `expected a non-empty list of {schedule, durationMinutes}, got ${show(allowedIn)}`,
      );
    } else {
      allowed = [];
      allowedIn.forEach((w: unknown, i) => {
        const p = `${path}.allowed[${i}]`;
        if (!isRecord(w)) {
          issue(p, `expected {schedule, durationMinutes}, got ${show(w)}`);
          return;
        }
        const { schedule, durationMinutes } = w;
        const cronProblem = typeof schedule === 'string' ? checkCron(schedule) : 'not a string';
        if (cronProblem !== undefined) {
          issue(
            `${p}.schedule`,
            `expected a 5-field cron expression, got ${show(schedule)} (${cronProblem})`,
          );
        }
        const durationOk =
          typeof durationMinutes === 'number' &&
          Number.isInteger(durationMinutes) &&
          durationMinutes >= 1 &&
          durationMinutes <= MAX_DURATION_MINUTES;
        if (!durationOk) {
          issue(
            `${p}.durationMinutes`,
            `expected an integer 1..${MAX_DURATION_MINUTES}, got ${show(durationMinutes)}`,
          );
        }
        if (cronProblem === undefined && durationOk) {
          allowed.push({ schedule: schedule as string, durationMinutes: durationMinutes as number });
        }
      });
    }
  }

  const blocked = resolveBlocked(input['blocked'], `${path}.blocked`, issue);
  const freezes = resolveFreezes(input['freezes'], `${path}.freezes`, issue);

  if (issues.length > 0) throw new WindowPolicyError(issues);
  return { timeZone, allowed, blocked, freezes };
}

function resolveBlocked(value: unknown, path: string, issue: (p: string, m: string) => void): BlockedDays {
  if (value === undefined) return DEFAULT_BLOCKED_DAYS;
  if (!isRecord(value)) {
    issue(path, `expected {fridays, holidays, lastBusinessDayOfMonth}, got ${show(value)}`);
    return DEFAULT_BLOCKED_DAYS;
  }
  const flag = (key: 'fridays' | 'lastBusinessDayOfMonth'): boolean => {
    const v = value[key];
    if (v === undefined) return DEFAULT_BLOCKED_DAYS[key];
    if (typeof v !== 'boolean') issue(`${path}.${key}`, `expected true or false, got ${show(v)}`);
    return v === true;
  };
  const fridays = flag('fridays');
  const lastBusinessDayOfMonth = flag('lastBusinessDayOfMonth');
  let holidays: HolidayCalendar | false = DEFAULT_BLOCKED_DAYS.holidays;
  const h = value['holidays'];
  if (h === false) holidays = false;
  else if (h !== undefined) {
    const resolved = isRecord(h) ? checkHolidayCalendar(h, `${path}.holidays`, issue) : undefined;
    if (!isRecord(h))
      issue(`${path}.holidays`, `expected {country, state?, region?} or false, got ${show(h)}`);
    if (resolved !== undefined) holidays = resolved;
  }
  return { fridays, holidays, lastBusinessDayOfMonth };
}

function checkHolidayCalendar(
  h: Record<string, unknown>,
  path: string,
  issue: (p: string, m: string) => void,
): HolidayCalendar | undefined {
  const { country, state, region } = h;
  const Holidays = holidaysLibrary();
  const hd = new Holidays();
  if (typeof country !== 'string' || hd.getCountries()[country.toUpperCase()] === undefined) {
    issue(
      `${path}.country`,
      `expected a country code known to date-holidays (e.g. FR, US), got ${show(country)}`,
    );
    return undefined;
  }
  const c = country.toUpperCase();
  if (state === undefined) return { country: c };
  const states = hd.getStates(c) ?? {};
  if (typeof state !== 'string' || states[state.toUpperCase()] === undefined) {
    const known = Object.keys(states);
    const hint =
      known.length > 0
        ? `one of ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''}`
        : 'none';
    issue(`${path}.state`, `expected a state of ${c} (${hint}), got ${show(state)}`);
    return undefined;
  }
  const s = state.toUpperCase();
  if (region === undefined) return { country: c, state: s };
  const regions = hd.getRegions(c, s) ?? {};
  if (typeof region !== 'string' || regions[region.toUpperCase()] === undefined) {
    issue(`${path}.region`, `expected a region of ${c}-${s}, got ${show(region)}`);
    return undefined;
  }
  return { country: c, state: s, region: region.toUpperCase() };
}

function resolveFreezes(value: unknown, path: string, issue: (p: string, m: string) => void): Freeze[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    issue(path, `expected a list of {name, from, to, reason}, got ${show(value)}`);
    return [];
  }
  const freezes: Freeze[] = [];
  const names = new Set<string>();
  value.forEach((f: unknown, i) => {
    const p = `${path}[${i}]`;
    if (!isRecord(f)) {
      issue(p, `expected {name, from, to, reason}, got ${show(f)}`);
      return;
    }
    const { name, from, to, reason } = f;
    let ok = true;
    if (typeof name !== 'string' || name.trim() === '') {
      issue(`${p}.name`, `expected a non-empty string, got ${show(name)}`);
      ok = false;
    } else if (names.has(name)) {
      issue(`${p}.name`, `expected a unique name, got ${show(name)} a second time`);
      ok = false;
    } else names.add(name);
    for (const [key, v] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (typeof v !== 'string' || !ISO_WITH_OFFSET.test(v) || Number.isNaN(Date.parse(v))) {
        issue(
          `${p}.${key}`,
          `expected an ISO 8601 date-time with Z or an offset (e.g. 2026-12-18T18:00:00+01:00), got ${show(v)}`,
        );
        ok = false;
      }
    }
    if (ok && Date.parse(to as string) <= Date.parse(from as string)) {
      issue(`${p}.to`, `expected a time after from (${from as string}), got ${show(to)}`);
      ok = false;
    }
    if (typeof reason !== 'string' || reason.trim() === '') {
      issue(`${p}.reason`, `expected a non-empty string, got ${show(reason)}`);
      ok = false;
    }
    if (ok)
      freezes.push({
        name: name as string,
        from: from as string,
        to: to as string,
        reason: reason as string,
      });
  });
  return freezes;
}

/** `undefined` when croner accepts `pattern` as a 5-field expression, else croner's complaint. */
function checkCron(pattern: string): string | undefined {
  try {
    // No callback: croner only parses, it schedules nothing.
    new Cron(pattern, { mode: '5-part' });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e);
  }
}

/** The IANA name as Intl spells it (`europe/paris` -> `Europe/Paris`), or `undefined` when unknown. */
function canonicalTimeZone(tz: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
