import { describe, expect, it } from 'vitest';
import { FreezeOverrideError } from './errors.js';
import { overrideFreeze } from './override-freeze.js';
import { resolveWindowPolicy } from './window-policy.js';

const policy = resolveWindowPolicy({
  freezes: [
    { name: 'year-end', from: '2026-12-18T18:00:00+01:00', to: '2027-01-04T08:00:00+01:00', reason: 'peak' },
  ],
});
const at = Date.parse('2026-12-22T09:00:00Z');

function refusal(fn: () => unknown): FreezeOverrideError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FreezeOverrideError);
    return e as FreezeOverrideError;
  }
  throw new Error('expected the override to be refused');
}

describe('overrideFreeze', () => {
  it('should grant an admin with a reason and return the record to store', () => {
    expect(
      overrideFreeze(policy, 'year-end', {
        actor: 'alice',
        role: 'admin',
        reason: '  hotfix for outage  ',
        at,
      }),
    ).toEqual({
      freeze: 'year-end',
      actor: 'alice',
      role: 'admin',
      reason: 'hotfix for outage',
      at,
    });
  });

  it('should refuse a role other than admin', () => {
    for (const role of ['manager', 'deployer', 'devops', 'Admin']) {
      const e = refusal(() =>
        overrideFreeze(policy, 'year-end', { actor: 'bob', role, reason: 'urgent', at }),
      );
      expect(e.code).toBe('CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN');
      expect(e).toMatchObject({ freeze: 'year-end', actor: 'bob', role, retryable: false });
    }
  });

  it('should refuse an admin without a reason', () => {
    for (const reason of ['', '   ']) {
      const e = refusal(() =>
        overrideFreeze(policy, 'year-end', { actor: 'alice', role: 'admin', reason, at }),
      );
      expect(e.code).toBe('CUTOVER_E_WINDOW_OVERRIDE_REASON');
    }
  });

  it('should refuse an unknown freeze', () => {
    const e = refusal(() =>
      overrideFreeze(policy, 'summer', { actor: 'alice', role: 'admin', reason: 'x', at }),
    );
    expect(e.code).toBe('CUTOVER_E_WINDOW_FREEZE_UNKNOWN');
    expect(e.message).toContain('year-end');
  });
});
