import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type ConfigService, storedConfigName } from '../config/index.js';
import type { Controller } from '../controller/index.js';
import { commitNextKek, createNextKek } from '../secret/envelope.js';
import type { SpecApplier } from './apply.js';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';
import { parseBody } from './parse-body.js';
import type { RouteRegistry } from './route-registry.js';

const KEY = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const environmentSchema = z.string().regex(NAME, 'an Environment name (a DNS label)').optional();
const setKeyBody = z.strictObject({
  value: z
    .string()
    .max(128 * 1024 - 1)
    .refine((v) => !v.includes('\0'), 'no NUL'),
  /** The Secret of this environment (`metadata.environment`); absent: of every environment. */
  environment: environmentSchema,
});
const getQuery = z.strictObject({ environment: environmentSchema });
const revealBody = z.strictObject({
  environment: environmentSchema,
  /** @default the latest */
  version: z.number().int().min(1).optional(),
});
const OBJECT = { type: 'object', additionalProperties: true };

/**
 * ConfigMaps and Secrets (issue 14): lists (never a Secret's value) and `secret set`. Applying them
 * goes through `POST /api/v1/apply`.
 */
export function registerConfigRoutes(
  app: FastifyInstance,
  routes: RouteRegistry,
  deps: { configs: ConfigService; applier: SpecApplier; controller: Controller; kekPath: string },
): void {
  routes.add(
    app,
    {
      method: 'POST',
      url: '/api/v1/secrets/rotate-key',
      permission: 'admin',
      tag: 'config',
      summary:
        "Rotate the key-encryption key: every Secret version's data key is re-wrapped under a new key, which then replaces the old one (values and versions unchanged)",
      response: OBJECT,
    },
    async () => {
      const next = createNextKek(deps.kekPath);
      const rewrapped = await deps.configs.rotateKey(next);
      commitNextKek(deps.kekPath);
      return { rewrapped, kek: next.id };
    },
  );
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    const plural = `${kind.toLowerCase()}s`;
    routes.add(
      app,
      {
        method: 'GET',
        url: `/api/v1/${plural}`,
        permission: 'read',
        tag: 'config',
        summary:
          kind === 'Secret'
            ? "Every Secret's latest version: name, version, keys, sha256 fingerprint, who changed it; never a value"
            : "Every ConfigMap's latest version with its data",
        response: OBJECT,
      },
      async () => ({ items: await deps.configs.list(kind) }),
    );
    routes.add<{ name: string }>(
      app,
      {
        method: 'GET',
        url: `/api/v1/${plural}/:name`,
        permission: 'read',
        tag: 'config',
        summary: `One ${kind}'s latest version${kind === 'Secret' ? ' (never its values)' : ''}; ?environment=E: the one of environment E`,
        response: OBJECT,
      },
      async (req) => {
        const { environment } = parseBody(getQuery, req.query);
        const found = await deps.configs.get(kind, req.params.name, environment);
        if (found === undefined)
          throw new ApiError(
            404,
            'CUTOVER_E_NOT_FOUND',
            `${kind} ${req.params.name}${environment === undefined ? '' : ` of environment ${environment}`} not found`,
            { path: 'name' },
          );
        return found;
      },
    );
  }
  routes.add<{ name: string; key: string }>(
    app,
    {
      method: 'POST',
      url: '/api/v1/secrets/:name/keys/:key/reveal',
      permission: 'admin',
      tag: 'config',
      summary:
        "Read one key's value of a Secret version (admin only; the only route that returns a value). Audited as the Secret's name, key, version and the version's sha256 fingerprint, never the value; a refused call is audited too",
      body: revealBody,
      response: OBJECT,
    },
    async (req, reply) => {
      const { environment, version } = parseBody(revealBody, req.body ?? {});
      const stored = storedConfigName(req.params.name, environment);
      const found = await deps.configs.reveal(stored, req.params.key, version);
      req.auditSummary = `reveal Secret ${stored} key ${req.params.key} version ${found?.version ?? version ?? 'latest'}${found === undefined ? ' (not found)' : ` sha256 ${found.sha256}`}`;
      if (found === undefined)
        throw new ApiError(
          404,
          'CUTOVER_E_NOT_FOUND',
          `Secret ${stored}${version === undefined ? '' : ` version ${version}`} has no key ${req.params.key}`,
          { path: 'key' },
        );
      void reply.header('cache-control', 'no-store');
      return {
        name: req.params.name,
        ...(environment === undefined ? {} : { environment }),
        key: req.params.key,
        version: found.version,
        sha256: found.sha256,
        value: found.value.reveal(),
      };
    },
  );
  routes.add<{ name: string; key: string }>(
    app,
    {
      method: 'POST',
      url: '/api/v1/secrets/:name/keys/:key',
      permission: 'deploy',
      tag: 'config',
      summary:
        'Set one key of a Secret (a new version; every Rollout that takes it gets a new revision). The body is audited as its sha256 only',
      body: setKeyBody,
      bodyRequired: true,
      secretBody: true,
      response: OBJECT,
    },
    async (req) => {
      const { value, environment } = parseBody(setKeyBody, req.body);
      if (!NAME.test(req.params.name))
        throw new ApiError(
          400,
          'CUTOVER_E_INVALID',
          `secret name ${JSON.stringify(req.params.name)}: expected a DNS label`,
          { path: 'name' },
        );
      if (!KEY.test(req.params.key))
        throw new ApiError(
          400,
          'CUTOVER_E_INVALID',
          `key ${JSON.stringify(req.params.key)}: expected letters, digits and -._`,
          { path: 'key' },
        );
      const result = await deps.applier.setSecretKey(
        req.params.name,
        req.params.key,
        value,
        principalOf(req).actor,
        environment,
      );
      deps.controller.wake();
      return result;
    },
  );
}
