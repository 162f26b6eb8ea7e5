import { describe, expect, it } from 'vitest';
import { evaluateWindow, nextWindow } from './evaluate-window.js';
import { overrideFreeze } from './override-freeze.js';
import { resolveWindowPolicy } from './window-policy.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

// Europe/Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST); New York UTC-5 (EST) / UTC-4 (EDT).
const paris = resolveWindowPolicy({ timeZone: 'Europe/Paris', blocked: { holidays: { country: 'FR' } } });
const newYork = resolveWindowPolicy({
  timeZone: 'America/New_York',
  blocked: { holidays: { country: 'US' } },
});

describe('evaluateWindow', () => {
  it('should be open inside the default Tue–Thu 10:00–12:00 window in Europe/Paris', () => {
    // Tuesday 2026-05-12 10:30 CEST
    const d = evaluateWindow(paris, at('2026-05-12T08:30:00Z'));
    expect(d.open).toBe(true);
    expect(d.blockedBy).toBeUndefined();
    expect(iso(d.window?.start)).toBe('2026-05-12T08:00:00.000Z');
    expect(iso(d.window?.end)).toBe('2026-05-12T10:00:00.000Z');
  });

  it('should open at 10:00 sharp and close at 12:00 sharp (end exclusive)', () => {
    expect(evaluateWindow(paris, at('2026-05-12T08:00:00Z')).open).toBe(true);
    expect(evaluateWindow(paris, at('2026-05-12T07:59:59.999Z')).open).toBe(false);
    expect(evaluateWindow(paris, at('2026-05-12T09:59:59.999Z')).open).toBe(true);
    const closed = evaluateWindow(paris, at('2026-05-12T10:00:00Z'));
    expect(closed).toMatchObject({ open: false, blockedBy: 'outside-window' });
    expect(closed.reason).toContain('2026-05-12 12:00 Europe/Paris is outside the allowed windows');
  });

  it('should be closed on a Monday and on a Wednesday afternoon', () => {
    expect(evaluateWindow(paris, at('2026-05-11T08:30:00Z')).blockedBy).toBe('outside-window');
    expect(evaluateWindow(paris, at('2026-05-13T12:00:00Z')).blockedBy).toBe('outside-window');
  });

  it('should read the window in America/New_York', () => {
    // Tuesday 2026-05-12 10:30 EDT = 14:30Z; the same instant is 16:30 in Paris.
    expect(evaluateWindow(newYork, at('2026-05-12T14:30:00Z')).open).toBe(true);
    expect(evaluateWindow(paris, at('2026-05-12T14:30:00Z')).open).toBe(false);
    // 08:30Z is 10:30 in Paris but 04:30 in New York.
    expect(evaluateWindow(newYork, at('2026-05-12T08:30:00Z')).blockedBy).toBe('outside-window');
  });

  it('should keep 10:00 local across a DST change (America/New_York, 2026-03-08)', () => {
    // Tue 2026-03-03 10:00 EST = 15:00Z; Tue 2026-03-10 10:00 EDT = 14:00Z.
    expect(evaluateWindow(newYork, at('2026-03-03T15:00:00Z')).open).toBe(true);
    expect(evaluateWindow(newYork, at('2026-03-03T14:30:00Z')).open).toBe(false);
    expect(evaluateWindow(newYork, at('2026-03-10T14:30:00Z')).open).toBe(true);
    expect(evaluateWindow(newYork, at('2026-03-10T16:00:00Z')).open).toBe(false);
  });

  it('should keep 10:00 local across a DST change (Europe/Paris, 2026-03-29)', () => {
    // Tue 2026-03-24 11:30 CET = 10:30Z is open; Wed 2026-04-01 10:30Z is 12:30 CEST, closed.
    expect(evaluateWindow(paris, at('2026-03-24T10:30:00Z')).open).toBe(true);
    expect(evaluateWindow(paris, at('2026-04-01T10:30:00Z')).open).toBe(false);
    expect(evaluateWindow(paris, at('2026-04-01T08:00:00Z')).open).toBe(true);
  });

  it('should block Fridays even inside an allowed window', () => {
    const everyWeekday = resolveWindowPolicy({
      timeZone: 'Europe/Paris',
      allowed: [{ schedule: '0 10 * * MON-FRI', durationMinutes: 120 }],
    });
    // Friday 2026-05-08 10:30 CEST
    const d = evaluateWindow(everyWeekday, at('2026-05-08T08:30:00Z'));
    expect(d).toMatchObject({ open: false, blockedBy: 'friday' });
    expect(d.window).toBeDefined();
    expect(d.reason).toBe('2026-05-08 is a Friday in Europe/Paris; Fridays are blocked');
    const fridaysAllowed = resolveWindowPolicy({
      ...everyWeekday,
      blocked: { ...everyWeekday.blocked, fridays: false },
    });
    expect(evaluateWindow(fridaysAllowed, at('2026-05-08T08:30:00Z')).open).toBe(true);
  });

  it('should block a French public holiday (Ascension, Thursday 2026-05-14)', () => {
    const d = evaluateWindow(paris, at('2026-05-14T08:30:00Z'));
    expect(d).toMatchObject({ open: false, blockedBy: 'holiday' });
    expect(d.reason).toContain('2026-05-14 is a public holiday in FR');
    // The day before is an ordinary Wednesday.
    expect(evaluateWindow(paris, at('2026-05-13T08:30:00Z')).open).toBe(true);
    // Without a holiday calendar the same Thursday is open.
    const noHolidays = resolveWindowPolicy({ timeZone: 'Europe/Paris', blocked: { holidays: false } });
    expect(evaluateWindow(noHolidays, at('2026-05-14T08:30:00Z')).open).toBe(true);
  });

  it('should block the last business day of the month (Thursday 2026-04-30)', () => {
    const d = evaluateWindow(paris, at('2026-04-30T08:30:00Z'));
    expect(d).toMatchObject({ open: false, blockedBy: 'last-business-day' });
    expect(evaluateWindow(paris, at('2026-04-29T08:30:00Z')).open).toBe(true);
  });

  it('should block the Friday before a month that ends on a weekend (2026-05-31 is a Sunday)', () => {
    const weekdays = resolveWindowPolicy({
      timeZone: 'Europe/Paris',
      allowed: [{ schedule: '0 10 * * 1-5', durationMinutes: 120 }],
      blocked: { fridays: false },
    });
    expect(evaluateWindow(weekdays, at('2026-05-29T08:30:00Z'))).toMatchObject({
      open: false,
      blockedBy: 'last-business-day',
    });
    expect(evaluateWindow(weekdays, at('2026-05-28T08:30:00Z')).open).toBe(true);
  });

  it('should skip public holidays when finding the last business day (US, 2026-12-31 is a Thursday)', () => {
    const weekdays = resolveWindowPolicy({
      timeZone: 'America/New_York',
      allowed: [{ schedule: '0 10 * * 1-5', durationMinutes: 120 }],
      blocked: { fridays: false, holidays: { country: 'US' } },
    });
    // July 2027 ends on Saturday 31; Friday 2027-07-30 is the last business day.
    expect(evaluateWindow(weekdays, at('2027-07-30T14:30:00Z')).blockedBy).toBe('last-business-day');
    // December 2027: Friday 31 is New Year's Day observed (public in date-holidays' US calendar) and Christmas
    // is observed on Friday 24, so the last business day is Thursday 2027-12-30.
    const dec31 = evaluateWindow(weekdays, at('2027-12-31T15:30:00Z'));
    const dec30 = evaluateWindow(weekdays, at('2027-12-30T15:30:00Z'));
    expect([dec31.blockedBy, dec30.blockedBy]).toEqual(['holiday', 'last-business-day']);
  });

  describe('freezes', () => {
    const frozen = resolveWindowPolicy({
      timeZone: 'Europe/Paris',
      blocked: { holidays: { country: 'FR' } },
      freezes: [
        {
          name: 'year-end',
          from: '2026-12-18T18:00:00+01:00',
          to: '2027-01-04T08:00:00+01:00',
          reason: 'year-end traffic',
        },
      ],
    });
    // Tuesday 2026-12-22 10:30 CET
    const inFreeze = at('2026-12-22T09:30:00Z');

    it('should block a release during a freeze and name it', () => {
      const d = evaluateWindow(frozen, inFreeze);
      expect(d).toMatchObject({ open: false, blockedBy: 'freeze', freeze: 'year-end' });
      expect(d.reason).toContain('year-end traffic');
      expect(evaluateWindow(frozen, at('2026-12-15T09:30:00Z')).open).toBe(true);
    });

    it('should be lifted by an admin override with a reason, from the override on', () => {
      const override = overrideFreeze(frozen, 'year-end', {
        actor: 'alice',
        role: 'admin',
        reason: 'security fix for CVE-2026-0001',
        at: at('2026-12-22T09:00:00Z'),
      });
      expect(evaluateWindow(frozen, inFreeze, { overrides: [override] }).open).toBe(true);
      // Not before it was given.
      expect(evaluateWindow(frozen, at('2026-12-17T09:30:00Z')).open).toBe(true);
      const early = evaluateWindow(frozen, at('2026-12-22T09:00:00Z') - 1, { overrides: [override] });
      expect(early.blockedBy).toBe('freeze');
    });

    it('should not let a freeze override lift a holiday, a Friday or the last business day', () => {
      const override = overrideFreeze(frozen, 'year-end', {
        actor: 'alice',
        role: 'admin',
        reason: 'fix',
        at: 0,
      });
      const overrides = [override];
      // Thursday 2026-12-31 is the last business day of December.
      expect(evaluateWindow(frozen, at('2026-12-31T09:30:00Z'), { overrides }).blockedBy).toBe(
        'last-business-day',
      );
      // Friday 2027-01-01 is both a Friday and New Year's Day.
      expect(evaluateWindow(frozen, at('2027-01-01T09:30:00Z'), { overrides }).blockedBy).toBe('friday');
      // Thursday 2026-12-24 is open under the override (not a public holiday in France).
      expect(evaluateWindow(frozen, at('2026-12-24T09:30:00Z'), { overrides }).open).toBe(true);
    });

    it('should close an open window when a freeze begins inside it', () => {
      const midWindow = resolveWindowPolicy({
        timeZone: 'Europe/Paris',
        freezes: [
          {
            name: 'db-migration',
            from: '2026-05-12T11:00:00+02:00',
            to: '2026-05-12T18:00:00+02:00',
            reason: 'DB',
          },
        ],
      });
      const d = evaluateWindow(midWindow, at('2026-05-12T08:30:00Z'));
      expect(d.open).toBe(true);
      expect(iso(d.window?.end)).toBe('2026-05-12T09:00:00.000Z');
      expect(evaluateWindow(midWindow, at('2026-05-12T09:00:00Z')).blockedBy).toBe('freeze');
    });

    it('should find the first window after the freeze, skipping the last business day and New Year', () => {
      // From Friday 2026-12-18 13:00 CET: frozen until Monday 2027-01-04 08:00; Tuesday 2027-01-05 10:00 CET.
      const w = nextWindow(frozen, at('2026-12-18T12:00:00Z'));
      expect(iso(w?.start)).toBe('2027-01-05T09:00:00.000Z');
      expect(iso(w?.end)).toBe('2027-01-05T11:00:00.000Z');
    });
  });
});

describe('nextWindow', () => {
  it('should return the current window from now when it is open', () => {
    const w = nextWindow(paris, at('2026-05-12T08:30:00Z'));
    expect(iso(w?.start)).toBe('2026-05-12T08:30:00.000Z');
    expect(iso(w?.end)).toBe('2026-05-12T10:00:00.000Z');
  });

  it('should skip the Ascension holiday and the Friday after it (Europe/Paris)', () => {
    // From Wednesday 2026-05-13 14:00 CEST: Thu 14 is Ascension, Fri 15 blocked, Mon 18 not allowed.
    const w = nextWindow(paris, at('2026-05-13T12:00:00Z'));
    expect(iso(w?.start)).toBe('2026-05-19T08:00:00.000Z');
    expect(iso(w?.end)).toBe('2026-05-19T10:00:00.000Z');
  });

  it('should skip the Thanksgiving week (America/New_York)', () => {
    // From Wednesday 2026-11-25 13:00 EST: Thu 26 Thanksgiving, Fri 27 blocked, Mon 30 not allowed;
    // Tuesday 2026-12-01 10:00 EST = 15:00Z.
    const w = nextWindow(newYork, at('2026-11-25T18:00:00Z'));
    expect(iso(w?.start)).toBe('2026-12-01T15:00:00.000Z');
  });

  it('should land on 10:00 local after a DST change (America/New_York, 2026-03-08)', () => {
    // From Thursday 2026-03-05 12:00 EST (17:00Z): next is Tuesday 2026-03-10 10:00 EDT = 14:00Z.
    expect(iso(nextWindow(newYork, at('2026-03-05T17:00:00Z'))?.start)).toBe('2026-03-10T14:00:00.000Z');
  });

  it('should move a start that falls in a DST gap to the first valid time (Europe/Paris, 2026-03-29)', () => {
    const nightly = resolveWindowPolicy({
      timeZone: 'Europe/Paris',
      allowed: [{ schedule: '30 2 * * *', durationMinutes: 60 }],
      blocked: { fridays: false, lastBusinessDayOfMonth: false },
    });
    // 02:30 does not exist on Sunday 2026-03-29 (02:00 CET -> 03:00 CEST = 01:00Z).
    const w = nextWindow(nightly, at('2026-03-29T00:00:00Z'));
    expect(iso(w?.start)).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(w?.end)).toBe('2026-03-29T02:00:00.000Z');
  });

  it('should return null when no window opens within the horizon', () => {
    const longFreeze = resolveWindowPolicy({
      timeZone: 'UTC',
      freezes: [
        { name: 'q3', from: '2026-07-01T00:00:00Z', to: '2026-10-01T00:00:00Z', reason: 'migration' },
      ],
    });
    expect(nextWindow(longFreeze, at('2026-07-01T00:00:00Z'))).toBeNull();
    expect(iso(nextWindow(longFreeze, at('2026-07-01T00:00:00Z'), { horizonDays: 100 })?.start)).toBe(
      '2026-10-01T10:00:00.000Z',
    );
  });

  it('should give a window that evaluateWindow finds open, at every 7th hour of 2026', () => {
    let t = at('2026-01-01T00:00:00Z');
    const end = at('2027-01-01T00:00:00Z');
    for (; t < end; t += 3_600_000 * 7) {
      const w = nextWindow(paris, t);
      expect(w).not.toBeNull();
      if (w === null) return;
      expect(w.start).toBeGreaterThanOrEqual(t);
      expect(evaluateWindow(paris, w.start).open).toBe(true);
      expect(evaluateWindow(paris, w.end - 1).open).toBe(true);
      if (w.start > t) expect(evaluateWindow(paris, w.start - 1).open).toBe(false);
    }
  });
});
