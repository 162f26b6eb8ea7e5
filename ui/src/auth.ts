/**
 * Everything the dashboard knows about authentication, in one place: where the bearer token is
 * kept (sessionStorage: gone when the tab closes, never shared with other tabs) and which roles may
 * operate a rollout.
 */
import type { ReleaseView, Role, Whoami } from './types.js';

const TOKEN_KEY = 'cutover.token';

/** The token of this tab, if one was entered. */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Roles allowed to promote, abort, retry and undo (docs/api.md: deployer and admin). */
const OPERATOR_ROLES: readonly Role[] = ['deployer', 'admin'];

/**
 * Whether the identity may use the rollout operations (the `deploy` permission whoami lists, else
 * its role). The server enforces it; the UI only hides the buttons it would refuse.
 */
export function mayOperate(identity: Whoami): boolean {
  return identity.permissions.length > 0
    ? identity.permissions.includes('deploy')
    : OPERATOR_ROLES.includes(identity.role);
}

/** An actor string as the workflow compares them: case-insensitive, without surrounding spaces. */
const normalActor = (actor: string) => actor.trim().toLowerCase();

/**
 * Whether the identity may approve or reject `release` now (docs/release-workflow.md): the release
 * waits for approval, the caller is an approver whose qualifier is still missing (an admin has no
 * qualifier, so is not enough), and did not create the release (no one approves their own). The
 * server enforces it; the UI only hides the buttons it would refuse.
 */
export function mayApprove(
  identity: Whoami,
  release: Pick<ReleaseView, 'status' | 'approval' | 'createdBy'>,
): boolean {
  return (
    release.status === 'WAITING_APPROVAL' &&
    identity.role === 'approver' &&
    identity.qualifier !== null &&
    release.approval.missingQualifiers.includes(identity.qualifier) &&
    normalActor(`${identity.kind}:${identity.user}`) !== normalActor(release.createdBy)
  );
}
