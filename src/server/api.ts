import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Whoami } from '../api/views.js';
import { mintToken, QUALIFIERS, type Qualifier, ROLE_PERMISSIONS, ROLES, USER_KINDS } from '../auth/index.js';
import type { ConfigService } from '../config/index.js';
import type { Controller } from '../controller/index.js';
import type { DataPlaneClient } from '../dataplane/index.js';
import { ROLLOUT_COMMANDS, type RolloutCommand } from '../engine/index.js';
import { BuiltinMetricsUnavailableError } from '../platform/errors.js';
import type { ReleaseService } from '../release/index.js';
import type { Store, StoredRollout, StoredToken } from '../store/index.js';
import type { SpecApplier } from './apply.js';
import type { AuditLog } from './audit-log.js';
import { principalOf } from './auth.js';
import { registerConfigRoutes } from './config-routes.js';
import type { ControlPlaneMetrics } from './control-plane-metrics.js';
import type { DriftDetector } from './drift-detector.js';
import { ApiError } from './errors.js';
import type { EventStreams } from './event-stream.js';
import { registerFeatureFlagRoutes } from './feature-flag-routes.js';
import { registerHandoffRoutes } from './handoff-routes.js';
import { openApiDocument } from './openapi.js';
import { absoluteFile, parseBody } from './parse-body.js';
import { registerReleaseRoutes } from './release-routes.js';
import { rolloutResource } from './rollout-resource.js';
import { rolloutStats } from './rollout-stats.js';
import { RouteRegistry } from './route-registry.js';

export interface ApiDeps {
  store: Store;
  controller: Controller;
  applier: SpecApplier;
  /** Served at `GET /metrics`. */
  metrics: ControlPlaneMetrics;
  /** The live event streams (`GET /api/v1/events/stream`). */
  streams: EventStreams;
  /** The data plane's client as of now (it changes when the data plane is restarted). */
  dataPlane: () => DataPlaneClient;
  now: () => number;
  version: string;
  /** Stops the server (for `POST /api/v1/shutdown`). */
  shutdown: () => void;
  /** The release workflow (`/api/v1/releases`, ...). */
  releases: ReleaseService;
  /** The audit log (`GET /api/v1/audit/verify`). */
  audit: AuditLog;
  /** ConfigMaps and Secrets (`/api/v1/configmaps`, `/api/v1/secrets`). */
  configs: ConfigService;
  /** Sends the stored FeatureFlags to the data plane now (a kill switch). */
  pushFeatureFlags: () => Promise<void>;
  /** The key-encryption key's file (`secret rotate-key`). */
  kekPath: string;
  /** Drift detection (`GET /api/v1/drift`). */
  drift: Pick<DriftDetector, 'report'>;
}

const applyBody = z.strictObject({ file: absoluteFile, text: z.string(), now: z.boolean().optional() });
const promoteBody = z.strictObject({ full: z.boolean().optional() });
const undoBody = z.strictObject({
  toRevision: z.number().int().positive().optional(),
  now: z.boolean().optional(),
  restoreState: z.boolean().optional(),
});
const analysisRunsQuery = z.strictObject({ rollout: z.string().min(1).optional() });
const eventsQuery = z.strictObject({
  rollout: z.string().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().positive().max(5000).optional(),
});
const streamQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().optional(),
  access_token: z.string().optional(),
});
const statsQuery = z.strictObject({
  window: z.coerce.number().int().min(1).max(300).optional(),
  quantile: z.coerce.number().gt(0).lt(1).optional(),
  series: z.enum(['true', 'false']).optional(),
});
const trafficQuery = z.strictObject({
  from: z.coerce.number().int().nonnegative().optional(),
  window: z.coerce.number().int().min(1).max(300).optional(),
});
const tokenBody = z
  .strictObject({
    user: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a name of letters, digits, . _ -'),
    role: z.enum(ROLES),
    qualifier: z.enum(QUALIFIERS).optional(),
    kind: z.enum(USER_KINDS).optional(),
  })
  .refine((b) => (b.role === 'approver') === (b.qualifier !== undefined), {
    path: ['qualifier'],
    message: `an approver needs a qualifier (${QUALIFIERS.join(', ')}); other roles take none`,
  });
const auditQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().positive().max(5000).optional(),
});

/** An optional JSON body: absent or `null` is `{}`. */
const bodyOf = (body: unknown) => body ?? {};

async function rolloutOr404(store: Store, name: string) {
  const rollout = await store.getRollout(name);
  if (!rollout) throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `rollout ${name} not found`, { path: 'name' });
  return rollout;
}

/** A token as listed: everything but the hash of its secret. */
function tokenView(t: StoredToken) {
  return {
    id: t.id,
    user: t.user,
    kind: t.kind,
    role: t.role,
    qualifier: t.qualifier,
    createdAt: t.createdAt,
    revokedAt: t.revokedAt,
  };
}

type NameParams = { name: string };

/**
 * Registers the versioned REST API (`/api/v1/...`), `/healthz` and `/metrics`; every route goes
 * through a {@link RouteRegistry} so `GET /api/v1/openapi.json` describes exactly what is served.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): RouteRegistry {
  const { store, controller, applier } = deps;
  const routes = new RouteRegistry();

  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ code: 'CUTOVER_E_NOT_FOUND', message: `no route ${req.method} ${req.url}` });
  });

  routes.add(
    app,
    {
      method: 'GET',
      url: '/healthz',
      permission: 'public',
      tag: 'system',
      summary: 'Liveness: 200 while the API answers (no token needed)',
      response: { type: 'object', properties: { ok: { type: 'boolean' } } },
    },
    async () => ({ ok: true }),
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/metrics',
      permission: 'read',
      tag: 'system',
      summary: 'Prometheus metrics of the control plane',
      produces: 'text/plain',
    },
    async (_req, reply) => {
      const { contentType, body } = await deps.metrics.text();
      return reply.type(contentType).send(body);
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/openapi.json',
      permission: 'read',
      tag: 'system',
      summary: 'This API as an OpenAPI 3.1 document',
    },
    async () => openApiDocument(routes.routes, deps.version),
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/whoami',
      permission: 'read',
      tag: 'auth',
      summary: "The caller's identity, role and permissions (a UI shows only the actions allowed)",
      response: 'Principal',
    },
    async (req): Promise<Whoami> => {
      const p = principalOf(req);
      return {
        user: p.user,
        kind: p.kind,
        role: p.role,
        qualifier: p.qualifier,
        actor: p.actor,
        tokenId: p.tokenId,
        permissions: ROLE_PERMISSIONS[p.role],
      };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts',
      permission: 'read',
      tag: 'rollouts',
      summary: 'Every Rollout',
      response: {
        type: 'object',
        properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Rollout' } } },
      },
    },
    async () => {
      const rollouts = await store.listRollouts();
      return { items: rollouts.map(rolloutResource) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name',
      permission: 'read',
      tag: 'rollouts',
      summary: 'One Rollout: spec and status',
      response: 'Rollout',
    },
    async (req) => rolloutResource(await rolloutOr404(store, req.params.name)),
  );

  routes.add<NameParams>(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/rollouts/:name',
      permission: 'deploy',
      tag: 'rollouts',
      summary: 'Delete a Rollout (its replicas are stopped)',
    },
    async (req) => {
      const name = req.params.name;
      const actor = principalOf(req).actor;
      await controller.exclusive(async () => {
        await rolloutOr404(store, name);
        await store.deleteRollout(name, {
          time: deps.now(),
          rollout: name,
          type: 'Normal',
          reason: 'RolloutDeleted',
          message: `Rollout ${name} deleted`,
          actor,
        });
      });
      controller.wake();
      return { deleted: name };
    },
  );

  routes.add(
    app,
    {
      method: 'POST',
      url: '/api/v1/apply',
      permission: 'deploy',
      tag: 'rollouts',
      summary: 'Create or update Rollouts and AnalysisTemplates from YAML text (validated whole first)',
      body: applyBody,
      bodyRequired: true,
      // A file may hold a Secret's stringData.
      secretBody: true,
    },
    async (req) => {
      const body = parseBody(applyBody, req.body);
      const p = principalOf(req);
      const applied = await applier.apply(body.text, body.file, p.actor, p.role, { now: body.now === true });
      controller.wake();
      return applied;
    },
  );

  for (const command of ROLLOUT_COMMANDS) {
    routes.add<NameParams>(
      app,
      {
        method: 'POST',
        url: `/api/v1/rollouts/:name/${command}`,
        permission: 'deploy',
        tag: 'rollouts',
        summary: `${command} the Rollout (as kubectl argo rollouts ${command})`,
        ...(command === 'promote' ? { body: promoteBody } : {}),
        response: 'Rollout',
      },
      async (req) => {
        const options = command === 'promote' ? parseBody(promoteBody, bodyOf(req.body)) : {};
        const rollout = await controller.command(
          req.params.name,
          command as RolloutCommand,
          options,
          principalOf(req).actor,
        );
        return rolloutResource(rollout);
      },
    );
  }

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/rollouts/:name/undo',
      permission: 'deploy',
      tag: 'rollouts',
      summary: 'Roll back to the previous revision (or toRevision) by applying its template',
      body: undoBody,
    },
    async (req) => {
      const body = parseBody(undoBody, bodyOf(req.body));
      const result = await applier.undo(req.params.name, body.toRevision, principalOf(req).actor, {
        now: body.now === true,
        restoreState: body.restoreState === true,
      });
      controller.wake();
      return result;
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/replicasets',
      answeredBy: 'leader',
      permission: 'read',
      tag: 'rollouts',
      summary: "The Rollout's replica sets and listeners as the data plane last reported them",
    },
    async (req) => {
      await rolloutOr404(store, req.params.name);
      const observed = controller.lastDataPlane?.rollouts.find((r) => r.rollout === req.params.name);
      return {
        items: observed?.replicaSets ?? [],
        listeners: observed?.listeners ?? [],
        sessions: observed?.sessions ?? [],
        ejections: observed?.ejections ?? [],
      };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/revisions',
      permission: 'read',
      tag: 'rollouts',
      summary: "The Rollout's revisions, oldest first",
    },
    async (req) => {
      const rollout = await rolloutOr404(store, req.params.name);
      return { items: rollout.revisions };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/analysisruns',
      permission: 'read',
      tag: 'analysis',
      summary: "The Rollout's AnalysisRuns, newest first",
    },
    async (req) => {
      await rolloutOr404(store, req.params.name);
      return { items: await store.listAnalysisRuns({ rollout: req.params.name }) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/stats',
      permission: 'read',
      tag: 'rollouts',
      summary:
        'Traffic per revision (stable, current/canary, active, preview): request rate, error rate, latency quantile; with series=true also per-second counts',
      query: statsQuery,
      response: 'RolloutStats',
    },
    async (req) => {
      const q = parseBody(statsQuery, req.query);
      const rollout = await rolloutOr404(store, req.params.name);
      refuseClusterTraffic(rollout);
      return rolloutStats(deps.dataPlane(), rollout, {
        windowSeconds: q.window ?? 60,
        quantile: q.quantile ?? 0.95,
        series: q.series === 'true',
      });
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/rollouts/:name/traffic',
      permission: 'read',
      tag: 'rollouts',
      summary:
        "The router's per-second traffic of every revision (requests, errors, status classes, latency buckets) from second `from` (s since the epoch) or over the last `window` s (1..300, default 60)",
      query: trafficQuery,
    },
    async (req) => {
      const q = parseBody(trafficQuery, req.query);
      refuseClusterTraffic(await rolloutOr404(store, req.params.name));
      const range = q.from !== undefined ? { from: q.from } : { window: q.window ?? 60 };
      try {
        return await deps.dataPlane().traffic(req.params.name, range);
      } catch (error) {
        throw new ApiError(
          503,
          'CUTOVER_E_DATA_PLANE_UNAVAILABLE',
          `the data plane did not answer: ${(error as Error).message}`,
        );
      }
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/analysisruns',
      permission: 'read',
      tag: 'analysis',
      summary: 'AnalysisRuns (of one Rollout with ?rollout=), newest first',
      query: analysisRunsQuery,
    },
    async (req) => {
      const q = parseBody(analysisRunsQuery, req.query);
      if (q.rollout !== undefined) await rolloutOr404(store, q.rollout);
      return { items: await store.listAnalysisRuns(q.rollout !== undefined ? { rollout: q.rollout } : {}) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/analysisruns/:name',
      permission: 'read',
      tag: 'analysis',
      summary: 'One AnalysisRun with its measurements',
    },
    async (req) => {
      const run = await store.getAnalysisRun(req.params.name);
      if (!run)
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `analysis run ${req.params.name} not found`, {
          path: 'name',
        });
      return run;
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/analysistemplates',
      permission: 'read',
      tag: 'analysis',
      summary: 'Every AnalysisTemplate and ClusterAnalysisTemplate',
    },
    async () => ({ items: await store.listAnalysisTemplates() }),
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/events',
      permission: 'read',
      tag: 'events',
      summary: 'The event log: the most recent `limit` events (after `after`), oldest first',
      query: eventsQuery,
      response: {
        type: 'object',
        properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Event' } } },
      },
    },
    async (req) => {
      const q = parseBody(eventsQuery, req.query);
      return {
        items: await store.listEvents({
          ...(q.rollout !== undefined ? { rollout: q.rollout } : {}),
          ...(q.after !== undefined ? { afterId: q.after } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        }),
      };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/events/stream',
      permission: 'read',
      tag: 'events',
      summary:
        'Server-sent events: `rollout-event` (id = event id; resumes after Last-Event-ID or ?after=) and `rollout` (a Rollout whose status changed). Token also as ?access_token=',
      query: streamQuery,
      produces: 'text/event-stream',
      sse: true,
    },
    async (req, reply) => {
      const q = parseBody(streamQuery, req.query);
      await deps.streams.serve(req, reply, q.after);
    },
  );

  routes.add(
    app,
    {
      method: 'POST',
      url: '/api/v1/tokens',
      permission: 'admin',
      tag: 'auth',
      summary: 'Create a token for a user (created when new); the answer holds the token, shown once',
      body: tokenBody,
      bodyRequired: true,
      response: 'CreatedToken',
    },
    async (req) => {
      const body = parseBody(tokenBody, req.body);
      const kind = body.kind ?? 'user';
      const existing = (await store.listTokens()).find((t) => t.user === body.user);
      if (existing && existing.kind !== kind) {
        throw new ApiError(
          409,
          'CUTOVER_E_CONFLICT',
          `${body.user} is an existing ${existing.kind}, not a ${kind}`,
          { path: 'kind' },
        );
      }
      const minted = mintToken();
      const token: Omit<StoredToken, 'revokedAt'> = {
        id: minted.id,
        user: body.user,
        kind,
        role: body.role,
        qualifier: (body.qualifier ?? null) as Qualifier | null,
        hash: minted.hash,
        createdAt: deps.now(),
      };
      await store.createToken(token);
      return { ...tokenView({ ...token, revokedAt: null }), token: minted.token };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/tokens',
      permission: 'admin',
      tag: 'auth',
      summary: 'Every token (revoked ones included), without secrets',
      response: {
        type: 'object',
        properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Token' } } },
      },
    },
    async () => ({ items: (await store.listTokens()).map(tokenView) }),
  );

  routes.add<{ id: string }>(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      permission: 'admin',
      tag: 'auth',
      summary: 'Revoke one token (idempotent)',
    },
    async (req) => {
      if (!(await store.getToken(req.params.id)))
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `token ${req.params.id} not found`, { path: 'id' });
      return { revoked: await store.revokeTokens({ id: req.params.id }, deps.now()) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'DELETE',
      url: '/api/v1/users/:name/tokens',
      permission: 'admin',
      tag: 'auth',
      summary: 'Revoke every token of a user (idempotent)',
    },
    async (req) => {
      if (!(await store.listTokens()).some((t) => t.user === req.params.name))
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `user ${req.params.name} not found`, { path: 'name' });
      return { revoked: await store.revokeTokens({ user: req.params.name }, deps.now()) };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/audit',
      permission: 'admin',
      tag: 'audit',
      summary: 'The audit log, oldest first (`limit` entries after `after`)',
      query: auditQuery,
      response: {
        type: 'object',
        properties: { items: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } } },
      },
    },
    async (req) => {
      const q = parseBody(auditQuery, req.query);
      return {
        items: await store.listAudit({
          ...(q.after !== undefined ? { afterId: q.after } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        }),
      };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/audit/verify',
      permission: 'admin',
      tag: 'audit',
      summary:
        'Recompute the HMAC chain and check its head checkpoint; names the first edited entry, the one after a deleted entry, or the deleted newest ones',
      response: 'AuditVerification',
    },
    async () => deps.audit.verify(),
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/drift',
      answeredBy: 'leader',
      permission: 'read',
      tag: 'drift',
      summary:
        'Current drift: the findings of the last drift pass (object, field, desired and observed values, policy, since), every CUTOVER_DRIFT_INTERVAL_SECONDS',
      response: 'DriftReport',
    },
    async () => deps.drift.report(),
  );

  routes.add(
    app,
    {
      method: 'POST',
      url: '/api/v1/shutdown',
      answeredBy: 'replica',
      permission: 'admin',
      tag: 'system',
      summary: 'Stop the control plane (the data plane keeps serving)',
    },
    async () => {
      setImmediate(deps.shutdown);
      return { stopping: true };
    },
  );

  registerReleaseRoutes(app, routes, { store, releases: deps.releases, now: deps.now });
  registerHandoffRoutes(app, routes, store);
  registerConfigRoutes(app, routes, { configs: deps.configs, applier, controller, kekPath: deps.kekPath });
  registerFeatureFlagRoutes(app, routes, { store, now: deps.now, push: deps.pushFeatureFlags });

  return routes;
}

/**
 * The router's traffic of a Rollout that runs on the kubernetes platform (stored with
 * `spec.kubernetes`) does not exist: its requests never pass cutover's router.
 * @throws ApiError 409 `CUTOVER_E_BUILTIN_METRICS_UNAVAILABLE` for such a Rollout.
 */
function refuseClusterTraffic(rollout: StoredRollout): void {
  if (rollout.spec.kubernetes === undefined) return;
  const { code, message } = new BuiltinMetricsUnavailableError(rollout.name);
  throw new ApiError(409, code, message);
}
