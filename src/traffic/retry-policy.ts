/**
 * Retry conditions of a Rollout's `spec.trafficPolicy.retries.retryOn`, with Envoy's names as
 * Istio's `HTTPRetry.retryOn` takes them (a comma-separated list):
 * - `connect-failure`: the connection to the replica failed or timed out (nothing was sent).
 * - `refused-stream`: HTTP/2's REFUSED_STREAM; over HTTP/1.1, a reused keep-alive connection that
 *   the replica closed before any response byte (the replica never took the request).
 * - `reset`: the connection was reset or closed, or the per-try timeout passed, before any response
 *   byte.
 * - `gateway-error`: a 502, 503 or 504 answer, and a per-try timeout (as Envoy).
 * - `5xx`: any 5xx answer, plus everything `connect-failure` and `reset` cover (as Envoy).
 * - `retriable-4xx`: a 409 answer.
 * - a status code such as `503`: that answer.
 * - `non-idempotent` (cutover's own): requests with a non-idempotent method (POST, PATCH) may be
 *   retried after they were sent (body included); without it they are retried only on
 *   `connect-failure`, when nothing reached the replica.
 */
export const RETRY_ON_TOKENS = [
  'connect-failure',
  'refused-stream',
  'reset',
  'gateway-error',
  '5xx',
  'retriable-4xx',
  'non-idempotent',
] as const;

const CONNECT_FAILURE = 1;
const REFUSED_STREAM = 2;
const RESET = 4;
const GATEWAY_ERROR = 8;
const ANY_5XX = 16;
const RETRIABLE_4XX = 32;
const NON_IDEMPOTENT = 64;

const BITS: Record<(typeof RETRY_ON_TOKENS)[number], number> = {
  'connect-failure': CONNECT_FAILURE,
  'refused-stream': REFUSED_STREAM,
  reset: RESET,
  'gateway-error': GATEWAY_ERROR,
  '5xx': ANY_5XX,
  'retriable-4xx': RETRIABLE_4XX,
  'non-idempotent': NON_IDEMPOTENT,
};

/** Why a try failed before a usable answer, as {@link RetryPolicy.retries} takes it. */
export const TRY_CONNECT = 0;
/** The connection closed or was reset before any response byte; `reused`: it was a pooled one. */
export const TRY_RESET = 1;
/** The per-try timeout passed before the response head. */
export const TRY_TIMEOUT = 2;
/** The replica answered with `status`. */
export const TRY_STATUS = 3;

/**
 * Parse a `retryOn` list.
 * @returns the unknown tokens in `problems` (empty when valid)
 */
export function parseRetryOn(retryOn: string): { bits: number; codes: number[]; problems: string[] } {
  let bits = 0;
  const codes: number[] = [];
  const problems: string[] = [];
  for (const raw of retryOn.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    if (/^[1-5]\d\d$/.test(token)) codes.push(Number(token));
    else if (token in BITS) bits |= BITS[token as keyof typeof BITS];
    else problems.push(token);
  }
  return { bits, codes, problems };
}

/** A Rollout's retry policy in the router (`RolloutDataPlaneSpec.retries`). */
export class RetryPolicy {
  /** Retries allowed per request (not counting the first try). */
  readonly attempts: number;
  /** Time each try has to get the response head, ms; null: the request's whole timeout. */
  readonly perTryTimeoutMs: number | null;
  readonly #bits: number;
  readonly #codes: readonly number[];

  /**
   * @param attempts - retries per request, 0..10.
   * @param retryOn - Envoy's retry conditions, comma-separated (see {@link RETRY_ON_TOKENS}).
   * @throws Error on an unknown condition (the data plane validates before).
   */
  constructor(attempts: number, perTryTimeoutMs: number | null, retryOn: string) {
    const parsed = parseRetryOn(retryOn);
    if (parsed.problems.length > 0)
      throw new Error(`unknown retryOn condition ${parsed.problems.join(', ')}`);
    this.attempts = attempts;
    this.perTryTimeoutMs = perTryTimeoutMs;
    this.#bits = parsed.bits;
    this.#codes = parsed.codes;
  }

  /**
   * Whether a failed try may be retried.
   * @param kind - TRY_CONNECT, TRY_RESET, TRY_TIMEOUT or TRY_STATUS.
   * @param status - the answer's status for TRY_STATUS.
   * @param reused - for TRY_RESET: the try ran on a pooled keep-alive connection.
   * @param idempotent - the method is idempotent (RFC 9110 section 9.2.2).
   */
  retries(kind: number, status: number, reused: boolean, idempotent: boolean): boolean {
    const bits = this.#bits;
    // Nothing was sent on a failed connect: always safe to send again.
    if (kind === TRY_CONNECT) return (bits & (CONNECT_FAILURE | ANY_5XX)) !== 0;
    if (!idempotent && (bits & NON_IDEMPOTENT) === 0) return false;
    switch (kind) {
      case TRY_RESET:
        return (bits & (RESET | ANY_5XX)) !== 0 || (reused && (bits & REFUSED_STREAM) !== 0);
      case TRY_TIMEOUT:
        return (bits & (RESET | GATEWAY_ERROR | ANY_5XX)) !== 0;
      default:
        if (this.#codes.includes(status)) return true;
        if (status >= 500)
          return (bits & ANY_5XX) !== 0 || ((bits & GATEWAY_ERROR) !== 0 && status >= 502 && status <= 504);
        return status === 409 && (bits & RETRIABLE_4XX) !== 0;
    }
  }
}
