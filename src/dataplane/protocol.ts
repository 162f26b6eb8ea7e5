/**
 * The data plane's admin API contract: what the control plane sends (desired state) and reads
 * (observed state, per-revision statistics). The data plane process hosts the built-in router and
 * the local platform and outlives the control plane.
 *
 * Every write is a whole desired state and idempotent: sending it twice changes nothing.
 */
import type { HeaderRoutingMatch, LocalTemplate } from '../spec/types.js';

/**
 * Desired replica count of one replica set of one Rollout: the revision's own set, or, with `set`,
 * an extra set running the revision's template under its own identity (an experiment's baseline or
 * candidate, as Argo Rollouts' Experiment ReplicaSets). A set is identified by
 * {@link replicaSetKey}: its replicas, endpoints, router target and statistics are its own.
 */
export interface ReplicaSetSpec {
  revision: number;
  /**
   * Name of an extra replica set of the revision (an RFC 1123 label containing a letter), e.g.
   * `web-r2-s1-baseline`; absent for the revision's own set.
   */
  set?: string;
  /** Template hash (identifies the revision across restarts). */
  hash: string;
  /** Template with `cwd` already resolved to an absolute path. */
  template: LocalTemplate;
  replicas: number;
  /**
   * A stateful Rollout's set (`spec.stateful`, StatefulSet semantics): exactly the ordinals this
   * revision runs (`replicas` is their count). Its replicas are named `<rollout>-<ordinal>`, keep a
   * state directory per ordinal, and a replica starts only once no other process of the Rollout
   * holds its ordinal. Absent for other Rollouts.
   */
  ordinals?: number[];
}

/**
 * Identity of a replica set within a Rollout: `r<revision>` for the revision's own set, `s:<set>`
 * for an extra one. Pure.
 */
export function replicaSetKey(rs: { revision: number; set?: string | undefined }): string {
  return rs.set === undefined ? `r${rs.revision}` : `s:${rs.set}`;
}

/** One weighted backend of a router listener. */
export interface RouteBackend {
  revision: number;
  /** An extra replica set of the revision ({@link ReplicaSetSpec.set}); absent for the revision's own. */
  set?: string;
  /** Share of requests, percent 0..100. The weights of one listener sum to 100 (or all are 0). */
  weight: number;
}

/**
 * A header route of a listener, as set by Argo Rollouts' `setHeaderRoute` step: a request matching
 * every condition of `match` goes to `revision` whatever the weights (when the revision has a ready
 * endpoint; otherwise it takes the weighted pick). Routes are tried in order; the first that matches wins.
 */
export interface HeaderRouteSpec {
  /** Unique within the listener. */
  name: string;
  /** 1..{@link MAX_HEADER_ROUTE_MATCHES} conditions, all of which must hold. */
  match: HeaderRoutingMatch[];
  revision: number;
}

/** A string condition, as Argo Rollouts' `StringMatch`: exactly one of the three. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  /** RE2 syntax, unanchored, matched in linear time. */
  regex?: string;
}

/** One alternative of a mirror route's match, as Argo Rollouts' `RouteMatch`: every given condition holds. */
export interface MirrorRouteMatch {
  /** The request method (case-sensitive, RFC 9110 section 9.1). */
  method?: StringMatch;
  /** The request target's path (without the query). */
  path?: StringMatch;
  /** By header name (compared case-insensitively): the header's value. */
  headers?: Record<string, StringMatch>;
}

/**
 * A mirror route of a listener, as Argo Rollouts' `setMirrorRoute`: a copy of each request that
 * matches one of `match` (and falls within `percentage`) goes to `revision` too; the client gets
 * only the answer of the revision its request was routed to. The copies' answers are recorded
 * apart, as the revision's `mirror` role ({@link MIRROR_SET}).
 */
export interface MirrorRouteSpec {
  /** Unique within the listener. */
  name: string;
  /** The revision the copies go to (the canary). */
  revision: number;
  /** Share of matching requests copied, percent 0..100. */
  percentage: number;
  /** 1..{@link MAX_HEADER_ROUTE_MATCHES} alternatives; a request matching any one is mirrored. */
  match: MirrorRouteMatch[];
  /**
   * Compare each copy's answer with the client's: the status, and with `jsonPath` (Kubernetes
   * JSONPath, as the web metric provider's) that field of both JSON bodies. Absent: no comparison.
   */
  compare?: { jsonPath?: string };
}

/**
 * The `set` of {@link RevisionStats} that reads a revision's mirrored answers (never a replica
 * set's name: those are RFC 1123 labels).
 */
export const MIRROR_SET = ':mirror';

/**
 * The `set` of {@link RevisionStats} that reads a revision's responses naming one feature flag
 * variant (`x-cutover-flag-variant: <flag>=<variant>`): `:flag:<flag>=<variant>` (never a replica
 * set's name: those are RFC 1123 labels).
 */
export function flagVariantSet(flag: string, variant: string): string {
  return `${FLAG_VARIANT_SET_PREFIX}${flag}=${variant}`;
}

/** Prefix of {@link flagVariantSet}. */
export const FLAG_VARIANT_SET_PREFIX = ':flag:';

/** Most header routes per listener (bounds the router's per-request cost). */
export const MAX_HEADER_ROUTES = 16;
/** Most conditions per header route. */
export const MAX_HEADER_ROUTE_MATCHES = 8;

/**
 * Session affinity of a listener, as Kubernetes Service `sessionAffinity` / NGINX ingress cookie
 * affinity, extended to revisions (see `SessionTable`).
 */
export interface SessionAffinitySpec {
  /** The session key: the client's IP, a cookie the router issues, or a request header. */
  type: 'ClientIP' | 'Cookie' | 'Header';
  /** Cookie: its name. @default "cutover-session" */
  cookieName?: string;
  /** Header: its name (e.g. a conversation id header). Required for `Header`. */
  headerName?: string;
  /** Idle time after which a session is forgotten, s. @default 10800 (3 h, as Kubernetes) */
  timeoutSeconds?: number;
}

/** One router listener (a public port). */
export interface ListenerSpec {
  port: number;
  backends: RouteBackend[];
  /** Matched before the weighted pick; absent or empty when there are none. */
  headerRoutes?: HeaderRouteSpec[];
  /** Copies of matching requests to another revision; absent or empty when there are none. */
  mirrorRoutes?: MirrorRouteSpec[];
  /** Keeps a session on one revision and one replica; absent: every request is picked anew. */
  sessionAffinity?: SessionAffinitySpec;
}

/** Istio DestinationRule's `outlierDetection`, as the router applies it (see `OutlierDetector`). */
export interface OutlierDetectionSpec {
  /** 5xx answers in a row that eject a replica; 0 disables. @default 5 */
  consecutive5xxErrors?: number;
  /** 502/503/504 answers or connection failures in a row that eject a replica; 0 disables. @default 0 */
  consecutiveGatewayErrors?: number;
  /** Period of the sweep that brings ejected replicas back, a duration. @default "10s" */
  interval?: string | number;
  /** Ejection time, multiplied by the number of times the replica was ejected. @default "30s" */
  baseEjectionTime?: string | number;
  /** Most of a revision's replicas ejected at once, percent (at least one). @default 10 */
  maxEjectionPercent?: number;
  /** No ejection when fewer of a revision's replicas would be left healthy, percent. @default 0 */
  minHealthPercent?: number;
}

/**
 * Istio DestinationRule's `connectionPool`, as the router applies it (see `UpstreamPolicy`); every
 * field absent means unbounded (or the router's default).
 */
export interface ConnectionPoolSpec {
  /** Connections open to one replica at most (`tcp.maxConnections`). */
  maxConnections?: number;
  /** Connect timeout, ms (`tcp.connectTimeout`). @default 5000 (the router's) */
  connectTimeoutMs?: number;
  /** Requests of one revision waiting for a connection at most; more get 503 `x-cutover-overflow`. */
  http1MaxPendingRequests?: number;
  /** Requests per upstream connection, then it is closed; 0 or absent: unlimited. */
  maxRequestsPerConnection?: number;
  /** Requests of the Rollout being retried at once at most. */
  maxRetries?: number;
}

/** Most retries `retries.attempts` allows per request. */
export const MAX_RETRY_ATTEMPTS = 10;

/** Istio's `HTTPRetry`, as the router applies it (see `RetryPolicy`). */
export interface RetriesSpec {
  /** Retries per request (not counting the first try), 0..10. */
  attempts: number;
  /** Time each try has to get the response head, ms; absent: the whole `timeoutMs`. */
  perTryTimeoutMs?: number;
  /** Envoy's retry conditions, comma-separated (`RETRY_ON_TOKENS`). @default "connect-failure,refused-stream,gateway-error" */
  retryOn?: string;
}

/** A replica ejected by outlier detection. */
export interface OutlierEjection {
  replica: string;
  revision: number;
  /** ms since the epoch. */
  at: number;
  until: number;
  /** e.g. `5 consecutive 5xx errors`. */
  reason: string;
}

/** Requests still open (streams, long responses) when a stopping replica's grace period ended. */
export interface StreamsCut {
  replica: string;
  revision: number;
  /** ms since the epoch. */
  at: number;
  /** Requests cut. */
  connections: number;
}

/** Sessions a listener keeps on one revision. */
export interface SessionCount {
  port: number;
  revision: number;
  sessions: number;
}

/** Desired state of one Rollout in the data plane. */
export interface RolloutDataPlaneSpec {
  rollout: string;
  replicaSets: ReplicaSetSpec[];
  /** The main port (stable / active) and, for blue-green, the preview port. */
  listeners: ListenerSpec[];
  /** The Rollout's outlier detection (`spec.trafficPolicy.outlierDetection`); absent: none. */
  outlierDetection?: OutlierDetectionSpec;
  /**
   * Per-request upstream timeout (`spec.trafficPolicy.timeout`): the time a replica has to send the
   * response head before the client gets 504, ms. Absent: the router's default (60 s).
   */
  timeoutMs?: number;
  /** The Rollout's connection pool limits (`spec.trafficPolicy.connectionPool`); absent: unbounded. */
  connectionPool?: ConnectionPoolSpec;
  /**
   * The Rollout's retry policy (`spec.trafficPolicy.retries`); absent: the router's default, one
   * retry of a connect failure, or of a reset idempotent request without a body.
   */
  retries?: RetriesSpec;
  /**
   * A handoff Rollout's active replica (`spec.handoff`): when a replica id, only that replica
   * receives the Rollout's requests (on every port); when null, none does and the router holds the
   * requests (a handoff in progress, or no replica activated yet). Absent: every ready replica.
   */
  activeReplica?: string | null;
}

export const REPLICA_STATES = [
  'Starting',
  'Running',
  'Draining',
  'Terminating',
  'Crashed',
  'Stopped',
] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

export interface ReplicaStatus {
  id: string;
  pid: number | null;
  port: number;
  state: ReplicaState;
  ready: boolean;
  restarts: number;
  /** ms since the epoch. */
  startedAt: number;
  /** Requests the router has in flight to it. */
  inFlight?: number;
  /** StatefulSet ordinal of a stateful Rollout's replica. */
  ordinal?: number;
  lastExitCode: number | null;
  /**
   * The template `env` the replica was started with (as the controller sent it, before `$(VAR)`
   * expansion and the platform's own PORT, CUTOVER_*): each variable's fingerprint
   * (`sha256:<16 hex>`), never its value. Drift detection compares it with the environment the
   * controller computed. Absent from a data plane older than drift detection.
   */
  envFingerprints?: Record<string, string>;
  /**
   * Why the replica last stopped running when the platform knows more than an exit code, e.g.
   * `spawn failed: E2BIG` or `spawn failed: invalid environment`; absent otherwise.
   */
  message?: string;
}

export interface ReplicaSetStatus {
  revision: number;
  /** As {@link ReplicaSetSpec.set}. */
  set?: string;
  hash: string;
  /** Desired count as last sent. */
  replicas: number;
  /** A stateful set's ordinals as last sent ({@link ReplicaSetSpec.ordinals}). */
  ordinals?: number[];
  /** Replicas passing their readiness probe and not draining. */
  readyReplicas: number;
  /** Replicas that are alive but not yet ready, or restarting. */
  replicaStatuses: ReplicaStatus[];
}

export interface RolloutDataPlaneStatus {
  rollout: string;
  replicaSets: ReplicaSetStatus[];
  /** Listeners as currently applied (bound). */
  listeners: ListenerSpec[];
  /** As {@link RolloutDataPlaneSpec.activeReplica}, as currently applied; absent when not set. */
  activeReplica?: string | null;
  /** Listeners with session affinity: their sessions per revision; absent when none has any. */
  sessions?: SessionCount[];
  /** Outlier detection: the last ejections (50), oldest first, with those in force; absent when none. */
  ejections?: OutlierEjection[];
  /** As {@link RolloutDataPlaneSpec.outlierDetection}, as applied; absent when none. */
  outlierDetection?: OutlierDetectionSpec;
  /** As {@link RolloutDataPlaneSpec.timeoutMs}, as applied; absent when none. */
  timeoutMs?: number;
  /** As {@link RolloutDataPlaneSpec.connectionPool}, as applied; absent when none. */
  connectionPool?: ConnectionPoolSpec;
  /** As {@link RolloutDataPlaneSpec.retries}, as applied; absent when none. */
  retries?: RetriesSpec;
  /** The last requests cut by replicas' stops (50), oldest first; absent when none. */
  streamsCut?: StreamsCut[];
}

/** A router process that died and the one the supervisor started in its place. */
export interface RouterExit {
  /** When it died, ms since the epoch. */
  at: number;
  pid: number;
  /** `SIGKILL`, `exit 1`... */
  cause: string;
  /** pid of the router process started in its place. */
  replacedBy: number;
}

export interface DataPlaneState {
  /** pid of the data plane's supervisor (as {@link DataPlaneInfo.pid}). */
  pid: number;
  /** pid of the router process that answered (as {@link DataPlaneInfo.routerPid}). */
  routerPid: number;
  /** When the supervisor started, ms since the epoch. */
  startedAt: number;
  /** Router processes the supervisor has restarted (0 for the first). */
  routerRestarts: number;
  /** Replicas the current router process took over from the previous one when it started. */
  adoptedReplicas: number;
  /** The last router processes that died (at most 20, oldest first), each replaced by the supervisor. */
  routerExits: RouterExit[];
  rollouts: RolloutDataPlaneStatus[];
}

/**
 * Traffic statistics of one revision over a trailing window, as recorded by the router.
 * Proxy-generated failures (upstream connect errors, resets, timeouts) count as errors.
 */
export interface RevisionStats {
  rollout: string;
  revision: number;
  /** The extra replica set measured ({@link ReplicaSetSpec.set}); absent for the revision's own. */
  set?: string;
  /** Window length actually covered, s. */
  windowSeconds: number;
  requests: number;
  /** Responses with status 5xx plus proxy-generated failures. */
  errors: number;
  status: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number; proxyError: number };
  /** requests / windowSeconds, req/s. */
  requestRate: number;
  /** errors / requests, ratio 0..1; NaN (serialized as null) when there were no requests. */
  errorRate: number | null;
  /** Latency quantile in seconds for the requested quantile; null when there were no requests. */
  latency: number | null;
  quantile: number;
  /**
   * For {@link MIRROR_SET}: mirrored requests whose answer was compared with the client's, and the
   * ratio 0..1 of those that differed (null when none was compared).
   */
  mirror?: { compared: number; mismatches: number; mismatchRate: number | null };
}

/**
 * One target group of `GET /v1/sd`, in Prometheus' HTTP service discovery format (`http_sd_configs`):
 * `targets` are `host:port`, `labels` are attached to every series scraped from them.
 */
export interface HttpSdTargetGroup {
  targets: string[];
  labels: { rollout: string; revision: string; replica: string; set?: string };
}

/**
 * Where a data plane listens and which processes it is; written to `$CUTOVER_HOME/dataplane.json`
 * (0600) by its supervisor each time a router process is ready.
 */
export interface DataPlaneInfo {
  /** pid of the supervisor: the data plane's long-lived process, parent of the replicas. */
  pid: number;
  /** pid of the router process that serves traffic and the admin API (restarted by the supervisor). */
  routerPid: number;
  /**
   * Unix socket of the admin API, mode 0600 in the 0700 data directory: whoever can connect is the
   * control plane (the server's user).
   */
  adminSocket: string;
  /** TCP port on 127.0.0.1 of the read-only metrics listener (`/metrics`, `/v1/sd`, `/healthz`). */
  metricsPort: number;
  /**
   * TCP port of the OFREP listener (feature flag evaluation, on `$CUTOVER_ROUTER_HOST`); absent in
   * the dataplane.json of a data plane older than feature flags.
   */
  ofrepPort?: number;
  /** When the supervisor started, ms since the epoch. */
  startedAt: number;
  /** When the current router process started, ms since the epoch. */
  routerStartedAt: number;
  /** Router processes the supervisor has restarted (0 for the first). */
  routerRestarts: number;
  version: string;
}

/** Traffic of one revision during one whole second, as streamed by `GET /v1/stream`. */
export interface RevisionSecond {
  rollout: string;
  revision: number;
  requests: number;
  /** Responses with status 5xx plus proxy-generated failures. */
  errors: number;
  status: RevisionStats['status'];
  /** p95 latency during that second, s; null without requests. */
  latencyP95: number | null;
}

/** One server-sent event (`event: second`) of `GET /v1/stream`, sent once per second. */
export interface DataPlaneSecond {
  /** Start of the second, ms since the epoch. */
  at: number;
  revisions: RevisionSecond[];
}

/** Body of every error response of the admin API (4xx/5xx). */
export interface DataPlaneErrorBody {
  error: {
    /** Stable code, `CUTOVER_E_...`. */
    code: string;
    message: string;
    /** For CUTOVER_E_PORT_IN_USE. */
    port?: number;
    /** For CUTOVER_E_DATAPLANE_INVALID_SPEC: field path, e.g. `listeners[0].backends[1].weight`. */
    path?: string;
    rollout?: string;
  };
}

/** One whole second of one revision's traffic with its latency histogram, as `GET /v1/traffic` answers. */
export interface RevisionSecondDetail {
  /** Start of the second, s since the epoch. */
  second: number;
  requests: number;
  /** Responses with status 5xx plus proxy-generated failures. */
  errors: number;
  /**
   * Non-empty latency buckets as `[bucket, count]` pairs, bucket ascending; bucket i holds latencies
   * in (latencyBounds[i - 1], latencyBounds[i]] s, the last one (i = latencyBounds.length) above them.
   */
  latency: [number, number][];
}

/**
 * Per-second traffic of every revision of one Rollout over whole seconds `[from, to)`
 * (`GET /v1/traffic?rollout=R&from=S` or `&window=N`), from the router's 300 s ring. Seconds without
 * requests are left out.
 */
export interface TrafficSeconds {
  rollout: string;
  /** First second covered, s since the epoch; later than asked when older seconds have left the ring. */
  from: number;
  /** End (exclusive), s since the epoch: the current second, still incomplete, is never included. */
  to: number;
  /** Upper bounds of the router's latency buckets, s, ascending (log-spaced, ×1.2). */
  latencyBounds: number[];
  revisions: { revision: number; seconds: RevisionSecondDetail[] }[];
}

/** Body of `PUT /v1/flags`: every FeatureFlags resource the data plane serves (the whole set, not a change). */
export interface FlagSetsSpec {
  flagSets: import('../flags/index.js').ServedFlagSet[];
}

/** `GET /v1/flags` and the answer to `PUT /v1/flags`: what the OFREP listener serves. */
export interface FlagSetsStatus {
  /** sha256 (hex) of the flag sets served (`flagSetsHash`), to tell whether a push is needed. */
  hash: string;
  flagSets: { name: string; environment?: string; keys: string[] }[];
  /** When this flag set started to be served, ms since the epoch (0: never pushed). */
  servedSince: number;
}

/** `GET /v1/flags/sets`: the flag sets the OFREP listener serves, whole (as last pushed). */
export interface FlagSetsServed {
  /** As {@link FlagSetsStatus.hash}. */
  hash: string;
  /** As {@link FlagSetsStatus.servedSince}. */
  servedSince: number;
  flagSets: import('../flags/index.js').ServedFlagSet[];
}
