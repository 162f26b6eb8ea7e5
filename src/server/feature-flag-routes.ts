import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { ApiError } from './errors.js';
import type { RouteRegistry } from './route-registry.js';

type NameParams = { name: string };

/**
 * `GET /api/v1/featureflags` and `GET /api/v1/featureflags/:name`: the FeatureFlags resources as
 * applied (flagd flag definitions). Viewers and above: flags hold no secret. They are created and
 * replaced through `POST /api/v1/apply`; the data plane serves them over OFREP.
 */
export function registerFeatureFlagRoutes(app: FastifyInstance, routes: RouteRegistry, store: Store): void {
  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/featureflags',
      permission: 'read',
      tag: 'featureflags',
      summary: 'FeatureFlags resources (flagd flag sets served over OFREP), by name',
      response: { type: 'object', properties: { items: { type: 'array' } } },
    },
    async () => ({ items: await store.listFeatureFlags() }),
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/featureflags/:name',
      permission: 'read',
      tag: 'featureflags',
      summary: 'One FeatureFlags resource as applied',
    },
    async (req) => {
      const flags = await store.getFeatureFlags(req.params.name);
      if (flags === undefined)
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `featureflags ${req.params.name} not found`, {
          path: 'name',
        });
      return flags;
    },
  );
}
