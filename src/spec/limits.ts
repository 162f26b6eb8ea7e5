/**
 * Upper bounds of what a spec may ask for, checked when it is applied (docs/spec-reference.md,
 * "Limits"). Each is far above any sane use and below what breaks the machine or the data plane: a
 * value past one is refused at `apply` with the field path, never discovered by a replica that
 * cannot start or a timer that overflows.
 */

/** Replicas of one Rollout (or one override, or a blue-green preview) on the local platform. */
export const MAX_REPLICAS = 1000;

/** Any duration (pause, interval, window, delays, `*Seconds` fields): 30 days, in seconds. */
export const MAX_DURATION_SECONDS = 30 * 24 * 3600;

/** Counts and limits of measurements, probe thresholds, retention limits. */
export const MAX_COUNT = 100_000;

/** Steps of a canary; metrics of a template; args; checkpoints; list entries in general. */
export const MAX_ITEMS = 1000;

/**
 * One environment variable as `NAME=value`, bytes (UTF-8): Linux refuses a single argument or
 * environment string of 128 KiB or more (MAX_ARG_STRLEN, its terminating NUL included) with E2BIG.
 */
export const MAX_ENV_ENTRY_BYTES = 128 * 1024 - 1;

/**
 * A replica's command line and environment together, bytes: each string with its NUL and its
 * 8-byte pointer, as `execve` counts them. 1 MiB: half of Linux's usual 2 MiB ARG_MAX, the other
 * half left for the environment the replica inherits.
 */
export const MAX_EXEC_BYTES = 1024 * 1024;

/** A path (cwd, a probe's URL path), characters: Linux's PATH_MAX. */
export const MAX_PATH_LENGTH = 4096;

/** An HTTP header value a probe or a notification sends, characters. */
export const MAX_HEADER_VALUE_LENGTH = 8192;

/** Conditions of one header route (the data plane refuses more). */
export const MAX_HEADER_ROUTE_MATCHES = 8;

/** A free-text string (a label, an annotation, an arg value, a description), characters. */
export const MAX_TEXT_LENGTH = 64 * 1024;
