/**
 * Roles and the permission table of the control plane's API. The table is explicit (no role
 * "inherits" another by rank): approvers may read and approve, but not deploy.
 */

/** Roles a token holds. */
export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Qualifications of an approver; the release workflow's approval rules will use them. */
export const QUALIFIERS = ['manager', 'security', 'devops'] as const;
export type Qualifier = (typeof QUALIFIERS)[number];

/** Kinds of identity: a person or a crew agent (actor `user:<name>` / `agent:<name>`). */
export const USER_KINDS = ['user', 'agent'] as const;
export type UserKind = (typeof USER_KINDS)[number];

/**
 * What a route needs:
 * - `read`: every GET of rollouts, revisions, analysis runs, events, stats, metrics;
 * - `deploy`: apply, promote, abort, retry, undo, pause, resume, delete;
 * - `approve`: approvals of the release workflow (no route yet);
 * - `admin`: tokens, audit, shutdown.
 */
export const PERMISSIONS = ['read', 'deploy', 'approve', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The permission table: which role may do what. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  deployer: ['read', 'deploy'],
  approver: ['read', 'approve'],
  admin: ['read', 'deploy', 'approve', 'admin'],
};

/** Whether `role` holds `permission`. Pure. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
