import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Controller } from '../controller/index.js';
import { ROLLOUT_COMMANDS, type RolloutCommand } from '../engine/index.js';
import type { Store } from '../store/index.js';
import type { SpecApplier } from './apply.js';
import type { ControlPlaneMetrics } from './control-plane-metrics.js';
import { ApiError } from './errors.js';
import { rolloutResource } from './rollout-resource.js';

export interface ApiDeps {
  store: Store;
  controller: Controller;
  applier: SpecApplier;
  /** Served at `GET /metrics`. */
  metrics: ControlPlaneMetrics;
  /** Stops the server (for `POST /api/v1/shutdown`). */
  shutdown: () => void;
}

const applyBody = z.strictObject({ file: z.string().min(1), text: z.string() });
const promoteBody = z.strictObject({ full: z.boolean().optional() }).optional();
const undoBody = z.strictObject({ toRevision: z.number().int().positive().optional() }).optional();
const analysisRunsQuery = z.strictObject({ rollout: z.string().min(1).optional() });
const eventsQuery = z.strictObject({
  rollout: z.string().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().positive().max(5000).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new ApiError(
    400,
    'CUTOVER_E_BAD_REQUEST',
    `${path ? `${path}: ` : ''}${issue?.message ?? 'invalid body'}`,
    {
      path,
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    },
  );
}

/** The actor of a request: until tokens exist (issue 4), the CLI names its OS user. */
function actorOf(headers: Record<string, unknown>): string {
  const actor = headers['x-cutover-actor'];
  return typeof actor === 'string' && /^[\w.:@-]{1,64}$/.test(actor) ? actor : 'user:anonymous';
}

async function rolloutOr404(store: Store, name: string) {
  const rollout = await store.getRollout(name);
  if (!rollout) throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `rollout ${name} not found`, { path: 'name' });
  return rollout;
}

/** Registers the versioned REST API (`/api/v1/...`). */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { store, controller, applier } = deps;

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_req, reply) => {
    const { contentType, body } = await deps.metrics.text();
    return reply.type(contentType).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .send({ code: 'CUTOVER_E_NOT_FOUND', message: `no route ${req.method} ${req.url}` });
  });

  app.get('/api/v1/rollouts', async () => {
    const rollouts = await store.listRollouts();
    return { items: rollouts.map(rolloutResource) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/rollouts/:name', async (req) =>
    rolloutResource(await rolloutOr404(store, req.params.name)),
  );

  app.delete<{ Params: { name: string } }>('/api/v1/rollouts/:name', async (req) => {
    const name = req.params.name;
    await controller.exclusive(async () => {
      await rolloutOr404(store, name);
      await store.deleteRollout(name, {
        time: Date.now(),
        rollout: name,
        type: 'Normal',
        reason: 'RolloutDeleted',
        message: `Rollout ${name} deleted`,
        actor: actorOf(req.headers),
      });
    });
    controller.wake();
    return { deleted: name };
  });

  app.post('/api/v1/apply', async (req) => {
    const body = parse(applyBody, req.body);
    const applied = await applier.apply(body.text, body.file, actorOf(req.headers));
    controller.wake();
    return applied;
  });

  for (const command of ROLLOUT_COMMANDS) {
    app.post<{ Params: { name: string } }>(`/api/v1/rollouts/:name/${command}`, async (req) => {
      const options = command === 'promote' ? (parse(promoteBody, req.body ?? undefined) ?? {}) : {};
      const rollout = await controller.command(
        req.params.name,
        command as RolloutCommand,
        options,
        actorOf(req.headers),
      );
      return rolloutResource(rollout);
    });
  }

  app.post<{ Params: { name: string } }>('/api/v1/rollouts/:name/undo', async (req) => {
    const body = parse(undoBody, req.body ?? undefined) ?? {};
    const result = await applier.undo(req.params.name, body.toRevision, actorOf(req.headers));
    controller.wake();
    return result;
  });

  app.get<{ Params: { name: string } }>('/api/v1/rollouts/:name/replicasets', async (req) => {
    await rolloutOr404(store, req.params.name);
    const observed = controller.lastDataPlane?.rollouts.find((r) => r.rollout === req.params.name);
    return { items: observed?.replicaSets ?? [], listeners: observed?.listeners ?? [] };
  });

  app.get<{ Params: { name: string } }>('/api/v1/rollouts/:name/revisions', async (req) => {
    const rollout = await rolloutOr404(store, req.params.name);
    return { items: rollout.revisions };
  });

  app.get<{ Params: { name: string } }>('/api/v1/rollouts/:name/analysisruns', async (req) => {
    await rolloutOr404(store, req.params.name);
    return { items: await store.listAnalysisRuns({ rollout: req.params.name }) };
  });

  app.get('/api/v1/analysisruns', async (req) => {
    const q = parse(analysisRunsQuery, req.query);
    if (q.rollout !== undefined) await rolloutOr404(store, q.rollout);
    return { items: await store.listAnalysisRuns(q.rollout !== undefined ? { rollout: q.rollout } : {}) };
  });

  app.get<{ Params: { name: string } }>('/api/v1/analysisruns/:name', async (req) => {
    const run = await store.getAnalysisRun(req.params.name);
    if (!run) throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `analysis run ${req.params.name} not found`);
    return run;
  });

  app.get('/api/v1/analysistemplates', async () => ({ items: await store.listAnalysisTemplates() }));

  app.get('/api/v1/events', async (req) => {
    const q = parse(eventsQuery, req.query);
    return {
      items: await store.listEvents({
        ...(q.rollout !== undefined ? { rollout: q.rollout } : {}),
        ...(q.after !== undefined ? { afterId: q.after } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
      }),
    };
  });

  app.post('/api/v1/shutdown', async () => {
    setImmediate(deps.shutdown);
    return { stopping: true };
  });
}
