import {
  APPROVAL_POLICIES,
  approvalState,
  assertMayApprove,
  assertMayReject,
  hasApproved,
} from './approval-policy.js';
import type { Effect, NotificationKind } from './effect.js';
import { ReleaseTransitionError } from './errors.js';
import {
  isTerminalStatus,
  type Release,
  type ReleaseStage,
  type ReleaseStatus,
  type RollbackType,
} from './release.js';
import type { ReleaseContext, ReleaseEvent } from './release-event.js';
import { type PlanStep, releasePlan } from './release-plan.js';

/** An event of the release's log: every change has one, with a reason (invariant 3). */
export interface ReleaseLogEvent {
  /** `Normal` or `Warning`, as Kubernetes events. */
  type: 'Normal' | 'Warning';
  /** e.g. `StageSucceeded`, `ApprovalRecorded`, `ReleaseRejected`. */
  reason: string;
  message: string;
}

/** What `transitionRelease` decided. */
export interface ReleaseTransition {
  release: Release;
  /** What the executor must do next; each effect is idempotent. */
  effects: Effect[];
  events: ReleaseLogEvent[];
}

/** Actor of the workflow's own decisions (a failed MONITOR starting a rollback). */
export const WORKFLOW_ACTOR = 'agent:release-workflow';

/** Stages that may still be cancelled: nothing has reached the target yet. */
const CANCELLABLE_STAGES: readonly ReleaseStage[] = ['PREPARE', 'STAGING', 'VALIDATE', 'APPROVE'];

/** A transition being built on a copy of the release. */
class Draft {
  readonly release: Release;
  readonly effects: Effect[] = [];
  readonly events: ReleaseLogEvent[] = [];
  private readonly plan: PlanStep[];
  private readonly from: { stage: ReleaseStage; status: ReleaseStatus };

  constructor(
    original: Release,
    private readonly eventType: string,
    private readonly actor: string | undefined,
    readonly now: number,
    readonly ctx: ReleaseContext,
  ) {
    this.release = structuredClone(original);
    this.plan = releasePlan(original);
    this.from = { stage: original.stage, status: original.status };
  }

  emit(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  notify(kind: NotificationKind, message: string): void {
    this.effects.push({ type: 'notify', release: this.release.name, kind, message });
  }

  /** Index of the current step in the plan; -1 in ROLLBACK. */
  currentIndex(): number {
    const r = this.release;
    return this.plan.findIndex((s) => s.stage === r.stage && s.environment === r.environment);
  }

  record(
    step: { stage: ReleaseStage; environment: string },
    result: 'Success' | 'Error' | 'NotExecuted',
    reason?: string,
    report?: unknown,
  ): void {
    this.release.stageResults.push({
      stage: step.stage,
      environment: step.environment,
      result,
      ...(reason === undefined ? {} : { reason }),
      ...(report === undefined ? {} : { report }),
      at: this.now,
    });
  }

  /** Records every step after `index` as NotExecuted. */
  skipRest(index: number, reason: string): void {
    for (const step of this.plan.slice(index + 1)) this.record(step, 'NotExecuted', reason);
  }

  /** Moves to the first step after `index` that runs, recording skipped ones; SUCCESS at the end. */
  advance(index: number): void {
    const r = this.release;
    for (let i = index + 1; i < this.plan.length; i++) {
      const step = this.plan[i];
      if (step === undefined) break;
      if (step.skip !== undefined) {
        this.record(step, 'NotExecuted', step.skip);
        this.emit('Normal', 'StageSkipped', `${step.stage} in ${step.environment} ${step.skip}`);
        continue;
      }
      r.stage = step.stage;
      r.environment = step.environment;
      if (step.stage === 'APPROVE') {
        r.status = 'WAITING_APPROVAL';
        const missing = approvalState(r).missing.join(' and ');
        this.emit('Normal', 'ApprovalRequested', `${r.name} ${r.version} needs ${missing}`);
        this.notify('approvalRequested', `${r.type} release ${r.name} ${r.version} needs ${missing}`);
      } else {
        r.status = 'RUNNING';
        this.emit('Normal', 'StageStarted', `${step.stage} in ${step.environment}`);
        this.effects.push({
          type: 'runStage',
          release: r.name,
          stage: step.stage,
          environment: step.environment,
        });
      }
      return;
    }
    r.status = 'SUCCESS';
    this.emit('Normal', 'ReleaseSucceeded', `${r.name} ${r.version} is live in ${r.environment}`);
    this.notify('releaseSucceeded', `${r.name} ${r.version} succeeded in ${r.environment}`);
  }

  /** After APPROVE is satisfied: DEPLOY now, or wait for the window (scheduled releases). */
  passApprovalGate(): void {
    const r = this.release;
    const index = this.currentIndex();
    const approvers = r.approvals.map((a) => `${a.actor} (${a.qualifier})`).join(', ');
    this.record({ stage: 'APPROVE', environment: r.environment }, 'Success', `approved by ${approvers}`);
    this.emit('Normal', 'ReleaseApproved', `${r.name} ${r.version} approved by ${approvers}`);
    const overrides = this.ctx.overrides ?? [];
    if (APPROVAL_POLICIES[r.type].waitsForWindow && this.ctx.windowOpen === true && overrides.length > 0) {
      this.emit('Warning', 'FreezeOverridden', `deploying during a freeze: ${overrides.join('; ')}`);
    }
    if (APPROVAL_POLICIES[r.type].waitsForWindow && this.ctx.windowOpen !== true) {
      const until = this.ctx.nextWindowAt ?? null;
      const next = this.plan[index + 1];
      if (next !== undefined) {
        r.stage = next.stage;
        r.environment = next.environment;
      }
      r.status = 'WAITING_WINDOW';
      r.waitingUntil = until;
      const when =
        until === null
          ? 'the next deployment window'
          : `the window at ${windowTime(until, this.ctx.timeZone)}`;
      this.emit('Normal', 'WaitingForWindow', `${r.name} ${r.version} waits for ${when}`);
      this.effects.push({ type: 'waitForWindow', release: r.name, until });
      this.notify('waitingForWindow', `${r.name} ${r.version} is approved and waits for ${when}`);
      return;
    }
    this.advance(index);
  }

  /** Ends the release with `status`; the current step gets `current`, the rest NotExecuted. */
  end(
    status: ReleaseStatus,
    current: { result: 'Error' | 'NotExecuted'; reason: string } | null,
    restReason: string,
  ): void {
    const r = this.release;
    const index = this.currentIndex();
    if (current !== null)
      this.record({ stage: r.stage, environment: r.environment }, current.result, current.reason);
    if (index >= 0) this.skipRest(index, restReason);
    r.status = status;
    r.waitingUntil = null;
  }

  finish(): ReleaseTransition {
    const r = this.release;
    for (const e of this.events) {
      r.history.push({
        at: this.now,
        event: this.eventType,
        ...(this.actor === undefined ? {} : { actor: this.actor }),
        from: this.from,
        to: { stage: r.stage, status: r.status },
        reason: e.reason,
        message: e.message,
      });
    }
    return { release: r, effects: this.effects, events: this.events };
  }
}

/**
 * The release workflow's decision: applies `event` to `release` and says what the executor must
 * do next, as XState's `transition(machine, state, event)`.
 *
 * Pure and deterministic: `release` is not mutated; time comes from `ctx.now` (and `tick.now`).
 * Every change appends to `history` and returns at least one event. A `tick` that changes nothing
 * returns the same release with no events and no effects.
 *
 * @throws ReleaseTransitionError (`CUTOVER_E_RELEASE_TRANSITION`) when the event does not apply to
 *   the current stage and status; nothing changes.
 * @throws ApprovalNotAllowedError (`CUTOVER_E_APPROVAL_NOT_ALLOWED`) when an approval or a
 *   rejection is refused by the policy; nothing changes.
 * @example
 * const { release: next, effects } = transitionRelease(release, { type: 'stageSucceeded', stage: 'PREPARE' }, { now });
 * // effects: [{ type: 'runStage', stage: 'STAGING', environment: 'dev', ... }]
 */
export function transitionRelease(
  release: Release,
  event: ReleaseEvent,
  ctx: ReleaseContext,
): ReleaseTransition {
  const r = release;
  const refuse = (message: string): never => {
    throw new ReleaseTransitionError(r.name, event.type, r.stage, r.status, message);
  };
  if (event.type === 'tick') {
    if (r.status === 'WAITING_WINDOW' && ctx.windowOpen === true) {
      const d = new Draft(r, 'tick', undefined, event.now, ctx);
      openWindow(d);
      return d.finish();
    }
    // A freeze applied (or lifted) since the wait began moves the next window: recompute it.
    if (
      r.status === 'WAITING_WINDOW' &&
      ctx.nextWindowAt !== undefined &&
      (ctx.nextWindowAt ?? null) !== r.waitingUntil
    ) {
      const d = new Draft(r, 'tick', undefined, event.now, ctx);
      const until = ctx.nextWindowAt ?? null;
      d.release.waitingUntil = until;
      const when =
        until === null ? 'no window in the next 60 days' : `the window at ${windowTime(until, ctx.timeZone)}`;
      d.emit('Normal', 'WindowRescheduled', `${r.name} ${r.version} now waits for ${when}`);
      d.effects.push({ type: 'waitForWindow', release: r.name, until });
      return d.finish();
    }
    return { release, effects: [], events: [] };
  }
  // A release that shipped can still be rolled back (to its checkpoint or an earlier release).
  const rollbackAfterSuccess = event.type === 'rollbackRequested' && r.status === 'SUCCESS';
  if (isTerminalStatus(r.status) && !rollbackAfterSuccess) refuse('the release has ended');
  const actor = 'actor' in event ? event.actor : undefined;
  switch (event.type) {
    case 'stageSucceeded': {
      if (r.status !== 'RUNNING') refuse(`no stage is running (${r.status})`);
      if (event.stage !== r.stage) refuse(`the running stage is ${r.stage}`);
      if (event.environment !== undefined && event.environment !== r.environment) {
        refuse(`the running stage is in ${r.environment}`);
      }
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      d.record({ stage: r.stage, environment: r.environment }, 'Success', undefined, event.report);
      d.emit('Normal', 'StageSucceeded', `${r.stage} in ${r.environment} succeeded`);
      if (r.stage === 'ROLLBACK') {
        d.release.status = 'ROLLED_BACK';
        const type = r.rollback?.type ?? 'traffic';
        d.emit('Normal', 'ReleaseRolledBack', `${r.name} ${r.version} rolled back (${type})`);
        d.notify(
          'releaseRolledBack',
          `${r.name} ${r.version} was rolled back (${type}): ${r.rollback?.reason ?? ''}`,
        );
      } else {
        d.advance(d.currentIndex());
      }
      return d.finish();
    }
    case 'stageFailed': {
      if (r.status !== 'RUNNING') refuse(`no stage is running (${r.status})`);
      if (event.stage !== r.stage) refuse(`the running stage is ${r.stage}`);
      if (event.environment !== undefined && event.environment !== r.environment) {
        refuse(`the running stage is in ${r.environment}`);
      }
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      d.record({ stage: r.stage, environment: r.environment }, 'Error', event.reason, event.report);
      d.emit('Warning', 'StageFailed', `${r.stage} in ${r.environment} failed: ${event.reason}`);
      if (r.stage === 'ROLLBACK') {
        d.release.status = 'FAILED';
        d.emit('Warning', 'RollbackFailed', `rollback of ${r.name} ${r.version} failed: ${event.reason}`);
        d.notify('escalation', `rollback of ${r.name} ${r.version} failed: ${event.reason}`);
      } else if (r.stage === 'MONITOR') {
        // The new version is live and judged bad: take traffic back first, ask questions later.
        startRollback(
          d,
          { type: 'traffic', reason: `MONITOR failed: ${event.reason}`, actor: WORKFLOW_ACTOR },
          false,
        );
      } else {
        d.skipRest(d.currentIndex(), `not executed: ${r.stage} failed`);
        d.release.status = 'FAILED';
        d.emit('Warning', 'ReleaseFailed', `${r.name} ${r.version} failed in ${r.stage}: ${event.reason}`);
        d.notify(
          'releaseFailed',
          `${r.name} ${r.version} failed in ${r.stage} (${r.environment}): ${event.reason}`,
        );
      }
      return d.finish();
    }
    case 'approve': {
      if (r.status !== 'WAITING_APPROVAL') refuse('the release is not waiting for approvals');
      const qualifier = assertMayApprove(r, event.actor, event.role, event.qualifier);
      if (hasApproved(r, event.actor)) {
        // Idempotent: the same person approving twice counts once.
        return { release, effects: [], events: [] };
      }
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      d.release.approvals.push({
        actor: event.actor,
        role: event.role,
        qualifier,
        comment: event.comment,
        at: event.at ?? ctx.now,
      });
      d.emit(
        'Normal',
        'ApprovalRecorded',
        `${event.actor} (${event.role}, ${event.qualifier}) approved: ${event.comment}`,
      );
      const state = approvalState(d.release);
      if (state.satisfied) d.passApprovalGate();
      else d.emit('Normal', 'ApprovalPending', `${r.name} still needs ${state.missing.join(' and ')}`);
      return d.finish();
    }
    case 'reject': {
      if (r.status !== 'WAITING_APPROVAL' && r.status !== 'WAITING_WINDOW') {
        refuse('only a release waiting for approval or for its window can be rejected');
      }
      assertMayReject(r, event.actor, event.role);
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      d.release.rejections.push({
        actor: event.actor,
        role: event.role,
        qualifier: event.qualifier,
        comment: event.comment,
        at: ctx.now,
      });
      const why = `rejected by ${event.actor}: ${event.comment}`;
      d.end(
        'REJECTED',
        { result: r.status === 'WAITING_APPROVAL' ? 'Error' : 'NotExecuted', reason: why },
        why,
      );
      d.emit('Warning', 'ReleaseRejected', `${r.name} ${r.version} ${why}`);
      d.notify('releaseRejected', `${r.name} ${r.version} ${why}`);
      return d.finish();
    }
    case 'cancel': {
      if (!CANCELLABLE_STAGES.includes(r.stage) && r.status !== 'WAITING_WINDOW') {
        refuse('the release has reached the target; request a rollback instead');
      }
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      const why = `cancelled by ${event.actor}${event.reason === undefined ? '' : `: ${event.reason}`}`;
      if (r.status === 'RUNNING') {
        d.effects.push({ type: 'stopStage', release: r.name, stage: r.stage, environment: r.environment });
      }
      d.end('CANCELLED', { result: 'NotExecuted', reason: why }, why);
      d.emit('Warning', 'ReleaseCancelled', `${r.name} ${r.version} ${why}`);
      d.notify('releaseCancelled', `${r.name} ${r.version} ${why}`);
      return d.finish();
    }
    case 'rollbackRequested': {
      const running = r.status === 'RUNNING' && (r.stage === 'DEPLOY' || r.stage === 'MONITOR');
      if (!running && r.status !== 'SUCCESS') {
        refuse('only a release in DEPLOY or MONITOR, or one that ended SUCCESS, can be rolled back');
      }
      if (event.toRelease === r.name) refuse('--to-release names this release: name an earlier one');
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      startRollback(
        d,
        {
          type: event.rollbackType,
          reason: event.reason,
          actor: event.actor,
          ...(event.toRelease === undefined ? {} : { toRelease: event.toRelease }),
        },
        running,
      );
      return d.finish();
    }
    case 'windowOpened': {
      if (r.status !== 'WAITING_WINDOW') refuse('the release is not waiting for a window');
      const d = new Draft(r, event.type, actor, ctx.now, ctx);
      openWindow(d);
      return d.finish();
    }
  }
}

/** WAITING_WINDOW -> DEPLOY running. */
function openWindow(d: Draft): void {
  const r = d.release;
  r.waitingUntil = null;
  r.status = 'RUNNING';
  const overrides = d.ctx.overrides ?? [];
  d.emit(
    'Normal',
    'WindowOpened',
    `deployment window open for ${r.name} ${r.version}${overrides.length === 0 ? '' : `: ${overrides.join('; ')}`}`,
  );
  d.emit('Normal', 'StageStarted', `${r.stage} in ${r.environment}`);
  d.effects.push({ type: 'runStage', release: r.name, stage: r.stage, environment: r.environment });
}

/**
 * DEPLOY/MONITOR running (or SUCCESS) -> ROLLBACK running; the interrupted stage is an Error, the
 * rest NotExecuted.
 */
function startRollback(
  d: Draft,
  request: { type: RollbackType; reason: string; actor: string; toRelease?: string },
  interrupted: boolean,
): void {
  const r = d.release;
  const index = d.currentIndex();
  if (interrupted)
    d.record(
      { stage: r.stage, environment: r.environment },
      'Error',
      `interrupted: rollback requested: ${request.reason}`,
    );
  d.skipRest(index, `not executed: rolled back: ${request.reason}`);
  r.rollback = { ...request, at: d.now };
  r.stage = 'ROLLBACK';
  r.status = 'RUNNING';
  d.emit(
    'Warning',
    'RollbackStarted',
    `${request.type} rollback of ${r.name} ${r.version}${request.toRelease === undefined ? '' : ` to release ${request.toRelease}`} by ${request.actor}: ${request.reason}`,
  );
  d.effects.push({
    type: 'startRollback',
    release: r.name,
    rollbackType: request.type,
    environment: r.environment,
  });
  d.notify('rollbackStarted', `${request.type} rollback of ${r.name} ${r.version}: ${request.reason}`);
}

/**
 * A time for people: ISO 8601 UTC, and the environment's local time when its windows have a time
 * zone other than UTC, e.g. `2026-12-24T08:00:00.000Z (09:00 Europe/Paris, Thu 24 Dec)`. Pure.
 */
export function windowTime(ms: number, timeZone: string | undefined): string {
  const utc = new Date(ms).toISOString();
  if (timeZone === undefined || timeZone === 'UTC' || timeZone === 'Etc/UTC') return utc;
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: '2-digit',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const part = (type: string) => local.find((p) => p.type === type)?.value ?? '';
  return `${utc} (${part('hour')}:${part('minute')} ${timeZone}, ${part('weekday')} ${part('day')} ${part('month')})`;
}
