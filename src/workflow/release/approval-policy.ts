import { can, type Qualifier, type Role } from '../../auth/index.js';
import { ApprovalNotAllowedError } from './errors.js';
import type { Actor, Approval, Release, ReleaseType } from './release.js';

/** What a release type needs before DEPLOY, and how it reaches DEPLOY. */
export interface ApprovalPolicy {
  /** Qualifiers that must each be covered by a distinct approver (never the creator). */
  required: readonly Qualifier[];
  /** Whether DEPLOY waits for an open deployment window after the approvals. */
  waitsForWindow: boolean;
  /** Whether the release skips STAGING and VALIDATE (NotExecuted) and goes from PREPARE to APPROVE. */
  immediate: boolean;
}

/**
 * The approval policy of each release type, as issue 5 §2 APPROVE:
 * - standard: 1 `manager`;
 * - hotfix: 2 distinct approvers, one `manager` and one `security`;
 * - rollback: 1 `devops`, immediate, ignores windows;
 * - scheduled: 1 `manager`, then waits for its window.
 */
export const APPROVAL_POLICIES: Readonly<Record<ReleaseType, ApprovalPolicy>> = {
  standard: { required: ['manager'], waitsForWindow: false, immediate: false },
  hotfix: { required: ['manager', 'security'], waitsForWindow: false, immediate: false },
  rollback: { required: ['devops'], waitsForWindow: false, immediate: true },
  scheduled: { required: ['manager'], waitsForWindow: true, immediate: false },
};

const ACTOR_PATTERN = /^(user|agent):\S/i;

/** Whether `actor` is `user:<name>` or `agent:<name>`. Pure. */
export function isActor(actor: string): boolean {
  return ACTOR_PATTERN.test(actor.trim());
}

/**
 * Whether two actors are the same identity: compared trimmed and case-insensitively, so that
 * `user:Alice` cannot approve the release `user:alice` created. Pure.
 */
export function sameActor(a: Actor, b: Actor): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** The approvals that count: none by the creator, the first one of each actor. Pure. */
function countedApprovals(release: Release): Approval[] {
  const counted: Approval[] = [];
  for (const approval of release.approvals) {
    if (sameActor(approval.actor, release.createdBy)) continue;
    if (counted.some((c) => sameActor(c.actor, approval.actor))) continue;
    counted.push(approval);
  }
  return counted;
}

/** Whether the release's approvals satisfy its policy, and what is still missing. */
export interface ApprovalState {
  satisfied: boolean;
  /** Human-readable needs, e.g. `a security approver`; empty when satisfied. */
  missing: string[];
  /** The required qualifiers not yet covered. */
  missingQualifiers: Qualifier[];
}

/**
 * Evaluates the release's approvals against `APPROVAL_POLICIES[release.type]`: each required
 * qualifier must be covered by the approval of a distinct actor who is not the creator. Since an
 * actor's repeated approvals count once, one person never covers two qualifiers. Pure.
 * @example approvalState(hotfixWithManagerOnly) // { satisfied: false, missing: ['a security approver'], ... }
 */
export function approvalState(release: Release): ApprovalState {
  const counted = countedApprovals(release);
  const missingQualifiers = APPROVAL_POLICIES[release.type].required.filter(
    (q) => !counted.some((a) => a.qualifier === q),
  );
  return {
    satisfied: missingQualifiers.length === 0,
    missing: missingQualifiers.map((q) => `a ${q} approver`),
    missingQualifiers,
  };
}

/** Whether `actor` already has a counted approval on the release. Pure. */
export function hasApproved(release: Release, actor: Actor): boolean {
  return release.approvals.some((a) => sameActor(a.actor, actor));
}

/**
 * Checks that `actor` may approve `release` with `role` and `qualifier`:
 * 1. the actor is well-formed (`user:` / `agent:`);
 * 2. the actor did not create the release (no exception, also not for `admin`);
 * 3. the role holds the `approve` permission (`approver` or `admin`; viewer and deployer do not);
 * 4. the qualifier is one the release type requires. An `admin` is not a wildcard: it approves
 *    with its own qualifier, so the required qualifiers are always covered by distinct people.
 *
 * Pure. Does not check the stage; `transitionRelease` does.
 * @returns the qualifier the approval covers.
 * @throws ApprovalNotAllowedError (`CUTOVER_E_APPROVAL_NOT_ALLOWED`) naming the refusal.
 */
export function assertMayApprove(
  release: Release,
  actor: Actor,
  role: Role,
  qualifier: Qualifier | null,
): Qualifier {
  if (!isActor(actor)) {
    throw new ApprovalNotAllowedError(release.name, actor, 'actor', 'expected user:<name> or agent:<name>');
  }
  if (sameActor(actor, release.createdBy)) {
    throw new ApprovalNotAllowedError(
      release.name,
      actor,
      'creator',
      'the creator of a release can never approve it',
    );
  }
  if (!can(role, 'approve')) {
    throw new ApprovalNotAllowedError(
      release.name,
      actor,
      'role',
      `role ${role} cannot approve; expected approver or admin`,
    );
  }
  const required = APPROVAL_POLICIES[release.type].required;
  if (qualifier === null || !required.includes(qualifier)) {
    throw new ApprovalNotAllowedError(
      release.name,
      actor,
      'qualifier',
      `a ${release.type} release needs ${required.map((q) => `a ${q} approver`).join(' and ')}; got ${
        qualifier === null ? 'no qualifier' : `qualifier ${qualifier}`
      }`,
    );
  }
  return qualifier;
}

/**
 * Checks that `actor` may reject `release`: well-formed and holding the `approve` permission.
 * Any qualifier may reject (stopping is always safe), and so may the creator.
 * @throws ApprovalNotAllowedError (`CUTOVER_E_APPROVAL_NOT_ALLOWED`).
 */
export function assertMayReject(release: Release, actor: Actor, role: Role): void {
  if (!isActor(actor)) {
    throw new ApprovalNotAllowedError(release.name, actor, 'actor', 'expected user:<name> or agent:<name>');
  }
  if (!can(role, 'approve')) {
    throw new ApprovalNotAllowedError(
      release.name,
      actor,
      'role',
      `role ${role} cannot reject; expected approver or admin`,
    );
  }
}
