import type { FastifyInstance } from 'fastify';
import type { ControlPlaneStatus } from '../api/views.js';
import type { Store } from '../store/index.js';
import { CONTROLLER_LEASE } from './leader-election.js';
import type { RouteRegistry } from './route-registry.js';

/** What `GET /api/v1/server/status` needs of the server. */
export interface ControlPlaneStatusDeps {
  store: Store;
  /** This replica's id. */
  self: string;
  /** The store, described without a password (`sqlite:PATH`, `postgres://user@host/db`). */
  storeLocation: string;
  /** Lease duration, ms; undefined when there is no election (a single server on SQLite). */
  leaseDurationMs: number | undefined;
}

/** `GET /api/v1/server/status`: the control-plane replicas, the leader and the controller lease. */
export function registerControlPlaneRoutes(
  app: FastifyInstance,
  routes: RouteRegistry,
  deps: ControlPlaneStatusDeps,
): void {
  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/server/status',
      permission: 'read',
      tag: 'system',
      summary:
        'The control-plane replicas, the leader and the controller lease (holder, fencing token, expiry)',
    },
    async (): Promise<ControlPlaneStatus> => {
      const { lease, now } = await deps.store.getLease(CONTROLLER_LEASE);
      const durationMs = deps.leaseDurationMs;
      if (durationMs === undefined) {
        const replicas = await deps.store.listReplicas(0);
        return {
          self: deps.self,
          store: deps.storeLocation,
          lease: null,
          leader: deps.self,
          replicas: replicas.filter((r) => r.id === deps.self).map((r) => ({ ...r, leader: true })),
          now,
        };
      }
      const expired = lease === undefined || lease.expiresAt <= now;
      const leader = lease !== undefined && !expired ? lease.holder : null;
      const replicas = await deps.store.listReplicas(now - 3 * durationMs);
      return {
        self: deps.self,
        store: deps.storeLocation,
        lease: lease === undefined ? null : { ...lease, durationMs, expired },
        leader,
        replicas: replicas.map((r) => ({ ...r, leader: r.id === leader })),
        now,
      };
    },
  );
}
