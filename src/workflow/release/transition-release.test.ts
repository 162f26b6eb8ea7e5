import { describe, expect, it } from 'vitest';
import type { Qualifier, Role } from '../../auth/index.js';
import { createRelease } from './create-release.js';
import type { Effect } from './effect.js';
import { ReleaseValidationError } from './errors.js';
import type { Release, ReleaseStage, ReleaseStatus, ReleaseType, RollbackType } from './release.js';
import { releaseEffects } from './release-effects.js';
import type { ReleaseContext, ReleaseEvent } from './release-event.js';
import { releasePlan } from './release-plan.js';
import {
  type ReleaseTransition,
  transitionRelease,
  WORKFLOW_ACTOR,
  windowTime,
} from './transition-release.js';

const NOW = Date.UTC(2026, 10, 24, 10, 30);
const CTX: ReleaseContext = { now: NOW, windowOpen: true };

function create(
  type: ReleaseType,
  createdBy = 'user:carol',
  environments = ['dev', 'staging', 'production'],
) {
  return createRelease(
    { name: 'shop-42', version: '1.4.0', type, rollouts: ['shop'], environments, createdBy },
    { now: NOW },
  ).release;
}

function approve(actor: string, qualifier: Qualifier | null, role: Role = 'approver'): ReleaseEvent {
  return { type: 'approve', actor, role, qualifier, comment: 'looks good' };
}

/** Succeeds every running stage until the release waits (APPROVE) or ends. */
function drive(release: Release, ctx: ReleaseContext = CTX, until?: ReleaseStage): Release {
  let r = release;
  while (r.status === 'RUNNING' && r.stage !== 'ROLLBACK' && r.stage !== until) {
    r = transitionRelease(
      r,
      { type: 'stageSucceeded', stage: r.stage, environment: r.environment },
      ctx,
    ).release;
  }
  return r;
}

function approved(type: ReleaseType, ctx: ReleaseContext = CTX): Release {
  const qualifiers: Record<ReleaseType, Array<[string, Qualifier]>> = {
    standard: [['user:mia', 'manager']],
    hotfix: [
      ['user:mia', 'manager'],
      ['user:sam', 'security'],
    ],
    rollback: [['user:dev', 'devops']],
    scheduled: [['user:mia', 'manager']],
  };
  let r = drive(create(type), ctx);
  for (const [actor, q] of qualifiers[type]) r = transitionRelease(r, approve(actor, q), ctx).release;
  return r;
}

function inMonitor(): Release {
  return drive(approved('standard'), CTX, 'MONITOR');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Asserts the event is refused with `code` and the release is exactly as it was. */
function expectRefused(release: Release, event: ReleaseEvent, code: string, ctx: ReleaseContext = CTX): void {
  const before = structuredClone(release);
  let error: unknown = null;
  try {
    transitionRelease(deepFreeze(release), event, ctx);
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code });
  expect(release).toEqual(before);
}

function results(r: Release): string[] {
  return r.stageResults.map((s) => `${s.stage}@${s.environment}:${s.result}`);
}

function effectTypes(t: ReleaseTransition): string[] {
  return t.effects.map((e) => (e.type === 'notify' ? `notify:${e.kind}` : e.type));
}

describe('releasePlan', () => {
  it('should run STAGING in each pre-production environment and the rest in the target', () => {
    expect(releasePlan({ type: 'standard', environments: ['dev', 'staging', 'production'] })).toEqual([
      { stage: 'PREPARE', environment: 'dev' },
      { stage: 'STAGING', environment: 'dev' },
      { stage: 'STAGING', environment: 'staging' },
      { stage: 'VALIDATE', environment: 'staging' },
      { stage: 'APPROVE', environment: 'production' },
      { stage: 'DEPLOY', environment: 'production' },
      { stage: 'MONITOR', environment: 'production' },
    ]);
  });

  it('should skip STAGING and VALIDATE for a rollback release and without pre-production', () => {
    const skipped = (type: ReleaseType, envs: string[]) =>
      releasePlan({ type, environments: envs })
        .filter((s) => s.skip !== undefined)
        .map((s) => `${s.stage}@${s.environment}`);
    expect(skipped('rollback', ['dev', 'staging', 'production'])).toEqual([
      'STAGING@dev',
      'STAGING@staging',
      'VALIDATE@staging',
    ]);
    expect(skipped('standard', ['production'])).toEqual(['STAGING@production', 'VALIDATE@production']);
    expect(skipped('hotfix', ['dev', 'production'])).toEqual([]);
  });
});

describe('transitionRelease', () => {
  it('should carry a standard release from PREPARE to SUCCESS through every stage', () => {
    const created = createRelease(
      {
        name: 'shop-42',
        version: '1.4.0',
        type: 'standard',
        rollouts: ['shop'],
        environments: ['dev', 'staging', 'production'],
        createdBy: 'user:carol',
      },
      { now: NOW },
    );
    expect(created.effects).toEqual([
      { type: 'runStage', release: 'shop-42', stage: 'PREPARE', environment: 'dev' },
    ]);
    let r = created.release;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = transitionRelease(r, { type: 'stageSucceeded', stage: r.stage, report: { step: i } }, CTX);
      r = t.release;
      seen.push(...effectTypes(t).map((e) => `${e}:${r.stage}@${r.environment}`));
    }
    expect(seen).toEqual([
      'runStage:STAGING@dev',
      'runStage:STAGING@staging',
      'runStage:VALIDATE@staging',
      'notify:approvalRequested:APPROVE@production',
    ]);
    expect(r.status).toBe('WAITING_APPROVAL');
    const a = transitionRelease(r, approve('user:mia', 'manager'), CTX);
    expect(a.effects).toEqual([
      { type: 'runStage', release: 'shop-42', stage: 'DEPLOY', environment: 'production' },
    ]);
    expect(a.release.approvals).toEqual([
      { actor: 'user:mia', role: 'approver', qualifier: 'manager', comment: 'looks good', at: NOW },
    ]);
    const m = transitionRelease(a.release, { type: 'stageSucceeded', stage: 'DEPLOY' }, CTX);
    expect(m.release.stage).toBe('MONITOR');
    const done = transitionRelease(m.release, { type: 'stageSucceeded', stage: 'MONITOR' }, CTX);
    expect(done.release.status).toBe('SUCCESS');
    expect(effectTypes(done)).toEqual(['notify:releaseSucceeded']);
    expect(results(done.release)).toEqual([
      'PREPARE@dev:Success',
      'STAGING@dev:Success',
      'STAGING@staging:Success',
      'VALIDATE@staging:Success',
      'APPROVE@production:Success',
      'DEPLOY@production:Success',
      'MONITOR@production:Success',
    ]);
    expect(done.release.stageResults[0]?.report).toEqual({ step: 0 });
    // Every change is in the history with its reason (invariant 3).
    expect(done.release.history.map((h) => h.reason)).toContain('ReleaseApproved');
    expect(done.release.history.at(-1)).toMatchObject({
      event: 'stageSucceeded',
      to: { stage: 'MONITOR', status: 'SUCCESS' },
      reason: 'ReleaseSucceeded',
    });
  });

  it('should not mutate the release it is given', () => {
    const r = deepFreeze(drive(create('standard')));
    const t = transitionRelease(r, approve('user:mia', 'manager'), CTX);
    expect(r.approvals).toEqual([]);
    expect(t.release.approvals).toHaveLength(1);
  });

  describe('approval policy per type', () => {
    const cases: Array<{
      type: ReleaseType;
      ctx: ReleaseContext;
      approvals: Array<[string, Qualifier, Role?]>;
      after: Array<{ stage: ReleaseStage; status: ReleaseStatus; effects: string[]; missing?: string[] }>;
    }> = [
      {
        type: 'standard',
        ctx: CTX,
        approvals: [['user:mia', 'manager']],
        after: [{ stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] }],
      },
      {
        type: 'standard',
        ctx: CTX,
        approvals: [['user:root', 'manager', 'admin']],
        after: [{ stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] }],
      },
      {
        type: 'hotfix',
        ctx: CTX,
        approvals: [
          ['user:mia', 'manager'],
          ['user:sam', 'security'],
        ],
        after: [
          { stage: 'APPROVE', status: 'WAITING_APPROVAL', effects: [], missing: ['a security approver'] },
          { stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] },
        ],
      },
      {
        type: 'hotfix',
        ctx: CTX,
        approvals: [
          ['user:sam', 'security'],
          ['agent:release-manager', 'manager'],
        ],
        after: [
          { stage: 'APPROVE', status: 'WAITING_APPROVAL', effects: [], missing: ['a manager approver'] },
          { stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] },
        ],
      },
      {
        type: 'hotfix',
        ctx: CTX,
        approvals: [
          ['user:mia', 'manager'],
          ['user:max', 'manager'],
        ],
        after: [
          { stage: 'APPROVE', status: 'WAITING_APPROVAL', effects: [], missing: ['a security approver'] },
          { stage: 'APPROVE', status: 'WAITING_APPROVAL', effects: [], missing: ['a security approver'] },
        ],
      },
      {
        // Immediate and ignores windows: a closed window does not hold it.
        type: 'rollback',
        ctx: { now: NOW, windowOpen: false, nextWindowAt: NOW + 86_400_000 },
        approvals: [['user:dev', 'devops']],
        after: [{ stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] }],
      },
      {
        type: 'scheduled',
        ctx: { now: NOW, windowOpen: false, nextWindowAt: NOW + 3_600_000 },
        approvals: [['user:mia', 'manager']],
        after: [
          {
            stage: 'DEPLOY',
            status: 'WAITING_WINDOW',
            effects: ['waitForWindow', 'notify:waitingForWindow'],
          },
        ],
      },
      {
        // Unknown window state counts as closed.
        type: 'scheduled',
        ctx: { now: NOW },
        approvals: [['user:mia', 'manager']],
        after: [
          {
            stage: 'DEPLOY',
            status: 'WAITING_WINDOW',
            effects: ['waitForWindow', 'notify:waitingForWindow'],
          },
        ],
      },
      {
        type: 'scheduled',
        ctx: { now: NOW, windowOpen: true },
        approvals: [['user:mia', 'manager']],
        after: [{ stage: 'DEPLOY', status: 'RUNNING', effects: ['runStage'] }],
      },
    ];
    for (const c of cases) {
      const who = c.approvals.map(([a, q, role]) => `${a} (${role ?? 'approver'}, ${q})`).join(' then ');
      it(`should move a ${c.type} release approved by ${who} (window ${String(c.ctx.windowOpen)})`, () => {
        let r = drive(create(c.type), c.ctx);
        expect(r).toMatchObject({ stage: 'APPROVE', status: 'WAITING_APPROVAL' });
        c.approvals.forEach(([actor, q, role], i) => {
          const t = transitionRelease(r, approve(actor, q, role), c.ctx);
          r = t.release;
          const expected = c.after[i];
          expect({ stage: r.stage, status: r.status, effects: effectTypes(t) }).toEqual({
            stage: expected?.stage,
            status: expected?.status,
            effects: expected?.effects,
          });
        });
        const last = c.after.at(-1);
        if (last?.missing !== undefined) {
          expect(transitionRelease(r, { type: 'tick', now: NOW }, c.ctx).release).toBe(r);
        }
      });
    }
  });

  describe('who may approve', () => {
    const refusals: Array<{ name: string; createdBy: string; event: ReleaseEvent; code: string }> = [
      {
        name: 'the user who created it',
        createdBy: 'user:carol',
        event: approve('user:carol', 'manager'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'the creator as admin',
        createdBy: 'user:carol',
        event: approve('user:carol', 'manager', 'admin'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'the agent that created it',
        createdBy: 'agent:release-manager',
        event: approve('agent:release-manager', 'manager'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'the creator spelled differently',
        createdBy: 'user:carol',
        event: approve('User:CAROL', 'manager'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'a viewer',
        createdBy: 'user:carol',
        event: approve('user:vic', 'manager', 'viewer'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'a deployer',
        createdBy: 'user:carol',
        event: approve('user:dan', 'manager', 'deployer'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'a devops approver on a standard release',
        createdBy: 'user:carol',
        event: approve('user:dev', 'devops'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'an approver without a qualifier',
        createdBy: 'user:carol',
        event: approve('user:mia', null),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
      {
        name: 'an admin without a qualifier',
        createdBy: 'user:carol',
        event: approve('user:root', null, 'admin'),
        code: 'CUTOVER_E_APPROVAL_NOT_ALLOWED',
      },
    ];
    for (const c of refusals) {
      it(`should refuse ${c.name} and change nothing`, () => {
        expectRefused(drive(create('standard', c.createdBy)), c.event, c.code);
      });
    }

    it('should refuse the creator of a hotfix even when the other approval is there', () => {
      let r = drive(create('hotfix', 'user:carol'));
      r = transitionRelease(r, approve('user:mia', 'manager'), CTX).release;
      expectRefused(r, approve('user:carol', 'security'), 'CUTOVER_E_APPROVAL_NOT_ALLOWED');
    });

    it('should count the same person approving twice once and change nothing', () => {
      const r = transitionRelease(drive(create('hotfix')), approve('user:mia', 'manager'), CTX).release;
      const again = transitionRelease(r, approve('user:mia', 'manager'), CTX);
      expect(again.release).toBe(r);
      expect(again.effects).toEqual([]);
      // The same person cannot cover the second qualifier either.
      const other = transitionRelease(r, approve('USER:mia', 'security'), CTX);
      expect(other.release.approvals).toHaveLength(1);
      expect(other.release.status).toBe('WAITING_APPROVAL');
    });
  });

  describe('rejection', () => {
    it('should end the release as REJECTED with the later stages NotExecuted', () => {
      const r = transitionRelease(drive(create('hotfix')), approve('user:mia', 'manager'), CTX).release;
      const t = transitionRelease(
        r,
        {
          type: 'reject',
          actor: 'user:sam',
          role: 'approver',
          qualifier: 'security',
          comment: 'CVE not fixed',
        },
        CTX,
      );
      expect(t.release.status).toBe('REJECTED');
      expect(t.release.rejections).toEqual([
        { actor: 'user:sam', role: 'approver', qualifier: 'security', comment: 'CVE not fixed', at: NOW },
      ]);
      expect(results(t.release).slice(4)).toEqual([
        'APPROVE@production:Error',
        'DEPLOY@production:NotExecuted',
        'MONITOR@production:NotExecuted',
      ]);
      expect(effectTypes(t)).toEqual(['notify:releaseRejected']);
      expectRefused(t.release, approve('user:max', 'security'), 'CUTOVER_E_RELEASE_TRANSITION');
    });

    it('should let a release waiting for its window be rejected', () => {
      const r = approved('scheduled', { now: NOW, windowOpen: false });
      const t = transitionRelease(
        r,
        { type: 'reject', actor: 'user:max', role: 'admin', qualifier: null, comment: 'freeze' },
        CTX,
      );
      expect(t.release.status).toBe('REJECTED');
      expect(results(t.release).slice(-2)).toEqual([
        'DEPLOY@production:NotExecuted',
        'MONITOR@production:NotExecuted',
      ]);
    });

    it('should refuse a rejection by a viewer or a deployer', () => {
      for (const role of ['viewer', 'deployer'] as const) {
        expectRefused(
          drive(create('standard')),
          { type: 'reject', actor: 'user:x', role, qualifier: null, comment: 'no' },
          'CUTOVER_E_APPROVAL_NOT_ALLOWED',
        );
      }
    });
  });

  describe('cancel', () => {
    it('should stop the running stage and mark it and the rest NotExecuted', () => {
      const r = drive(create('standard'), CTX, 'VALIDATE');
      const t = transitionRelease(r, { type: 'cancel', actor: 'user:carol', reason: 'wrong build' }, CTX);
      expect(t.release.status).toBe('CANCELLED');
      expect(t.effects[0]).toEqual({
        type: 'stopStage',
        release: 'shop-42',
        stage: 'VALIDATE',
        environment: 'staging',
      });
      expect(results(t.release)).toEqual([
        'PREPARE@dev:Success',
        'STAGING@dev:Success',
        'STAGING@staging:Success',
        'VALIDATE@staging:NotExecuted',
        'APPROVE@production:NotExecuted',
        'DEPLOY@production:NotExecuted',
        'MONITOR@production:NotExecuted',
      ]);
      expect(t.release.stageResults[3]?.reason).toBe('cancelled by user:carol: wrong build');
    });

    it('should cancel a release waiting for approval or for its window, without stopStage', () => {
      for (const r of [drive(create('standard')), approved('scheduled', { now: NOW, windowOpen: false })]) {
        const t = transitionRelease(r, { type: 'cancel', actor: 'user:carol' }, CTX);
        expect(t.release.status).toBe('CANCELLED');
        expect(effectTypes(t)).toEqual(['notify:releaseCancelled']);
      }
    });

    it('should refuse to cancel a release that reached DEPLOY or MONITOR', () => {
      expectRefused(
        approved('standard'),
        { type: 'cancel', actor: 'user:carol' },
        'CUTOVER_E_RELEASE_TRANSITION',
      );
      expectRefused(inMonitor(), { type: 'cancel', actor: 'user:carol' }, 'CUTOVER_E_RELEASE_TRANSITION');
    });
  });

  describe('stage failure', () => {
    const cases: Array<{ stage: ReleaseStage; environment: string; notExecuted: number }> = [
      { stage: 'PREPARE', environment: 'dev', notExecuted: 6 },
      { stage: 'STAGING', environment: 'staging', notExecuted: 4 },
      { stage: 'VALIDATE', environment: 'staging', notExecuted: 3 },
      { stage: 'DEPLOY', environment: 'production', notExecuted: 1 },
    ];
    for (const c of cases) {
      it(`should stop the flow when ${c.stage} in ${c.environment} fails`, () => {
        let r = c.stage === 'DEPLOY' ? approved('standard') : create('standard');
        while (!(r.stage === c.stage && r.environment === c.environment)) {
          r = transitionRelease(r, { type: 'stageSucceeded', stage: r.stage }, CTX).release;
        }
        const t = transitionRelease(
          r,
          { type: 'stageFailed', stage: c.stage, reason: 'dependency db down' },
          CTX,
        );
        expect(t.release.status).toBe('FAILED');
        expect(t.effects.filter((e) => e.type === 'runStage')).toEqual([]);
        expect(effectTypes(t)).toEqual(['notify:releaseFailed']);
        const failed = t.release.stageResults.find((s) => s.result === 'Error');
        expect(failed).toMatchObject({
          stage: c.stage,
          environment: c.environment,
          reason: 'dependency db down',
        });
        expect(t.release.stageResults.filter((s) => s.result === 'NotExecuted')).toHaveLength(c.notExecuted);
        expect(t.release.stageResults.at(-1)?.stage).toBe('MONITOR');
        expectRefused(t.release, { type: 'stageSucceeded', stage: c.stage }, 'CUTOVER_E_RELEASE_TRANSITION');
      });
    }

    it('should roll back (traffic) when MONITOR fails', () => {
      const t = transitionRelease(
        inMonitor(),
        { type: 'stageFailed', stage: 'MONITOR', reason: 'smoke test failed' },
        CTX,
      );
      expect(t.release).toMatchObject({ stage: 'ROLLBACK', status: 'RUNNING' });
      expect(t.release.rollback).toMatchObject({ type: 'traffic', actor: WORKFLOW_ACTOR });
      expect(t.effects[0]).toEqual({
        type: 'startRollback',
        release: 'shop-42',
        rollbackType: 'traffic',
        environment: 'production',
      });
      expect(results(t.release).at(-1)).toBe('MONITOR@production:Error');
    });
  });

  describe('rollback release', () => {
    it('should skip STAGING and VALIDATE and go straight to DEPLOY after the devops approval, ignoring the window', () => {
      const closed: ReleaseContext = { now: NOW, windowOpen: false, nextWindowAt: NOW + 86_400_000 };
      const prepared = transitionRelease(
        create('rollback'),
        { type: 'stageSucceeded', stage: 'PREPARE' },
        closed,
      );
      expect(prepared.release).toMatchObject({ stage: 'APPROVE', status: 'WAITING_APPROVAL' });
      expect(results(prepared.release)).toEqual([
        'PREPARE@dev:Success',
        'STAGING@dev:NotExecuted',
        'STAGING@staging:NotExecuted',
        'VALIDATE@staging:NotExecuted',
      ]);
      const t = transitionRelease(prepared.release, approve('user:dev', 'devops'), closed);
      expect(t.effects).toEqual([
        { type: 'runStage', release: 'shop-42', stage: 'DEPLOY', environment: 'production' },
      ]);
    });
  });

  describe('scheduled release', () => {
    const closed: ReleaseContext = { now: NOW, windowOpen: false, nextWindowAt: NOW + 3_600_000 };

    it('should wait for its window and deploy on windowOpened', () => {
      const r = approved('scheduled', closed);
      expect(r).toMatchObject({ stage: 'DEPLOY', status: 'WAITING_WINDOW', waitingUntil: NOW + 3_600_000 });
      expect(releaseEffects(r)).toEqual([
        { type: 'waitForWindow', release: 'shop-42', until: NOW + 3_600_000 },
      ]);
      // Ticks while the window is closed change nothing.
      const tick = transitionRelease(
        r,
        { type: 'tick', now: NOW + 60_000 },
        { ...closed, now: NOW + 60_000 },
      );
      expect(tick.release).toBe(r);
      expect(tick.events).toEqual([]);
      expectRefused(r, { type: 'stageSucceeded', stage: 'DEPLOY' }, 'CUTOVER_E_RELEASE_TRANSITION');
      const open = transitionRelease(r, { type: 'windowOpened' }, { now: NOW + 3_600_000, windowOpen: true });
      expect(open.release).toMatchObject({ stage: 'DEPLOY', status: 'RUNNING', waitingUntil: null });
      expect(open.effects).toEqual([
        { type: 'runStage', release: 'shop-42', stage: 'DEPLOY', environment: 'production' },
      ]);
    });

    it('should deploy on the first tick that finds the window open', () => {
      const r = approved('scheduled', closed);
      const later = NOW + 3_600_000;
      const t = transitionRelease(r, { type: 'tick', now: later }, { now: later, windowOpen: true });
      expect(t.release.status).toBe('RUNNING');
      expect(t.release.history.at(-1)?.at).toBe(later);
      expect(effectTypes(t)).toEqual(['runStage']);
    });

    it('should recompute the wait when a freeze applied since moves the next window (G)', () => {
      const r = approved('scheduled', { ...closed, timeZone: 'Europe/Paris' });
      expect(r.history.at(-1)?.message).toContain('(');
      const frozenUntil = NOW + 5 * 86_400_000;
      const t = transitionRelease(
        r,
        { type: 'tick', now: NOW + 1000 },
        { now: NOW + 1000, windowOpen: false, nextWindowAt: frozenUntil, timeZone: 'Europe/Paris' },
      );
      expect(t.release.waitingUntil).toBe(frozenUntil);
      expect(t.release.history.at(-1)).toMatchObject({ reason: 'WindowRescheduled' });
      expect(t.release.history.at(-1)?.message).toContain(new Date(frozenUntil).toISOString());
      expect(t.release.history.at(-1)?.message).toContain('Europe/Paris');
      expect(effectTypes(t)).toEqual(['waitForWindow']);
    });

    it("should record the freeze override's reason when it opens the window (G)", () => {
      const r = approved('scheduled', closed);
      const note = 'freeze year-end overridden by user:ada: payment outage fix';
      const t = transitionRelease(
        r,
        { type: 'tick', now: NOW + 1000 },
        { now: NOW + 1000, windowOpen: true, overrides: [note] },
      );
      expect(t.release.history.at(-1)).toMatchObject({ reason: 'StageStarted' });
      expect(t.release.history.map((h) => h.message)).toContainEqual(expect.stringContaining(note));
    });
  });

  describe('windowTime', () => {
    it('should show UTC and the local time of the time zone', () => {
      const at = Date.UTC(2026, 11, 24, 8, 0);
      expect(windowTime(at, 'Europe/Paris')).toBe(
        '2026-12-24T08:00:00.000Z (09:00 Europe/Paris, Thu 24 Dec)',
      );
      expect(windowTime(at, 'UTC')).toBe('2026-12-24T08:00:00.000Z');
      expect(windowTime(at, undefined)).toBe('2026-12-24T08:00:00.000Z');
    });
  });

  describe('rollbackRequested', () => {
    const types: RollbackType[] = ['traffic', 'database', 'full'];
    for (const type of types) {
      it(`should start a ${type} rollback from MONITOR`, () => {
        const t = transitionRelease(
          inMonitor(),
          {
            type: 'rollbackRequested',
            rollbackType: type,
            reason: 'error rate 7% for 2 min',
            actor: 'agent:rollback-coordinator',
          },
          CTX,
        );
        expect(t.release).toMatchObject({
          stage: 'ROLLBACK',
          status: 'RUNNING',
          rollback: { type, reason: 'error rate 7% for 2 min', actor: 'agent:rollback-coordinator', at: NOW },
        });
        const expected: Effect = {
          type: 'startRollback',
          release: 'shop-42',
          rollbackType: type,
          environment: 'production',
        };
        expect(t.effects[0]).toEqual(expected);
        expect(releaseEffects(t.release)).toEqual([expected]);
        expect(results(t.release).at(-1)).toBe('MONITOR@production:Error');
        expectRefused(
          t.release,
          { type: 'rollbackRequested', rollbackType: 'full', reason: 'again', actor: 'user:ops' },
          'CUTOVER_E_RELEASE_TRANSITION',
        );
        const done = transitionRelease(t.release, { type: 'stageSucceeded', stage: 'ROLLBACK' }, CTX);
        expect(done.release.status).toBe('ROLLED_BACK');
        expect(effectTypes(done)).toEqual(['notify:releaseRolledBack']);
      });
    }

    it('should start a rollback from DEPLOY and mark MONITOR NotExecuted', () => {
      const t = transitionRelease(
        approved('standard'),
        {
          type: 'rollbackRequested',
          rollbackType: 'database',
          reason: 'migration broke the schema',
          actor: 'user:ops',
        },
        CTX,
      );
      expect(results(t.release).slice(-2)).toEqual([
        'DEPLOY@production:Error',
        'MONITOR@production:NotExecuted',
      ]);
    });

    it('should escalate when the rollback itself fails', () => {
      const r = transitionRelease(
        inMonitor(),
        { type: 'rollbackRequested', rollbackType: 'traffic', reason: 'manual', actor: 'user:ops' },
        CTX,
      ).release;
      const t = transitionRelease(
        r,
        { type: 'stageFailed', stage: 'ROLLBACK', reason: 'previous revision does not start' },
        CTX,
      );
      expect(t.release.status).toBe('FAILED');
      expect(effectTypes(t)).toEqual(['notify:escalation']);
    });
  });

  describe('invalid transitions', () => {
    const rollback: ReleaseEvent = {
      type: 'rollbackRequested',
      rollbackType: 'traffic',
      reason: 'x',
      actor: 'user:ops',
    };
    const cases: Array<{ name: string; release: () => Release; event: ReleaseEvent }> = [
      {
        name: 'approve in PREPARE',
        release: () => create('standard'),
        event: approve('user:mia', 'manager'),
      },
      {
        name: 'approve in DEPLOY',
        release: () => approved('standard'),
        event: approve('user:max', 'manager'),
      },
      {
        name: 'success of another stage',
        release: () => create('standard'),
        event: { type: 'stageSucceeded', stage: 'STAGING' },
      },
      {
        name: 'success in another environment',
        release: () => drive(create('standard'), CTX, 'VALIDATE'),
        event: { type: 'stageSucceeded', stage: 'VALIDATE', environment: 'dev' },
      },
      {
        name: 'success while waiting for approval',
        release: () => drive(create('standard')),
        event: { type: 'stageSucceeded', stage: 'APPROVE' },
      },
      {
        name: 'failure while waiting for approval',
        release: () => drive(create('standard')),
        event: { type: 'stageFailed', stage: 'APPROVE', reason: 'x' },
      },
      {
        name: 'windowOpened while running',
        release: () => create('scheduled'),
        event: { type: 'windowOpened' },
      },
      {
        name: 'windowOpened while waiting for approval',
        release: () => drive(create('scheduled')),
        event: { type: 'windowOpened' },
      },
      {
        name: 'rollback in STAGING',
        release: () => drive(create('standard'), CTX, 'STAGING'),
        event: rollback,
      },
      {
        name: 'rollback while waiting for approval',
        release: () => drive(create('standard')),
        event: rollback,
      },
      {
        name: 'reject while running',
        release: () => create('standard'),
        event: { type: 'reject', actor: 'user:mia', role: 'approver', qualifier: 'manager', comment: 'no' },
      },
      {
        name: 'a rollback after ROLLED_BACK',
        release: () => {
          const shipped = drive(approved('standard'));
          const rolling = transitionRelease(shipped, rollback, CTX).release;
          return transitionRelease(
            rolling,
            { type: 'stageSucceeded', stage: 'ROLLBACK', environment: rolling.environment },
            CTX,
          ).release;
        },
        event: rollback,
      },
      {
        name: 'a rollback after SUCCESS to itself',
        release: () => drive(approved('standard')),
        event: { ...rollback, toRelease: 'shop-42' },
      },
      {
        name: 'cancel after SUCCESS',
        release: () => drive(approved('standard')),
        event: { type: 'cancel', actor: 'user:carol' },
      },
    ];
    for (const c of cases) {
      it(`should refuse ${c.name} and change nothing`, () => {
        expectRefused(c.release(), c.event, 'CUTOVER_E_RELEASE_TRANSITION');
      });
    }

    it('should roll a release back after SUCCESS, to an earlier release, interrupting nothing', () => {
      const shipped = drive(approved('standard'));
      expect(shipped.status).toBe('SUCCESS');
      const { release, effects } = transitionRelease(shipped, { ...rollback, toRelease: 'shop-41' }, CTX);
      expect(release).toMatchObject({ stage: 'ROLLBACK', status: 'RUNNING' });
      expect(release.rollback?.toRelease).toBe('shop-41');
      expect(release.stageResults.filter((r) => r.result === 'Error')).toEqual([]);
      expect(effects.map((e) => e.type)).toContain('startRollback');
    });

    it('should let tick through on an ended release without changing it', () => {
      const r = drive(approved('standard'));
      expect(r.status).toBe('SUCCESS');
      expect(transitionRelease(r, { type: 'tick', now: NOW }, CTX).release).toBe(r);
    });
  });
});

describe('createRelease', () => {
  const base = {
    name: 'shop-42',
    version: '1.4.0',
    type: 'standard' as const,
    rollouts: ['shop'],
    environments: ['dev', 'staging', 'production'],
    createdBy: 'user:carol',
  };
  const cases: Array<{ name: string; patch: Record<string, unknown>; path: string }> = [
    { name: 'a bad name', patch: { name: 'Shop 42' }, path: 'name' },
    { name: 'an empty version', patch: { version: ' ' }, path: 'version' },
    { name: 'an unknown type', patch: { type: 'emergency' }, path: 'type' },
    { name: 'no rollouts', patch: { rollouts: [] }, path: 'rollouts' },
    { name: 'a duplicate environment', patch: { environments: ['dev', 'dev'] }, path: 'environments[1]' },
    { name: 'a creator that is not an actor', patch: { createdBy: 'carol' }, path: 'createdBy' },
  ];
  for (const c of cases) {
    it(`should refuse ${c.name}, naming ${c.path}`, () => {
      const options = { ...base, ...c.patch } as typeof base;
      expect(() => createRelease(options, { now: NOW })).toThrow(ReleaseValidationError);
      expect(() => createRelease(options, { now: NOW })).toThrow(
        expect.objectContaining({ path: c.path, code: 'CUTOVER_E_RELEASE_INVALID' }),
      );
    });
  }

  it('should resume a running release with the same runStage effect', () => {
    const r = drive(create('standard'), CTX, 'VALIDATE');
    expect(releaseEffects(r)).toEqual([
      { type: 'runStage', release: 'shop-42', stage: 'VALIDATE', environment: 'staging' },
    ]);
    expect(releaseEffects(drive(r))).toEqual([]);
  });
});
