import { FreezeOverrideError } from './errors.js';
import type { WindowPolicy } from './window-policy.js';

/** The only role that may override a freeze (issue 5, §4). */
export const FREEZE_OVERRIDE_ROLE = 'admin';

/**
 * A granted freeze override, to be recorded by the caller (event log, audit) and passed back to
 * {@link evaluateWindow} / {@link nextWindow} as `overrides`.
 */
export interface FreezeOverride {
  /** Name of the lifted freeze. */
  readonly freeze: string;
  /** Who overrode it (user or agent name). */
  readonly actor: string;
  /** The role they acted with; always `admin`. */
  readonly role: string;
  /** Why, as given; never empty. */
  readonly reason: string;
  /** When the override was given, ms since the epoch; it lifts the freeze from this instant on. */
  readonly at: number;
}

/** Who asks for a freeze override, with what role, why and when. */
export interface FreezeOverrideRequest {
  /** User or agent name. */
  readonly actor: string;
  /** Role of `actor` (roles of the API's tokens); must be `admin`. */
  readonly role: string;
  /** Why the freeze is lifted; required, recorded. */
  readonly reason: string;
  /** When, ms since the epoch (from the injected Clock). */
  readonly at: number;
}

/**
 * Decides a request to override freeze `freezeName` of `policy`. Pure; throws on refusal; grants
 * nothing by itself: the caller records the returned {@link FreezeOverride} and passes it to
 * {@link evaluateWindow}. An override lifts that freeze only, never Fridays, holidays, the last
 * business day of the month or the allowed windows (issue 5, §4: "a freeze can be overridden").
 *
 * @throws {@link FreezeOverrideError} with code `CUTOVER_E_WINDOW_FREEZE_UNKNOWN` (no such freeze),
 *   `CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN` (role is not `admin`) or `CUTOVER_E_WINDOW_OVERRIDE_REASON`
 *   (empty reason or actor).
 * @example overrideFreeze(policy, 'year-end', { actor: 'alice', role: 'admin', reason: 'CVE-2026-1234 fix', at: clock.now() })
 */
export function overrideFreeze(
  policy: WindowPolicy,
  freezeName: string,
  request: FreezeOverrideRequest,
): FreezeOverride {
  const { actor, role, reason, at } = request;
  const context = { freeze: freezeName, actor, role };
  if (!policy.freezes.some((f) => f.name === freezeName)) {
    const known = policy.freezes.map((f) => f.name).join(', ') || 'none';
    throw new FreezeOverrideError(
      'CUTOVER_E_WINDOW_FREEZE_UNKNOWN',
      `no freeze named "${freezeName}" in the policy (freezes: ${known})`,
      context,
    );
  }
  if (role !== FREEZE_OVERRIDE_ROLE) {
    throw new FreezeOverrideError(
      'CUTOVER_E_WINDOW_OVERRIDE_FORBIDDEN',
      `only role ${FREEZE_OVERRIDE_ROLE} may override freeze "${freezeName}"; ${actor} has role ${role}`,
      context,
    );
  }
  if (actor.trim() === '' || reason.trim() === '') {
    throw new FreezeOverrideError(
      'CUTOVER_E_WINDOW_OVERRIDE_REASON',
      `overriding freeze "${freezeName}" needs ${actor.trim() === '' ? 'an actor' : 'a reason'}; it is recorded`,
      context,
    );
  }
  return { freeze: freezeName, actor, role, reason: reason.trim(), at };
}
