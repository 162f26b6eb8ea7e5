import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { ApiError } from './errors.js';
import type { RouteRegistry } from './route-registry.js';

type NameParams = { name: string };

/**
 * `GET /api/v1/rollouts/:name/handoffs`: the Rollout's handoff runs, newest first, each with its
 * steps (durations, answers) and the sha256 and size of the state it passed on, never the state.
 */
export function registerHandoffRoutes(app: FastifyInstance, routes: RouteRegistry, store: Store): void {
  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/handoffs',
      permission: 'read',
      tag: 'rollouts',
      summary: "The Rollout's coordination handoffs, newest first (steps, durations, state sha256 and size)",
    },
    async (req) => {
      const rollout = await store.getRollout(req.params.name);
      if (!rollout) throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `rollout ${req.params.name} not found`);
      const runs = await store.listHandoffRuns({ rollout: req.params.name });
      return { items: runs };
    },
  );
}
