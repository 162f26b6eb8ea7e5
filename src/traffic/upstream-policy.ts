import type { RetryPolicy } from './retry-policy.js';

/**
 * A Rollout's upstream policy in the router (`spec.trafficPolicy`: `timeout`, `connectionPool`,
 * `retries`), one object shared by the Rollout's revision targets and endpoints and updated in
 * place when the Rollout changes, so that counters (retries in flight) carry over.
 *
 * Limits follow Istio's DestinationRule `connectionPool` (Envoy's circuit breakers): unset means
 * unbounded.
 */
export class UpstreamPolicy {
  /** Time a request has to get its response head, over all its tries, ms; null: the router's. */
  timeoutMs: number | null = null;
  /** Connect timeout, ms; null: the router's. */
  connectTimeoutMs: number | null = null;
  /** Connections open to one replica at most (`tcp.maxConnections`, as Istio: per host). */
  maxConnections = Number.POSITIVE_INFINITY;
  /**
   * Requests of one revision waiting for a connection at most (`http.http1MaxPendingRequests`);
   * more get 503 with `x-cutover-overflow: true`.
   */
  maxPendingRequests = Number.POSITIVE_INFINITY;
  /** Requests per upstream connection, then it is closed (`http.maxRequestsPerConnection`); 0: unlimited. */
  maxRequestsPerConnection = 0;
  /** Requests of the Rollout being retried at once at most (`http.maxRetries`). */
  maxRetries = Number.POSITIVE_INFINITY;
  /** `retries`; null: the router's default (one retry of a connect failure or a reset idempotent request without body). */
  retry: RetryPolicy | null = null;
  /** Requests of the Rollout being retried now. */
  retriesInFlight = 0;
}
