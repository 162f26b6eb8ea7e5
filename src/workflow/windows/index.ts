/**
 * Deployment windows (issue 5, §4): when a release may start in an Environment. Pure decisions;
 * time is always passed in (ms since the epoch, from the injected Clock).
 */
export {
  FreezeOverrideError,
  WINDOW_ERROR_CODES,
  WindowError,
  type WindowErrorCode,
  WindowPolicyError,
  type WindowPolicyIssue,
} from './errors.js';
export {
  DEFAULT_HORIZON_DAYS,
  type EvaluateWindowOptions,
  evaluateWindow,
  type NextWindowOptions,
  nextWindow,
  WINDOW_BLOCKERS,
  type WindowBlocker,
  type WindowDecision,
  type WindowInterval,
} from './evaluate-window.js';
export {
  FREEZE_OVERRIDE_ROLE,
  type FreezeOverride,
  type FreezeOverrideRequest,
  overrideFreeze,
} from './override-freeze.js';
export {
  type AllowedWindow,
  type BlockedDays,
  DEFAULT_ALLOWED_WINDOWS,
  DEFAULT_BLOCKED_DAYS,
  DEFAULT_TIME_ZONE,
  type Freeze,
  type HolidayCalendar,
  resolveWindowPolicy,
  type WindowPolicy,
  type WindowPolicyInput,
} from './window-policy.js';
