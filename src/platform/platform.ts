import type { ReplicaSetSpec, ReplicaSetStatus } from '../dataplane/protocol.js';

/** Where one replica listens; what the router needs to send it requests. */
export interface ReplicaEndpoint {
  /** Stable replica id, `<rollout>-r<revision>-<n>` (a stateful Rollout's: `<rollout>-<ordinal>`). */
  id: string;
  host: string;
  /** TCP port, 1..65535. */
  port: number;
}

/**
 * What a platform needs from the router: it publishes the endpoints that may receive new
 * requests and, before it stops a replica, waits for the replica's in-flight requests to finish.
 * The built-in `Router` implements it.
 */
export interface EndpointSink {
  /** Replace the endpoints of one revision that receive new requests (ready, not draining). */
  /** @param set - an extra replica set of the revision (`ReplicaSetSpec.set`); absent for its own set. */
  setEndpoints(rollout: string, revision: number, endpoints: readonly ReplicaEndpoint[], set?: string): void;
  /**
   * Resolve when no request is in flight to the endpoint (bounded by `timeoutMs`), after closing
   * its idle keep-alive sockets. Resolves with the requests still in flight (0 when drained).
   */
  drainEndpoint(id: string, timeoutMs: number): Promise<number>;
  /** Requests in flight to the endpoint (0 when unknown). */
  endpointInFlight(id: string): number;
}

/**
 * Runs the replicas of revisions (one extension point, one folder per implementation:
 * `platform/local/`; Kubernetes comes later). All methods are idempotent in their desired state.
 */
export interface Platform {
  /**
   * Make the Rollout's replica sets exactly `replicaSets`: start missing replicas, scale down
   * (not-ready replicas first, then the newest), stop revisions no longer listed. Returns at once;
   * stopping continues in the background (visible in {@link status}).
   * @param activeReplica - as `RolloutDataPlaneSpec.activeReplica`: only this replica's endpoint is
   *   published (null: none); absent: every ready replica's.
   */
  apply(rollout: string, replicaSets: readonly ReplicaSetSpec[], activeReplica?: string | null): void;
  /** The active replica as last applied; undefined when the Rollout has none set. */
  activeReplica(rollout: string): string | null | undefined;
  /** Observed replica sets of the Rollout, including revisions still stopping. */
  status(rollout: string): ReplicaSetStatus[];
  /** Names of the Rollouts the platform runs replicas for. */
  rollouts(): string[];
  /** Gracefully stop every replica of the Rollout and forget it. */
  remove(rollout: string): Promise<void>;
  /** Gracefully stop every replica of every Rollout. */
  stopAll(): Promise<void>;
}
