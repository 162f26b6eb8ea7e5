/**
 * Everything the dashboard knows about authentication, in one place: where the bearer token is
 * kept (sessionStorage: gone when the tab closes, never shared with other tabs) and which roles may
 * operate a rollout.
 */
import type { Identity, Role } from './types.js';

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
export function mayOperate(identity: Identity): boolean {
  return identity.permissions.length > 0
    ? identity.permissions.includes('deploy')
    : OPERATOR_ROLES.includes(identity.role);
}
