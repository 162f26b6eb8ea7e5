import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/index.js';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';
import type { RouteRegistry } from './route-registry.js';

const FLAG_KEY = /^[A-Za-z0-9_.-]{1,256}$/;

type NameParams = { name: string };

/**
 * `GET /api/v1/featureflags` and `GET /api/v1/featureflags/:name`: the FeatureFlags resources as
 * applied (flagd flag definitions). Viewers and above: flags hold no secret. They are created and
 * replaced through `POST /api/v1/apply`; the data plane serves them over OFREP.
 */
export function registerFeatureFlagRoutes(
  app: FastifyInstance,
  routes: RouteRegistry,
  deps: {
    store: Store;
    now: () => number;
    /** Sends the stored flag sets to the data plane (the OFREP listener) and resolves once it serves them. */
    push: () => Promise<void>;
  },
): void {
  const { store } = deps;
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

  routes.add<{ key: string }>(
    app,
    {
      method: 'POST',
      url: '/api/v1/featureflags/kill/:key',
      permission: 'deploy',
      tag: 'featureflags',
      summary:
        "Kill switch: the flag key turns DISABLED in every FeatureFlags resource that defines it (every evaluation then answers the caller's default), served by the data plane before the answer; audited",
      response: { type: 'object', additionalProperties: true },
    },
    async (req) => {
      const key = req.params.key;
      if (!FLAG_KEY.test(key))
        throw new ApiError(
          400,
          'CUTOVER_E_BAD_REQUEST',
          `flag key ${JSON.stringify(key)}: expected 1..256 of A-Z a-z 0-9 _ . -`,
          {
            path: 'key',
          },
        );
      const owners = (await store.listFeatureFlags()).filter((f) => f.spec.flags[key] !== undefined);
      if (owners.length === 0)
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `no FeatureFlags resource defines flag ${key}`, {
          path: 'key',
        });
      const killed = owners.map((f) => ({
        ...f,
        spec: { ...f.spec, flags: { ...f.spec.flags, [key]: { ...f.spec.flags[key], state: 'DISABLED' } } },
      }));
      const actor = principalOf(req).actor;
      await store.apply({ rollouts: [], templates: [], featureFlags: killed }, actor, deps.now());
      await store.appendEvents([
        {
          time: deps.now(),
          rollout: null,
          type: 'Warning',
          reason: 'FeatureFlagKilled',
          message: `flag ${key} killed (DISABLED) in ${owners.map((f) => f.metadata.name).join(', ')}`,
          actor,
        },
      ]);
      // Served before the answer: the caller knows the kill is in effect when it returns.
      let served = true;
      await deps.push().catch(() => {
        served = false;
      });
      return { flag: key, resources: owners.map((f) => f.metadata.name), served };
    },
  );
}
