/** Exit codes of the `cutover` CLI (documented in docs/cli-reference.md). */
export const EXIT = {
  /** Success; for `status`: the rollout is Healthy. */
  ok: 0,
  /** An error: bad input, a refused command, the server unreachable. */
  error: 1,
  /** Usage error: unknown command or option. */
  usage: 2,
  /** `status`: the rollout is Degraded. */
  degraded: 3,
  /** `status --watch`: the timeout passed before the rollout was Healthy or Degraded. */
  timeout: 4,
  /** `status` without --watch: the rollout is Progressing or Paused. */
  notHealthy: 5,
} as const;
