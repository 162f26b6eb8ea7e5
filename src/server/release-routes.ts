import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { STAGE_OWNERS } from '../crew/index.js';
import { computeDora, deploymentRecordMarkdown, incidentRecordMarkdown } from '../records/index.js';
import type { ReleaseService } from '../release/index.js';
import { deployedRevisionsOf, rolloutNameIn } from '../release/index.js';
import type { Store } from '../store/index.js';
import {
  overrideFreeze,
  RELEASE_STAGES,
  RELEASE_TYPES,
  ROLLBACK_TYPES,
  resolveWindowPolicy,
} from '../workflow/index.js';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';
import { absoluteFile, parseBody } from './parse-body.js';
import type { RouteRegistry } from './route-registry.js';

export interface ReleaseRouteDeps {
  store: Store;
  releases: ReleaseService;
  now: () => number;
}

const createBody = z.strictObject({
  file: absoluteFile,
  text: z.string(),
  type: z.enum(RELEASE_TYPES).optional(),
});
const commentBody = z.strictObject({ comment: z.string().trim().min(1, 'a comment is required') });
const cancelBody = z.strictObject({ reason: z.string().optional() });
const rollbackBody = z.strictObject({
  type: z.enum(ROLLBACK_TYPES),
  reason: z.string().trim().min(1, 'a reason is required'),
  trigger: z.string().min(1).optional(),
  values: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).optional(),
  toRelease: z.string().min(1).max(63).optional(),
});
const stageBody = z.strictObject({
  stage: z.enum(RELEASE_STAGES),
  environment: z.string().min(1),
  outcome: z.enum(['Succeeded', 'Failed']),
  reason: z.string().optional(),
  report: z.unknown().optional(),
});
const findingBody = z.strictObject({
  level: z.enum(['investigate', 'escalation']),
  message: z.string().trim().min(1),
});
const revision = z.number().int().positive().nullable();
const progressBody = z.strictObject({
  environment: z.string().min(1),
  percent: z.number().min(0).max(100),
  rollouts: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        rollout: z.string().min(1),
        after: z.array(z.string().min(1)).max(1000),
        state: z.enum(['Waiting', 'Progressing', 'Verifying', 'Healthy', 'Degraded', 'Failed', 'RolledBack']),
        phase: z.number().int().positive().nullable(),
        fromRevision: revision,
        revision,
        runningRevision: revision,
        step: z.strictObject({ index: z.number().int().min(0), count: z.number().int().min(0) }).nullable(),
        weight: z.number().min(0).max(100),
        message: z.string(),
      }),
    )
    .max(1000),
  phases: z
    .array(
      z.strictObject({
        at: z.number().int().nonnegative(),
        started: z.array(z.string().min(1)),
        checkpoint: z.record(z.string(), revision),
      }),
    )
    .max(1000),
  smokeTests: z
    .array(
      z.strictObject({
        kind: z.enum(['afterEach', 'connectivityTest']),
        name: z.string().min(1),
        rollout: z.string().min(1),
        passed: z.boolean(),
        detail: z.string(),
        at: z.number().int().nonnegative(),
      }),
    )
    .max(10_000),
  updatedAt: z.number().int().nonnegative(),
});
const listQuery = z.strictObject({ active: z.enum(['true', 'false']).optional() });
const recordQuery = z.strictObject({ format: z.enum(['json', 'markdown']).optional() });
const incidentsQuery = z.strictObject({ release: z.string().min(1).optional() });
const doraQuery = z.strictObject({
  from: z.coerce.number().int().nonnegative(),
  to: z.coerce.number().int().positive(),
  service: z.string().min(1).optional(),
  environment: z.string().min(1).optional(),
});
const freezeOverrideBody = z.strictObject({
  freeze: z.string().min(1),
  reason: z.string().trim().min(1, 'a reason is required; it is recorded'),
});

type NameParams = { name: string };
const OBJECT = { type: 'object' };

/**
 * The release workflow's routes (`/api/v1/releases`, `/environments`, `/incidents`,
 * `/analytics/dora`). People and crew agents use the same routes: an agent's stage result or
 * rollback is recorded with its actor like a person's approval.
 */
export function registerReleaseRoutes(
  app: FastifyInstance,
  routes: RouteRegistry,
  deps: ReleaseRouteDeps,
): void {
  const { store, releases } = deps;

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/environments',
      permission: 'read',
      tag: 'releases',
      summary: 'Environments in promotion order',
      response: OBJECT,
    },
    async () => ({ items: await store.listEnvironments() }),
  );

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/environments/:name/freeze-overrides',
      permission: 'admin',
      tag: 'releases',
      summary: 'Override a freeze of the environment (admin only, with a recorded reason)',
      body: freezeOverrideBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(freezeOverrideBody, req.body);
      const p = principalOf(req);
      const env = await store.getEnvironment(req.params.name);
      if (!env)
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `environment ${req.params.name} not found`, {
          path: 'name',
        });
      const policy = resolveWindowPolicy(env.spec.windows, `environments.${req.params.name}.windows`);
      const override = overrideFreeze(policy, body.freeze, {
        actor: p.actor,
        role: p.role,
        reason: body.reason,
        at: deps.now(),
      });
      await store.appendFreezeOverride(req.params.name, override);
      await store.appendEvents([
        {
          time: override.at,
          rollout: null,
          type: 'Warning',
          reason: 'FreezeOverridden',
          message: `freeze ${body.freeze} of ${req.params.name} overridden by ${p.actor}: ${override.reason}`,
          actor: p.actor,
        },
      ]);
      return override;
    },
  );

  routes.add(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases',
      permission: 'deploy',
      tag: 'releases',
      summary: 'Create a release from the YAML text of a Release file (cutover release create -f)',
      body: createBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req, reply) => {
      const body = parseBody(createBody, req.body);
      const p = principalOf(req);
      const view = await releases.create(body.text, body.file, p.actor, p.role, body.type);
      return reply.status(201).send(view);
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/releases',
      permission: 'read',
      tag: 'releases',
      summary: 'Releases, newest first (?active=true: those that have not ended)',
      query: listQuery,
      response: OBJECT,
    },
    async (req) => {
      const q = parseBody(listQuery, req.query);
      return { items: await releases.list({ active: q.active === 'true' }) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/releases/:name',
      permission: 'read',
      tag: 'releases',
      summary: 'One release with its plan, approvals, reports, incidents and record',
      response: OBJECT,
    },
    async (req) => releases.get(req.params.name),
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/releases/:name/events',
      permission: 'read',
      tag: 'releases',
      summary: "The release's events, oldest first",
      response: OBJECT,
    },
    async (req) => {
      await releases.get(req.params.name);
      return { items: await store.listEvents({ release: req.params.name, limit: 5000 }) };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'GET',
      url: '/api/v1/releases/:name/record',
      permission: 'read',
      tag: 'releases',
      summary: 'The deployment record (JSON, or Markdown with ?format=markdown)',
      query: recordQuery,
      response: OBJECT,
    },
    async (req, reply) => {
      const query = parseBody(recordQuery, req.query);
      await releases.get(req.params.name);
      const record = await store.getDeploymentRecord(req.params.name);
      if (!record) {
        throw new ApiError(
          404,
          'CUTOVER_E_NOT_FOUND',
          `release ${req.params.name} has no deployment record yet (it is written when the release ends after DEPLOY)`,
        );
      }
      if (query.format !== 'markdown') return record;
      const incidents = await store.listIncidents({ release: req.params.name });
      const text = [deploymentRecordMarkdown(record), ...incidents.map(incidentRecordMarkdown)].join('\n\n');
      return reply.type('text/markdown; charset=utf-8').send(text);
    },
  );

  for (const verb of ['approve', 'reject'] as const) {
    routes.add<NameParams>(
      app,
      {
        method: 'POST',
        url: `/api/v1/releases/:name/${verb}`,
        permission: 'approve',
        tag: 'releases',
        summary: `${verb === 'approve' ? 'Approve' : 'Reject'} the release with a comment (the creator can never approve)`,
        body: commentBody,
        bodyRequired: true,
        response: OBJECT,
      },
      async (req) => {
        const { comment } = parseBody(commentBody, req.body);
        const p = principalOf(req);
        return releases.dispatch(
          req.params.name,
          { type: verb, actor: p.actor, role: p.role, qualifier: p.qualifier, comment },
          p.actor,
        );
      },
    );
  }

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases/:name/cancel',
      permission: 'deploy',
      tag: 'releases',
      summary: 'Cancel a release that has not reached DEPLOY',
      body: cancelBody,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(cancelBody, req.body ?? {});
      const p = principalOf(req);
      return releases.dispatch(
        req.params.name,
        { type: 'cancel', actor: p.actor, ...(body.reason === undefined ? {} : { reason: body.reason }) },
        p.actor,
      );
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases/:name/rollback',
      permission: 'deploy',
      approverQualifiers: ['devops'],
      tag: 'releases',
      summary:
        'Roll back a release in DEPLOY or MONITOR, or one that ended SUCCESS (traffic, database or full; toRelease: to the version an earlier release deployed, at once); opens an incident record',
      body: rollbackBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(rollbackBody, req.body);
      const p = principalOf(req);
      if (body.toRelease !== undefined) await checkRollbackTarget(releases, req.params.name, body);
      return releases.dispatch(
        req.params.name,
        {
          type: 'rollbackRequested',
          rollbackType: body.type,
          reason: body.reason,
          actor: p.actor,
          ...(body.toRelease === undefined ? {} : { toRelease: body.toRelease }),
        },
        p.actor,
        {
          type: body.type,
          reason: body.reason,
          trigger: body.trigger ?? (p.kind === 'user' ? 'manual' : 'monitor'),
          ...(body.values === undefined ? {} : { values: body.values }),
        },
      );
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases/:name/stages',
      permission: 'deploy',
      tag: 'releases',
      summary: 'A crew agent reports the result of the running stage, with its report',
      body: stageBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(stageBody, req.body);
      const p = principalOf(req);
      const owner = STAGE_OWNERS[body.stage];
      if (p.kind !== 'agent' || p.user !== owner) {
        throw new ApiError(
          403,
          'CUTOVER_E_STAGE_OWNER',
          owner === undefined
            ? `stage ${body.stage} has no results to report (it moves on approvals)`
            : `results of stage ${body.stage} are reported by the crew agent ${owner} only, not by ${p.actor}`,
          { path: 'stage' },
        );
      }
      const report = body.report === undefined ? {} : { report: body.report };
      return releases.dispatch(
        req.params.name,
        body.outcome === 'Succeeded'
          ? { type: 'stageSucceeded', stage: body.stage, environment: body.environment, ...report }
          : {
              type: 'stageFailed',
              stage: body.stage,
              environment: body.environment,
              reason: body.reason ?? 'failed',
              ...report,
            },
        p.actor,
      );
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases/:name/progress',
      permission: 'deploy',
      tag: 'releases',
      summary:
        "The crew agent of the running stage reports the plan's progress in its environment (stored with the release; an event per change of state)",
      body: progressBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(progressBody, req.body);
      const p = principalOf(req);
      const refuse = (who: string) =>
        new ApiError(
          403,
          'CUTOVER_E_STAGE_OWNER',
          `the plan's progress is reported by ${who} only, not by ${p.actor}`,
        );
      // A person is refused before the release is even looked up.
      if (p.kind !== 'agent') throw refuse("the crew's agents");
      const release = await releases.get(req.params.name);
      const owner = STAGE_OWNERS[release.stage];
      if (p.user !== owner) throw refuse(`the crew agent owning stage ${release.stage} (${owner ?? 'none'})`);
      await releases.recordProgress(req.params.name, body, p.actor);
      return { recorded: true };
    },
  );

  routes.add<NameParams>(
    app,
    {
      method: 'POST',
      url: '/api/v1/releases/:name/findings',
      permission: 'deploy',
      tag: 'releases',
      summary: 'A crew agent records a finding (investigate or escalation): an event and a notification',
      body: findingBody,
      bodyRequired: true,
      response: OBJECT,
    },
    async (req) => {
      const body = parseBody(findingBody, req.body);
      const p = principalOf(req);
      if (p.kind !== 'agent')
        throw new ApiError(
          403,
          'CUTOVER_E_STAGE_OWNER',
          `findings are recorded by the crew's agents only, not by ${p.actor}`,
        );
      await releases.recordFinding(req.params.name, body.level, body.message, principalOf(req).actor);
      return { recorded: true };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/incidents',
      permission: 'read',
      tag: 'releases',
      summary: 'Incident records (of one release with ?release=)',
      query: incidentsQuery,
      response: OBJECT,
    },
    async (req) => {
      const query = parseBody(incidentsQuery, req.query);
      return {
        items: await store.listIncidents(query.release === undefined ? {} : { release: query.release }),
      };
    },
  );

  routes.add(
    app,
    {
      method: 'GET',
      url: '/api/v1/analytics/dora',
      permission: 'read',
      tag: 'releases',
      summary: 'The four DORA keys over [from, to) (ms since epoch), per service and environment',
      query: doraQuery,
      response: OBJECT,
    },
    async (req) => {
      const q = parseBody(doraQuery, req.query);
      if (q.to <= q.from)
        throw new ApiError(400, 'CUTOVER_E_BAD_REQUEST', 'to: expected a time after from', { path: 'to' });
      const records = await store.listDeploymentRecords();
      const incidents = await store.listIncidents();
      return computeDora(records, incidents, {
        from: q.from,
        to: q.to,
        ...(q.service === undefined ? {} : { service: q.service }),
        ...(q.environment === undefined ? {} : { environment: q.environment }),
      });
    },
  );
}

/**
 * `toRelease` must name another release that deployed (DEPLOY succeeded) at least one of this
 * release's production Rollouts, and only a traffic rollback can take it (a database restore has
 * only this release's backup).
 * @throws ApiError 404 `CUTOVER_E_NOT_FOUND`, 409 `CUTOVER_E_ROLLBACK_TARGET`.
 */
async function checkRollbackTarget(
  releases: ReleaseService,
  name: string,
  body: { type: string; toRelease?: string },
): Promise<void> {
  const target = body.toRelease as string;
  const current = await releases.get(name);
  if (body.type !== 'traffic') {
    throw new ApiError(
      409,
      'CUTOVER_E_ROLLBACK_TARGET',
      `--to-release takes a traffic rollback, not ${body.type}`,
      {
        path: 'type',
      },
    );
  }
  const earlier = await releases.get(target).catch(() => {
    throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `release ${target} not found`, { path: 'toRelease' });
  });
  const deployed = deployedRevisionsOf(earlier) ?? [];
  const ours = new Set(current.spec.rollouts.map((r) => rolloutNameIn(r.name, current.environment)));
  const shared = deployed.filter((d) => ours.has(d.name));
  if (shared.length === 0) {
    throw new ApiError(
      409,
      'CUTOVER_E_ROLLBACK_TARGET',
      `release ${target} did not deploy this release's Rollouts in ${current.environment} (it has no successful DEPLOY there)`,
      { path: 'toRelease' },
    );
  }
}
