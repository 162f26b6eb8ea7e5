import { describe, expect, it } from 'vitest';
import type { Qualifier, Role } from '../../auth/index.js';
import { APPROVAL_POLICIES, approvalState, assertMayApprove, sameActor } from './approval-policy.js';
import { createRelease } from './create-release.js';
import { ApprovalNotAllowedError } from './errors.js';
import type { Approval, Release, ReleaseType } from './release.js';

const NOW = Date.UTC(2026, 10, 24, 10, 30);

function release(type: ReleaseType, approvals: Array<[string, Qualifier]> = []): Release {
  const { release: r } = createRelease(
    {
      name: 'shop-42',
      version: '1.4.0',
      type,
      rollouts: ['shop'],
      environments: ['dev', 'staging', 'production'],
      createdBy: 'user:carol',
    },
    { now: NOW },
  );
  r.approvals = approvals.map(
    ([actor, qualifier]): Approval => ({ actor, role: 'approver', qualifier, comment: 'ok', at: NOW }),
  );
  return r;
}

describe('APPROVAL_POLICIES', () => {
  it('should encode issue 5 exactly', () => {
    expect(APPROVAL_POLICIES).toEqual({
      standard: { required: ['manager'], waitsForWindow: false, immediate: false },
      hotfix: { required: ['manager', 'security'], waitsForWindow: false, immediate: false },
      rollback: { required: ['devops'], waitsForWindow: false, immediate: true },
      scheduled: { required: ['manager'], waitsForWindow: true, immediate: false },
    });
  });
});

describe('approvalState', () => {
  const cases: Array<{
    name: string;
    type: ReleaseType;
    approvals: Array<[string, Qualifier]>;
    satisfied: boolean;
    missing: string[];
  }> = [
    {
      name: 'standard, none',
      type: 'standard',
      approvals: [],
      satisfied: false,
      missing: ['a manager approver'],
    },
    {
      name: 'standard, manager',
      type: 'standard',
      approvals: [['user:mia', 'manager']],
      satisfied: true,
      missing: [],
    },
    {
      name: 'hotfix, none',
      type: 'hotfix',
      approvals: [],
      satisfied: false,
      missing: ['a manager approver', 'a security approver'],
    },
    {
      name: 'hotfix, manager only',
      type: 'hotfix',
      approvals: [['user:mia', 'manager']],
      satisfied: false,
      missing: ['a security approver'],
    },
    {
      name: 'hotfix, two managers',
      type: 'hotfix',
      approvals: [
        ['user:mia', 'manager'],
        ['user:max', 'manager'],
      ],
      satisfied: false,
      missing: ['a security approver'],
    },
    {
      name: 'hotfix, one person twice with two qualifiers',
      type: 'hotfix',
      approvals: [
        ['user:mia', 'manager'],
        ['User:Mia', 'security'],
      ],
      satisfied: false,
      missing: ['a security approver'],
    },
    {
      name: 'hotfix, manager and security',
      type: 'hotfix',
      approvals: [
        ['user:mia', 'manager'],
        ['user:sam', 'security'],
      ],
      satisfied: true,
      missing: [],
    },
    {
      name: 'rollback, none',
      type: 'rollback',
      approvals: [],
      satisfied: false,
      missing: ['a devops approver'],
    },
    {
      name: 'rollback, devops',
      type: 'rollback',
      approvals: [['user:dev', 'devops']],
      satisfied: true,
      missing: [],
    },
    {
      name: 'rollback, manager only',
      type: 'rollback',
      approvals: [['user:mia', 'manager']],
      satisfied: false,
      missing: ['a devops approver'],
    },
    {
      name: 'scheduled, none',
      type: 'scheduled',
      approvals: [],
      satisfied: false,
      missing: ['a manager approver'],
    },
    {
      name: 'scheduled, manager',
      type: 'scheduled',
      approvals: [['agent:release-manager', 'manager']],
      satisfied: true,
      missing: [],
    },
    {
      name: 'standard, approval recorded for the creator never counts',
      type: 'standard',
      approvals: [['user:carol', 'manager']],
      satisfied: false,
      missing: ['a manager approver'],
    },
  ];
  for (const c of cases) {
    it(`should report ${c.name}`, () => {
      const state = approvalState(release(c.type, c.approvals));
      expect(state.satisfied).toBe(c.satisfied);
      expect(state.missing).toEqual(c.missing);
    });
  }
});

describe('assertMayApprove', () => {
  const cases: Array<{
    name: string;
    type: ReleaseType;
    actor: string;
    role: Role;
    qualifier: Qualifier | null;
    refusal: string | null;
  }> = [
    {
      name: 'a manager approver',
      type: 'standard',
      actor: 'user:mia',
      role: 'approver',
      qualifier: 'manager',
      refusal: null,
    },
    {
      name: 'an admin with the qualifier',
      type: 'standard',
      actor: 'user:root',
      role: 'admin',
      qualifier: 'manager',
      refusal: null,
    },
    {
      name: 'an admin without a qualifier',
      type: 'standard',
      actor: 'user:root',
      role: 'admin',
      qualifier: null,
      refusal: 'qualifier',
    },
    {
      name: 'the creator',
      type: 'standard',
      actor: 'user:carol',
      role: 'approver',
      qualifier: 'manager',
      refusal: 'creator',
    },
    {
      name: 'the creator in other case',
      type: 'standard',
      actor: ' USER:Carol ',
      role: 'approver',
      qualifier: 'manager',
      refusal: 'creator',
    },
    {
      name: 'the creator as admin',
      type: 'standard',
      actor: 'user:carol',
      role: 'admin',
      qualifier: 'manager',
      refusal: 'creator',
    },
    {
      name: 'a viewer',
      type: 'standard',
      actor: 'user:vic',
      role: 'viewer',
      qualifier: 'manager',
      refusal: 'role',
    },
    {
      name: 'a deployer',
      type: 'standard',
      actor: 'user:dan',
      role: 'deployer',
      qualifier: 'manager',
      refusal: 'role',
    },
    {
      name: 'a devops approver on a standard release',
      type: 'standard',
      actor: 'user:dev',
      role: 'approver',
      qualifier: 'devops',
      refusal: 'qualifier',
    },
    {
      name: 'a security approver on a standard release',
      type: 'standard',
      actor: 'user:sam',
      role: 'approver',
      qualifier: 'security',
      refusal: 'qualifier',
    },
    {
      name: 'a security approver on a hotfix',
      type: 'hotfix',
      actor: 'user:sam',
      role: 'approver',
      qualifier: 'security',
      refusal: null,
    },
    {
      name: 'a manager on a rollback release',
      type: 'rollback',
      actor: 'user:mia',
      role: 'approver',
      qualifier: 'manager',
      refusal: 'qualifier',
    },
    {
      name: 'a malformed actor',
      type: 'standard',
      actor: 'mia',
      role: 'approver',
      qualifier: 'manager',
      refusal: 'actor',
    },
  ];
  for (const c of cases) {
    it(`should ${c.refusal === null ? 'accept' : `refuse (${c.refusal})`} ${c.name}`, () => {
      const r = release(c.type);
      const run = () => assertMayApprove(r, c.actor, c.role, c.qualifier);
      if (c.refusal === null) {
        expect(run()).toBe(c.qualifier);
      } else {
        const error = (() => {
          try {
            run();
          } catch (e) {
            return e;
          }
          return null;
        })();
        expect(error).toBeInstanceOf(ApprovalNotAllowedError);
        expect(error).toMatchObject({ code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED', refusal: c.refusal });
      }
    });
  }
});

describe('sameActor', () => {
  it('should compare trimmed and case-insensitively but keep kinds apart', () => {
    expect(sameActor('user:Alice', ' user:alice')).toBe(true);
    expect(sameActor('user:alice', 'agent:alice')).toBe(false);
  });
});
