import { describe, expect, it } from 'vitest';
import { WindowPolicyError } from './errors.js';
import { DEFAULT_ALLOWED_WINDOWS, resolveWindowPolicy } from './window-policy.js';

function issuesOf(input: unknown): string[] {
  try {
    resolveWindowPolicy(input);
  } catch (e) {
    expect(e).toBeInstanceOf(WindowPolicyError);
    const err = e as WindowPolicyError;
    expect(err.code).toBe('CUTOVER_E_WINDOW_POLICY_INVALID');
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the policy to be rejected');
}

describe('resolveWindowPolicy', () => {
  it('should fill in the defaults of issue 5: Tue–Thu 10:00–12:00, Fridays and month ends blocked', () => {
    expect(resolveWindowPolicy(undefined)).toEqual({
      timeZone: 'UTC',
      allowed: [{ schedule: '0 10 * * 2-4', durationMinutes: 120 }],
      blocked: { fridays: true, holidays: false, lastBusinessDayOfMonth: true },
      freezes: [],
    });
    expect(resolveWindowPolicy({ timeZone: 'Europe/Paris' }).allowed).toEqual(DEFAULT_ALLOWED_WINDOWS);
  });

  it('should keep a holiday calendar with state and region, upper-cased', () => {
    const p = resolveWindowPolicy({ blocked: { holidays: { country: 'de', state: 'by' } } });
    expect(p.blocked).toEqual({
      fridays: true,
      holidays: { country: 'DE', state: 'BY' },
      lastBusinessDayOfMonth: true,
    });
  });

  it('should reject an invalid cron expression with its field path', () => {
    const issues = issuesOf({
      allowed: [
        { schedule: '0 25 * * *', durationMinutes: 60 },
        { schedule: 'bad', durationMinutes: 60 },
      ],
    });
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(
      /^windows\.allowed\[0\]\.schedule: expected a 5-field cron expression, got "0 25 \* \* \*"/,
    );
    expect(issues[1]).toMatch(
      /^windows\.allowed\[1\]\.schedule: expected a 5-field cron expression, got "bad"/,
    );
  });

  it('should reject a 6-field (seconds) cron expression', () => {
    expect(issuesOf({ allowed: [{ schedule: '0 0 10 * * 2', durationMinutes: 60 }] })[0]).toMatch(
      /^windows\.allowed\[0\]\.schedule: expected a 5-field cron expression/,
    );
  });

  it('should spell a time zone as IANA does', () => {
    expect(resolveWindowPolicy({ timeZone: 'america/new_york' }).timeZone).toBe('America/New_York');
  });

  it('should reject an unknown time zone', () => {
    expect(issuesOf({ timeZone: 'Mars/Olympus' })).toEqual([
      'windows.timeZone: expected an IANA time zone name (e.g. Europe/Paris), got "Mars/Olympus"',
    ]);
  });

  it('should report every problem in one pass', () => {
    const issues = issuesOf({
      timeZone: 42,
      allowed: [{ schedule: '0 10 * * 2', durationMinutes: 0 }],
      blocked: { fridays: 'yes', holidays: { country: 'XX' } },
      freezes: [
        { name: 'a', from: '2026-12-20', to: '2026-12-21T00:00:00Z', reason: 'r' },
        { name: 'a', from: '2026-12-21T00:00:00Z', to: '2026-12-20T00:00:00Z', reason: ' ' },
      ],
    });
    expect(issues.map((i) => i.split(':')[0])).toEqual([
      'windows.timeZone',
      'windows.allowed[0].durationMinutes',
      'windows.blocked.fridays',
      'windows.blocked.holidays.country',
      'windows.freezes[0].from',
      'windows.freezes[1].name',
      'windows.freezes[1].reason',
    ]);
  });

  it('should reject a freeze that ends before it starts and a freeze without an offset', () => {
    const issues = issuesOf({
      freezes: [
        { name: 'a', from: '2026-12-21T00:00:00Z', to: '2026-12-20T00:00:00Z', reason: 'r' },
        { name: 'b', from: '2026-12-21T00:00:00', to: '2026-12-22T00:00:00Z', reason: 'r' },
      ],
    });
    expect(issues[0]).toBe(
      'windows.freezes[0].to: expected a time after from (2026-12-21T00:00:00Z), got "2026-12-20T00:00:00Z"',
    );
    expect(issues[1]).toMatch(
      /^windows\.freezes\[1\]\.from: expected an ISO 8601 date-time with Z or an offset/,
    );
  });

  it('should reject an unknown state and an empty allowed list', () => {
    expect(issuesOf({ allowed: [], blocked: { holidays: { country: 'US', state: 'ZZ' } } })).toEqual([
      expect.stringMatching(/^windows\.allowed: expected a non-empty list/),
      expect.stringMatching(/^windows\.blocked\.holidays\.state: expected a state of US \(one of /),
    ]);
  });

  it('should name the given path', () => {
    expect(() => resolveWindowPolicy({ timeZone: 'Nowhere' }, 'spec.environments[2].windows')).toThrow(
      /^spec\.environments\[2\]\.windows\.timeZone: /,
    );
  });
});
