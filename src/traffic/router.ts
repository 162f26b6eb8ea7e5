import {
  type ConnectionPoolSpec,
  FLAG_VARIANT_SET_PREFIX,
  type ListenerSpec,
  MIRROR_SET,
  type OutlierDetectionSpec,
  type OutlierEjection,
  type RetriesSpec,
  type RevisionSecond,
  type RevisionStats,
  replicaSetKey,
  type SessionCount,
  type StreamsCut,
} from '../dataplane/protocol.js';
import { ConnectionBudget, defaultMaxConnections } from './connection-budget.js';
import { Endpoint, type EndpointAddress } from './endpoint.js';
import { PortInUseError } from './errors.js';
import { HeaderRoute } from './header-route.js';
import { Listener } from './listener.js';
import { MirrorSender, mirrorRecorders } from './mirror-copy.js';
import { MirrorRoute } from './mirror-route.js';
import { OutlierDetector } from './outlier-detection.js';
import { DIRECT_PORT_BINDER, type PortBinder } from './port-binder.js';
import { renderRouterMetrics } from './prometheus-exposition.js';
import { RetryPolicy } from './retry-policy.js';
import { PROXY_ERROR, type WindowTotals } from './revision-recorder.js';
import { RevisionTarget } from './revision-target.js';
import { RouteTable } from './route-table.js';
import { DEFAULT_MAX_SESSIONS, SessionTable } from './session-table.js';
import { UpstreamPolicy } from './upstream-policy.js';

/** `retries.retryOn` when absent, as Istio's default retry policy (minus HTTP/2's conditions). */
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,gateway-error';

/** Tuning of the {@link Router}; every field has a default. */
export interface RouterOptions {
  /** Address the public listeners bind. @default '127.0.0.1' (env `CUTOVER_ROUTER_HOST` in the data plane) */
  host?: string;
  /** How long a request waits for a ready endpoint before 503, ms. @default 10000 */
  holdTimeoutMs?: number;
  /** Upstream connect timeout, ms (then 502). @default 5000 */
  connectTimeoutMs?: number;
  /** Wait for upstream response headers, ms (then 504). @default 60000 */
  headersTimeoutMs?: number;
  /** Maximum idle time between two upstream body chunks, ms. @default 300000 */
  bodyTimeoutMs?: number;
  /** Upper bound on the wait for in-flight requests of a closing listener, ms. @default 30000 */
  closeTimeoutMs?: number;
  /** Clock, ms since the epoch. @default Date.now */
  now?: () => number;
  /**
   * Most client connections open at once across every listener; at the cap a listener closes its
   * longest-idle keep-alive connection for a new one, or answers `503` with `Retry-After: 1` when
   * none is idle. @default (soft open-files limit - 512) / 2, at least 64 (env
   * `CUTOVER_ROUTER_MAX_CONNECTIONS` in the data plane)
   */
  maxConnections?: number;
  /**
   * Owner of the listening sockets. @default {@link DIRECT_PORT_BINDER} (this process binds them;
   * the data plane's router process gets them from its supervisor)
   */
  binder?: PortBinder;
  /**
   * Sessions one listener with session affinity keeps at most (least recently used out first).
   * @default 100000
   */
  maxSessions?: number;
}

/** A Rollout's own traffic policy in the router (`RolloutDataPlaneSpec`'s fields). */
export interface RolloutRoutePolicy {
  outlierDetection?: OutlierDetectionSpec | undefined;
  /** Per-request upstream timeout (to the response head), ms; 504 after it. */
  timeoutMs?: number | undefined;
  connectionPool?: ConnectionPoolSpec | undefined;
  retries?: RetriesSpec | undefined;
}

interface RolloutRoutes {
  /** By `replicaSetKey`: a revision's own set, or an extra (experiment) set. */
  targets: Map<string, RevisionTarget>;
  /** The Rollout's outlier detection, shared by its targets; null when it has none. */
  outliers: OutlierDetector | null;
  /** The Rollout's timeout, connection pool and retries, shared by its targets and endpoints. */
  policy: UpstreamPolicy;
  /** The policy's specs as applied (for the status). */
  connectionPool: ConnectionPoolSpec | undefined;
  retries: RetriesSpec | undefined;
  listeners: Map<number, Listener>;
  specs: ListenerSpec[];
}

/** Cuts remembered per Rollout. */
const CUTS_KEPT = 50;

/** A target without endpoints, listener or traffic for this long is forgotten, ms. */
const TARGET_RETENTION_MS = 310_000;

/**
 * The built-in router: one HTTP/1.1 reverse-proxy listener per public port of each Rollout,
 * weighted across revisions, recording per-revision traffic. Endpoints are pushed by the platform
 * with {@link Router.setEndpoints}; {@link Router.drainEndpoint} waits for an endpoint's in-flight
 * requests before the platform stops its replica.
 */
export class Router {
  readonly #options: Required<Omit<RouterOptions, 'now' | 'maxConnections'>> & { budget: ConnectionBudget };
  readonly #now: () => number;
  readonly #rollouts = new Map<string, RolloutRoutes>();
  /** Every bound port, across Rollouts. */
  readonly #ports = new Map<number, Listener>();
  readonly #endpoints = new Map<string, Endpoint>();
  /** Sends mirrored copies for every listener (bounded across the router). */
  readonly #mirrors = new MirrorSender();
  readonly #closing = new Set<Promise<void>>();
  /** Per Rollout, the last cuts of open requests by a replica's stop (see {@link streamsCut}). */
  readonly #cuts = new Map<string, StreamsCut[]>();
  readonly #cutTotals = new Map<string, number>();

  constructor(options: RouterOptions = {}) {
    this.#options = {
      host: options.host ?? '127.0.0.1',
      holdTimeoutMs: options.holdTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 300_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 30_000,
      binder: options.binder ?? DIRECT_PORT_BINDER,
      maxSessions: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
      budget: new ConnectionBudget(options.maxConnections ?? defaultMaxConnections()),
    };
    this.#now = options.now ?? Date.now;
  }

  #routes(rollout: string): RolloutRoutes {
    let routes = this.#rollouts.get(rollout);
    if (routes === undefined) {
      routes = {
        targets: new Map(),
        listeners: new Map(),
        specs: [],
        outliers: null,
        policy: new UpstreamPolicy(),
        connectionPool: undefined,
        retries: undefined,
      };
      this.#rollouts.set(rollout, routes);
    }
    return routes;
  }

  #target(routes: RolloutRoutes, rollout: string, revision: number, set?: string): RevisionTarget {
    const key = replicaSetKey({ revision, set });
    let target = routes.targets.get(key);
    if (target === undefined) {
      target = new RevisionTarget(rollout, revision, this.#now(), set);
      target.outliers = routes.outliers;
      target.policy = routes.policy;
      routes.targets.set(key, target);
    }
    return target;
  }

  /**
   * Make the Rollout's listeners exactly `listeners`: bind new ports first, then swap the routes,
   * then close listeners of ports no longer wanted (gracefully, in the background). Idempotent.
   * @throws PortInUseError when a port is bound by another Rollout or another process; ListenError
   *   on other bind failures. The previous listeners and routes are then unchanged.
   */
  async applyRollout(
    rollout: string,
    listeners: readonly ListenerSpec[],
    policy: RolloutRoutePolicy = {},
  ): Promise<void> {
    const routes = this.#routes(rollout);
    const added: Listener[] = [];
    try {
      for (const spec of listeners) {
        if (routes.listeners.has(spec.port)) continue;
        const owner = this.#ports.get(spec.port);
        if (owner !== undefined) {
          throw new PortInUseError(rollout, spec.port, `it is the port of rollout ${owner.rollout}`);
        }
        const listener = new Listener(rollout, spec.port, this.#options);
        listener.mirrors = this.#mirrors;
        await listener.listen();
        added.push(listener);
      }
    } catch (err) {
      await Promise.all(added.map((l) => l.close()));
      if (routes.listeners.size === 0 && routes.targets.size === 0) this.#rollouts.delete(rollout);
      throw err;
    }
    for (const listener of added) {
      routes.listeners.set(listener.port, listener);
      listener.outliers = routes.outliers;
      this.#ports.set(listener.port, listener);
    }
    const wanted = new Set<number>();
    for (const spec of listeners) {
      wanted.add(spec.port);
      const targets = spec.backends.map((b) => this.#target(routes, rollout, b.revision, b.set));
      // Compiled here, once per change, so a request never compiles a regex.
      const headerRoutes = (spec.headerRoutes ?? []).map(
        (r) => new HeaderRoute(r, this.#target(routes, rollout, r.revision)),
      );
      const mirrorRoutes = (spec.mirrorRoutes ?? []).map((r) => {
        const target = this.#target(routes, rollout, r.revision);
        mirrorRecorders(target, this.#now());
        return new MirrorRoute(r, target);
      });
      const listener = routes.listeners.get(spec.port)!;
      listener.table = new RouteTable(
        targets,
        spec.backends.map((b) => b.weight),
        headerRoutes,
        mirrorRoutes,
      );
      // Sessions outlive route changes (that is the point); a changed affinity starts afresh.
      const affinity = spec.sessionAffinity;
      if (affinity === undefined) listener.sessions = null;
      else if (listener.sessions === null || !listener.sessions.sameSpec(affinity)) {
        listener.sessions = new SessionTable(affinity, this.#options.maxSessions);
      }
    }
    routes.specs = listeners.map(copyListener);
    this.#applyOutlierDetection(routes, policy.outlierDetection);
    applyUpstreamPolicy(routes, policy);
    for (const [port, listener] of routes.listeners) {
      if (wanted.has(port)) continue;
      routes.listeners.delete(port);
      this.#ports.delete(port);
      this.#track(listener.close());
    }
    this.#prune(routes);
    for (const listener of routes.listeners.values()) listener.releaseHeld();
  }

  /** A new or changed outlier detection replaces the old one (its ejections end); none removes it. */
  #applyOutlierDetection(routes: RolloutRoutes, spec: OutlierDetectionSpec | undefined): void {
    if (spec === undefined ? routes.outliers === null : routes.outliers?.sameSpec(spec) === true) return;
    routes.outliers?.close();
    routes.outliers = spec === undefined ? null : new OutlierDetector(spec);
    for (const target of routes.targets.values()) {
      target.outliers = routes.outliers;
      target.refresh();
    }
    for (const listener of routes.listeners.values()) listener.outliers = routes.outliers;
  }

  /** The Rollout's upstream timeout as applied, ms, if it has one. */
  timeoutMs(rollout: string): number | undefined {
    return this.#rollouts.get(rollout)?.policy.timeoutMs ?? undefined;
  }

  /** The Rollout's connection pool and retries as applied (absent when not set). */
  upstreamPolicy(rollout: string): { connectionPool?: ConnectionPoolSpec; retries?: RetriesSpec } {
    const routes = this.#rollouts.get(rollout);
    return {
      ...(routes?.connectionPool !== undefined ? { connectionPool: routes.connectionPool } : {}),
      ...(routes?.retries !== undefined ? { retries: routes.retries } : {}),
    };
  }

  /** The Rollout's outlier detection as applied, if any. */
  outlierDetection(rollout: string): OutlierDetectionSpec | undefined {
    return this.#rollouts.get(rollout)?.outliers?.spec;
  }

  /** Outlier detection's last ejections of the Rollout (those in force and earlier ones). */
  ejections(rollout: string): OutlierEjection[] {
    return [...(this.#rollouts.get(rollout)?.outliers?.ejections() ?? [])];
  }

  #track(closing: Promise<void>): void {
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  #prune(routes: RolloutRoutes): void {
    const referenced = new Set<string>();
    for (const spec of routes.specs) {
      for (const b of spec.backends) referenced.add(replicaSetKey(b));
      for (const r of spec.headerRoutes ?? []) referenced.add(replicaSetKey(r));
      for (const r of spec.mirrorRoutes ?? []) referenced.add(replicaSetKey(r));
    }
    const now = this.#now();
    for (const [key, target] of routes.targets) {
      if (referenced.has(key) || target.endpoints.length > 0 || target.inFlight > 0) continue;
      const last = Math.max(target.recorder.lastRecordAt, target.recorder.createdAt);
      if (now - last > TARGET_RETENTION_MS) routes.targets.delete(key);
    }
  }

  /** The listeners of a Rollout as last applied (bound). */
  listeners(rollout: string): ListenerSpec[] {
    return this.#rollouts.get(rollout)?.specs.map(copyListener) ?? [];
  }

  /**
   * Close the Rollout's listeners (in-flight requests finish) and forget its routes and statistics.
   */
  async removeRollout(rollout: string): Promise<void> {
    const routes = this.#rollouts.get(rollout);
    if (routes === undefined) return;
    this.#rollouts.delete(rollout);
    routes.outliers?.close();
    const closing: Promise<void>[] = [];
    for (const listener of routes.listeners.values()) {
      this.#ports.delete(listener.port);
      closing.push(listener.close());
    }
    await Promise.all(closing);
  }

  /**
   * Replace the set of endpoints that receive new requests for one revision (ready, not draining).
   * Requests in flight to a removed endpoint are not affected. Held requests are dispatched if they
   * can now be routed.
   * @param set - an extra replica set of the revision (`ReplicaSetSpec.set`); absent for its own.
   */
  setEndpoints(rollout: string, revision: number, addresses: readonly EndpointAddress[], set?: string): void {
    const routes = this.#routes(rollout);
    const target = this.#target(routes, rollout, revision, set);
    const list: Endpoint[] = [];
    for (const address of addresses) {
      let endpoint = this.#endpoints.get(address.id);
      if (endpoint !== undefined && (endpoint.port !== address.port || endpoint.host !== address.host)) {
        const stale = endpoint;
        this.#track(stale.whenIdle(this.#options.closeTimeoutMs).then(() => stale.close()));
        endpoint = undefined;
      }
      if (endpoint === undefined) {
        endpoint = new Endpoint(address, this.#options);
        this.#endpoints.set(address.id, endpoint);
      }
      endpoint.rollout = rollout;
      endpoint.revision = revision;
      endpoint.policy = routes.policy;
      list.push(endpoint);
    }
    target.setEndpoints(list);
    for (const listener of routes.listeners.values()) listener.releaseHeld();
  }

  /**
   * Wait until no request is in flight to the endpoint (it must already be out of
   * {@link setEndpoints}), bounded by `timeoutMs`, then close its keep-alive sockets and forget it.
   * @returns the requests still in flight when it gave up (0 when drained).
   */
  async drainEndpoint(id: string, timeoutMs: number): Promise<number> {
    const endpoint = this.#endpoints.get(id);
    if (endpoint === undefined) return 0;
    for (const routes of this.#rollouts.values()) {
      for (const target of routes.targets.values()) {
        if (target.allEndpoints.includes(endpoint))
          target.setEndpoints(target.allEndpoints.filter((e) => e !== endpoint));
      }
    }
    const remaining = await endpoint.whenIdle(timeoutMs);
    if (this.#endpoints.get(id) === endpoint) this.#endpoints.delete(id);
    await endpoint.close();
    if (remaining > 0) this.#recordCut(endpoint, remaining);
    return remaining;
  }

  /** Requests (open streams, long responses) cut because a replica stopped after its grace period. */
  #recordCut(endpoint: Endpoint, connections: number): void {
    const cut: StreamsCut = {
      replica: endpoint.id,
      revision: endpoint.revision,
      at: this.#now(),
      connections,
    };
    const list = this.#cuts.get(endpoint.rollout) ?? [];
    list.push(cut);
    if (list.length > CUTS_KEPT) list.shift();
    this.#cuts.set(endpoint.rollout, list);
    this.#cutTotals.set(endpoint.rollout, (this.#cutTotals.get(endpoint.rollout) ?? 0) + connections);
  }

  /** The Rollout's last cuts (at most 50), oldest first: requests still open when a replica's grace period ended. */
  streamsCut(rollout: string): StreamsCut[] {
    return [...(this.#cuts.get(rollout) ?? [])];
  }

  /** Sessions per revision of the Rollout's listeners with session affinity. */
  sessions(rollout: string): SessionCount[] {
    const out: SessionCount[] = [];
    for (const listener of this.#rollouts.get(rollout)?.listeners.values() ?? []) {
      for (const [target, sessions] of listener.sessions?.counts() ?? []) {
        if (target.set === undefined) out.push({ port: listener.port, revision: target.revision, sessions });
      }
    }
    return out.sort((a, b) => a.port - b.port || a.revision - b.revision);
  }

  /** Requests in flight to one endpoint (0 if unknown). */
  endpointInFlight(id: string): number {
    return this.#endpoints.get(id)?.inFlight ?? 0;
  }

  /**
   * Statistics of one revision (or of an extra replica set of it) over a trailing window.
   * @param windowSeconds - 1..300, s.
   * @param quantile - ratio 0..1 for `latency`.
   * @param set - an extra replica set of the revision; {@link MIRROR_SET} for the answers to the
   *   copies mirrored to it; `flagVariantSet(flag, variant)` for its responses that named that
   *   feature flag variant; absent for the revision's own set.
   */
  stats(
    rollout: string,
    revision: number,
    windowSeconds: number,
    quantile: number,
    set?: string,
  ): RevisionStats {
    const now = this.#now();
    if (set === MIRROR_SET) {
      // The answers to the copies mirrored to the revision (role `mirror`), and their comparison.
      const target = this.#rollouts.get(rollout)?.targets.get(replicaSetKey({ revision }));
      const comparison = target?.mirrorComparison?.window(windowSeconds, quantile, now);
      const compared = comparison?.requests ?? 0;
      const mismatches = comparison?.counts[4] ?? 0;
      return {
        ...statsOf(
          rollout,
          revision,
          set,
          target?.mirrorRecorder?.window(windowSeconds, quantile, now),
          windowSeconds,
          quantile,
        ),
        mirror: { compared, mismatches, mismatchRate: compared === 0 ? null : mismatches / compared },
      };
    }
    if (set?.startsWith(FLAG_VARIANT_SET_PREFIX) === true) {
      // The revision's responses that named one flag variant (`x-cutover-flag-variant`).
      const pair = set.slice(FLAG_VARIANT_SET_PREFIX.length);
      const eq = pair.indexOf('=');
      const target = this.#rollouts.get(rollout)?.targets.get(replicaSetKey({ revision }));
      const recorder = eq < 0 ? undefined : target?.variants?.get(pair.slice(0, eq), pair.slice(eq + 1));
      return statsOf(
        rollout,
        revision,
        set,
        recorder?.window(windowSeconds, quantile, now),
        windowSeconds,
        quantile,
      );
    }
    const target = this.#rollouts.get(rollout)?.targets.get(replicaSetKey({ revision, set }));
    return statsOf(
      rollout,
      revision,
      set,
      target?.recorder.window(windowSeconds, quantile, now),
      windowSeconds,
      quantile,
    );
  }

  /**
   * Per-revision traffic of the whole second `sec` (s since the epoch), for every known revision.
   * Extra (experiment) replica sets are left out: the stream is per revision.
   */
  second(sec: number): RevisionSecond[] {
    const out: RevisionSecond[] = [];
    for (const [rollout, routes] of this.#rollouts) {
      for (const target of routes.targets.values()) {
        if (target.set !== undefined) continue;
        const s = target.recorder.second(sec);
        const counts = s?.counts ?? [0, 0, 0, 0, 0, 0];
        let requests = 0;
        for (const n of counts) requests += n;
        out.push({
          rollout,
          revision: target.revision,
          requests,
          errors: counts[4]! + counts[PROXY_ERROR]!,
          status: statusOf(counts),
          latencyP95: s?.latencySeconds ?? null,
        });
      }
    }
    return out;
  }

  /** Prometheus text exposition (format 0.0.4) of the router's metrics. */
  metricsText(): string {
    const rollouts = [...this.#rollouts].map(([rollout, routes]) => ({
      rollout,
      targets: [...routes.targets.values()],
      listeners: routes.specs,
      sessions: this.sessions(rollout),
      streamsCut: this.#cutTotals.get(rollout) ?? 0,
      mirrorDropped: this.#mirrors.dropped.get(rollout) ?? 0,
      ...(routes.outliers !== null ? { ejectionsTotal: routes.outliers.ejectionsTotal } : {}),
    }));
    return renderRouterMetrics(rollouts, this.#options.budget);
  }

  /** Close every listener (in-flight requests finish) and every upstream pool. */
  async close(): Promise<void> {
    const rollouts = [...this.#rollouts.keys()];
    await Promise.all(rollouts.map((r) => this.removeRollout(r)));
    await Promise.all([...this.#closing]);
    await Promise.all([...this.#endpoints.values()].map((e) => e.close()));
    this.#endpoints.clear();
    await this.#mirrors.close();
  }
}

/** A deep copy; `headerRoutes` only when there are some, so a listener without any reads as before. */
function copyListener(l: ListenerSpec): ListenerSpec {
  const copy: ListenerSpec = { port: l.port, backends: l.backends.map((b) => ({ ...b })) };
  if (l.headerRoutes !== undefined && l.headerRoutes.length > 0)
    copy.headerRoutes = structuredClone(l.headerRoutes);
  if (l.mirrorRoutes !== undefined && l.mirrorRoutes.length > 0)
    copy.mirrorRoutes = structuredClone(l.mirrorRoutes);
  if (l.sessionAffinity !== undefined) copy.sessionAffinity = { ...l.sessionAffinity };
  return copy;
}

/** {@link RevisionStats} of a recorder's window (undefined: nothing recorded). */
function statsOf(
  rollout: string,
  revision: number,
  set: string | undefined,
  window: WindowTotals | undefined,
  windowSeconds: number,
  quantile: number,
): RevisionStats {
  const counts = window?.counts ?? [0, 0, 0, 0, 0, 0];
  const requests = window?.requests ?? 0;
  const errors = counts[4]! + counts[PROXY_ERROR]!;
  const covered = window?.coveredSeconds ?? windowSeconds;
  return {
    rollout,
    revision,
    ...(set !== undefined ? { set } : {}),
    windowSeconds: covered,
    requests,
    errors,
    status: statusOf(counts),
    requestRate: requests / covered,
    errorRate: requests === 0 ? null : errors / requests,
    latency: requests === 0 ? null : (window?.latency ?? null),
    quantile,
  };
}

function statusOf(counts: readonly number[]): RevisionStats['status'] {
  return {
    '1xx': counts[0] ?? 0,
    '2xx': counts[1] ?? 0,
    '3xx': counts[2] ?? 0,
    '4xx': counts[3] ?? 0,
    '5xx': counts[4] ?? 0,
    proxyError: counts[PROXY_ERROR] ?? 0,
  };
}

/** Set the Rollout's shared {@link UpstreamPolicy} in place from its spec. */
function applyUpstreamPolicy(routes: RolloutRoutes, spec: RolloutRoutePolicy): void {
  const policy = routes.policy;
  const pool = spec.connectionPool;
  const retries = spec.retries;
  policy.timeoutMs = spec.timeoutMs ?? null;
  policy.connectTimeoutMs = pool?.connectTimeoutMs ?? null;
  policy.maxConnections = pool?.maxConnections ?? Number.POSITIVE_INFINITY;
  policy.maxPendingRequests = pool?.http1MaxPendingRequests ?? Number.POSITIVE_INFINITY;
  policy.maxRequestsPerConnection = pool?.maxRequestsPerConnection ?? 0;
  policy.maxRetries = pool?.maxRetries ?? Number.POSITIVE_INFINITY;
  if (JSON.stringify(retries) !== JSON.stringify(routes.retries)) {
    policy.retry =
      retries === undefined
        ? null
        : new RetryPolicy(
            retries.attempts,
            retries.perTryTimeoutMs ?? null,
            retries.retryOn ?? DEFAULT_RETRY_ON,
          );
  }
  routes.connectionPool = pool === undefined ? undefined : { ...pool };
  routes.retries = retries === undefined ? undefined : { ...retries };
}
