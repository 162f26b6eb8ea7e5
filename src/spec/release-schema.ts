/**
 * zod schemas of the release workflow's resources, `Environment` and `Release` (release-types.ts is
 * the source of truth; the end of the file checks each schema infers exactly its interface). Same
 * conventions as schema.ts: strict objects, expectation phrases, cross-field rules always run.
 */
import { z } from 'zod';
import { planProblems } from '../workflow/release/rollout-plan.js';
import { resolveWindowPolicy, WindowPolicyError } from '../workflow/windows/index.js';
import { checkExpression, checkJsonPath } from './analysis-checks.js';
import { MAX_COUNT, MAX_ITEMS, MAX_REPLICAS, MAX_TEXT_LENGTH } from './limits.js';
import type {
  Environment,
  EnvironmentSpec,
  NotificationChannel,
  Release,
  ReleaseDatabase,
  ReleaseDependency,
  ReleaseJob,
  ReleaseMonitor,
  ReleasePrepare,
  ReleaseRollbackTriggers,
  ReleaseRollout,
  ReleaseSpec,
  RolloutOverride,
  SmokeHttpCheck,
  SmokeTest,
} from './release-types.js';
import {
  ALWAYS,
  type Ctx,
  checkedString,
  commandSchema,
  durationSchema,
  envMap,
  exactlyOneOf,
  expect,
  httpUrl,
  int,
  isRecord,
  nameSchema,
  nonEmptyString,
  notificationChannelSchema,
  objectMetaSchema,
  portSchema,
  problem,
  rolloutSpecSchema,
  rolloutStrategySchema,
  strict,
  uniqueBy,
  urlPathSchema,
} from './schema.js';
import { API_VERSION } from './types.js';

const ratio = (expected = 'a ratio between 0 and 1, e.g. 0.05') =>
  z.number({ error: expected }).min(0, { error: expected }).max(1, { error: expected });

/** Windows are validated by the windows module itself, so its messages and defaults are the only ones. */
const windowsSchema = z
  .record(z.string(), z.unknown(), { error: 'a mapping (timeZone, allowed, blocked, freezes)' })
  .superRefine((value, ctx) => {
    try {
      resolveWindowPolicy(value, '');
    } catch (error) {
      if (!(error instanceof WindowPolicyError)) throw error;
      for (const issue of error.issues) problem(ctx, fieldPath(issue.path), issue.message);
    }
  });

/** `a.b[0].c` (as the windows module writes paths, relative to `''`) to `['a', 'b', 0, 'c']`. */
function fieldPath(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? (m[1] ?? '') : Number(m[2]),
  );
}

const environmentSpecSchema = strict({
  order: int(0, MAX_COUNT),
  windows: windowsSchema.optional(),
});

/** Schema of {@link Environment}. */
export const environmentSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('Environment', { error: 'Environment' }),
  metadata: objectMetaSchema,
  spec: environmentSpecSchema,
});

const rolloutOverrideSchema = strict({
  replicas: int(0, MAX_REPLICAS, `an integer 0..${MAX_REPLICAS} (the local platform's limit)`).optional(),
  port: portSchema.optional(),
  env: envMap.optional(),
  strategy: rolloutStrategySchema.optional(),
});

const releaseRolloutSchema = strict({
  name: nameSchema,
  spec: rolloutSpecSchema,
  environments: z
    .record(nameSchema, rolloutOverrideSchema, { error: 'a mapping of environment names to overrides' })
    .optional(),
  dependsOn: z.array(nameSchema, { error: 'a list of Rollout names of the release' }).optional(),
  readinessGate: strict({
    httpGet: strict({
      url: z
        .string({ error: 'an http:// URL; {{port}} is the Rollout port' })
        .regex(/^http:\/\/127\.0\.0\.1:(\{\{port\}\}|\d+)\//, {
          error: 'an http://127.0.0.1:{{port}}/... URL (the gate checks a local replica)',
        }),
    }),
    jsonPath: checkedString('a JSONPath such as {$.ready}', checkJsonPath).optional(),
    successCondition: checkedString('a condition on result, e.g. result == true', checkExpression).optional(),
    timeoutSeconds: int(1, 3_600).optional(),
  }).optional(),
  priority: int(0, MAX_COUNT, `an integer 0..${MAX_COUNT} (lower first)`).optional(),
  failureMode: z
    .enum(['immediateEscalation', 'gracefulDegradation'], {
      error: 'immediateEscalation or gracefulDegradation',
    })
    .optional(),
});

const releaseJobShape = {
  command: commandSchema,
  cwd: nonEmptyString('a directory path (relative to the release file)').optional(),
  inputs: z
    .array(nonEmptyString('a path (relative to the release file)'), { error: 'a list of paths' })
    .max(64, { error: 'at most 64 paths' })
    .optional(),
  env: envMap.optional(),
  timeoutSeconds: int(1, 86_400).optional(),
  network: z.boolean({ error: 'true or false' }).optional(),
};
const releaseJobSchema = strict({ name: nonEmptyString(), ...releaseJobShape });
const jobsSchema = z
  .array(releaseJobSchema, { error: 'a list of {name, command}' })
  .superRefine(uniqueBy('name', 'name'), ALWAYS);

const smokeHttpCheckSchema = strict({
  path: urlPathSchema,
  method: z.enum(['GET', 'POST', 'HEAD'], { error: 'GET, POST or HEAD' }).optional(),
  expectStatus: int(100, 599, 'an HTTP status 100..599').optional(),
  bodyContains: z
    .string({ error: `a string of at most ${MAX_TEXT_LENGTH} characters` })
    .max(MAX_TEXT_LENGTH, { error: `a string of at most ${MAX_TEXT_LENGTH} characters` })
    .optional(),
  timeoutMs: int(1, 600_000).optional(),
});

const smokeTestSchema = strict({
  name: nonEmptyString(),
  rollout: nameSchema.optional(),
  http: smokeHttpCheckSchema.optional(),
  job: strict(releaseJobShape).optional(),
}).superRefine(exactlyOneOf(['http', 'job'], 'a smoke test'), ALWAYS);

/** A smoke test of `plan.afterEach`: it runs against each Rollout in turn, so it names none. */
const afterEachSchema = strict({
  name: nonEmptyString(),
  http: smokeHttpCheckSchema.optional(),
  job: strict(releaseJobShape).optional(),
}).superRefine(exactlyOneOf(['http', 'job'], 'a smoke test'), ALWAYS);

const dependencySchema = strict({
  name: nonEmptyString(),
  url: httpUrl,
  timeoutMs: int(1, 600_000).optional(),
});

const databaseSchema = strict({
  sqlite: nonEmptyString('a path to a SQLite database file').optional(),
  postgres: z
    .string({ error: 'a postgres:// URL' })
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'a postgres:// URL' })
    .optional(),
}).superRefine(exactlyOneOf(['sqlite', 'postgres'], 'a database'), ALWAYS);

const prepareSchema = strict({
  tests: jobsSchema.optional(),
  artifacts: z.array(nonEmptyString('a file path'), { error: 'a list of file paths' }).optional(),
  migrations: strict({
    path: nonEmptyString('a directory path'),
    command: commandSchema.optional(),
  }).optional(),
  dependencies: z
    .array(dependencySchema, { error: 'a list of {name, url}' })
    .superRefine(uniqueBy('name', 'dependency'), ALWAYS)
    .optional(),
  database: databaseSchema.optional(),
});

const monitorSchema = strict({
  checkpoints: z
    .array(durationSchema, { error: 'a list of durations, e.g. [5m, 15m, 30m, 60m]' })
    .min(1, { error: 'at least one checkpoint' })
    .max(MAX_ITEMS, { error: `at most ${MAX_ITEMS} checkpoints` })
    .optional(),
  investigateErrorRate: ratio().optional(),
  rollbackErrorRate: ratio().optional(),
  p99BaselineFactor: z
    .number({ error: 'a number > 1 and <= 1000' })
    .gt(1, { error: 'a number > 1 and <= 1000' })
    .max(1000, { error: 'a number > 1 and <= 1000' })
    .optional(),
  resourceRatio: ratio().optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  const investigate =
    typeof value['investigateErrorRate'] === 'number' ? value['investigateErrorRate'] : 0.01;
  const rollback = typeof value['rollbackErrorRate'] === 'number' ? value['rollbackErrorRate'] : 0.05;
  if (rollback < investigate) {
    expect(ctx, ['rollbackErrorRate'], `a ratio >= investigateErrorRate (${investigate})`, rollback);
  }
}, ALWAYS);

const rollbackTriggersSchema = strict({
  errorRate: ratio().optional(),
  errorRateFor: durationSchema.optional(),
  p95Ms: z
    .number({ error: 'a latency in ms > 0 and <= 3600000 (1 h)' })
    .positive({ error: 'a latency in ms > 0 and <= 3600000 (1 h)' })
    .max(3_600_000, { error: 'a latency in ms > 0 and <= 3600000 (1 h)' })
    .optional(),
  alpha: z
    .number({ error: "a ratio > 0 and < 1 (the sequential triggers' false-alarm bound)" })
    .gt(0, { error: "a ratio > 0 and < 1 (the sequential triggers' false-alarm bound)" })
    .lt(1, { error: "a ratio > 0 and < 1 (the sequential triggers' false-alarm bound)" })
    .optional(),
  latencyThreshold: durationSchema.optional(),
  maxRestarts: z
    .number({ error: 'an integer >= 0 (restarts of the new revision tolerated)' })
    .int({ error: 'an integer >= 0 (restarts of the new revision tolerated)' })
    .min(0, { error: 'an integer >= 0 (restarts of the new revision tolerated)' })
    .max(1000, { error: 'an integer >= 0 and <= 1000 (restarts of the new revision tolerated)' })
    .optional(),
  type: z.enum(['traffic', 'database', 'full'], { error: 'traffic, database or full' }).optional(),
});

const ISO_EXPECTED = 'an ISO 8601 date-time, e.g. 2026-11-20T10:00:00Z';
const changeSchema = strict({
  id: nonEmptyString().optional(),
  description: nonEmptyString(),
  committedAt: z
    .string({ error: ISO_EXPECTED })
    .refine((v) => !Number.isNaN(Date.parse(v)), { error: ISO_EXPECTED })
    .optional(),
});

const releaseSpecSchema = strict({
  version: nonEmptyString('a version, e.g. "1.4.0" (quote it)'),
  type: z
    .enum(['standard', 'hotfix', 'rollback', 'scheduled'], {
      error: 'standard, hotfix, rollback or scheduled',
    })
    .optional(),
  team: z.string({ error: 'a string' }).optional(),
  environments: z
    .array(nameSchema, { error: 'a list of environment names, e.g. [dev, staging, production]' })
    .min(1, { error: 'at least one environment' }),
  changes: z.array(changeSchema, { error: 'a list of {description}' }).optional(),
  rollouts: z
    .array(releaseRolloutSchema, { error: 'a list of {name, spec}' })
    .min(1, { error: 'at least one Rollout' })
    .superRefine(uniqueBy('name', 'Rollout'), ALWAYS),
  plan: strict({
    maxParallelism: int(1, MAX_ITEMS, `an integer 1..${MAX_ITEMS}`).optional(),
    minHealthy: int(0, MAX_ITEMS, `an integer 0..${MAX_ITEMS}`).optional(),
    quorum: int(1, MAX_ITEMS, `an integer 1..${MAX_ITEMS}`).optional(),
    afterEach: z
      .array(afterEachSchema, { error: 'a list of smoke tests' })
      .superRefine(uniqueBy('name', 'smoke test'), ALWAYS)
      .optional(),
    connectivityTest: smokeTestSchema.optional(),
  }).optional(),
  prepare: prepareSchema.optional(),
  smokeTests: z
    .array(smokeTestSchema, { error: 'a list of smoke tests' })
    .superRefine(uniqueBy('name', 'smoke test'), ALWAYS)
    .optional(),
  validation: strict({ suites: jobsSchema }).optional(),
  monitor: monitorSchema.optional(),
  rollback: rollbackTriggersSchema.optional(),
  notifications: z
    .array(notificationChannelSchema, { error: 'a list of channels' })
    .superRefine(uniqueBy('name', 'channel'), ALWAYS)
    .optional(),
  messageTemplates: nonEmptyString('a directory path').optional(),
}).superRefine(checkReleaseSpec, ALWAYS);

/** Schema of {@link Release}. */
export const releaseSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('Release', { error: 'Release' }),
  metadata: objectMetaSchema,
  spec: releaseSpecSchema,
});

/**
 * Cross-field rules: environments are distinct; overrides name listed environments; in each
 * environment every Rollout gets its own port (they run side by side on one machine); smoke tests
 * name Rollouts of the release.
 */
function checkReleaseSpec(value: unknown, ctx: Ctx): void {
  if (!isRecord(value)) return;
  const envs = Array.isArray(value['environments'])
    ? value['environments'].filter((e): e is string => typeof e === 'string')
    : [];
  envs.forEach((env, i) => {
    if (envs.indexOf(env) !== i)
      problem(ctx, ['environments', i], `duplicate environment ${JSON.stringify(env)}`);
  });
  const rollouts = Array.isArray(value['rollouts']) ? value['rollouts'].filter(isRecord) : [];
  const names = rollouts.map((r) => r['name']).filter((n): n is string => typeof n === 'string');
  if (names.length === rollouts.length) {
    const plan = rollouts.map((r) => ({
      name: r['name'] as string,
      ...(Array.isArray(r['dependsOn'])
        ? { dependsOn: r['dependsOn'].filter((d): d is string => typeof d === 'string') }
        : {}),
      ...(typeof r['priority'] === 'number' ? { priority: r['priority'] } : {}),
    }));
    for (const p of planProblems(plan))
      problem(ctx, ['rollouts', p.index, p.field], p.message, 'a plan without cycles');
  }
  const ports = new Map<number, string>();
  rollouts.forEach((rollout, i) => {
    const overrides = isRecord(rollout['environments']) ? rollout['environments'] : {};
    for (const env of Object.keys(overrides)) {
      if (!envs.includes(env)) {
        expect(
          ctx,
          ['rollouts', i, 'environments', env],
          `one of the release's environments (${envs.join(', ')})`,
          env,
        );
      }
    }
    const spec = isRecord(rollout['spec']) ? rollout['spec'] : {};
    for (const env of envs) {
      const override = isRecord(overrides[env]) ? overrides[env] : {};
      const port = typeof override['port'] === 'number' ? override['port'] : spec['port'];
      if (typeof port !== 'number') continue;
      const where = `${String(rollout['name'])} in ${env}`;
      const taken = ports.get(port);
      if (taken !== undefined) {
        const path =
          override['port'] === undefined
            ? ['rollouts', i, 'spec', 'port']
            : ['rollouts', i, 'environments', env, 'port'];
        problem(
          ctx,
          path,
          `port ${port} of ${where} is also the port of ${taken}; give each environment its own port (environments.<name>.port)`,
          'a port of its own',
        );
      } else {
        ports.set(port, where);
      }
    }
  });
  const smoke = Array.isArray(value['smokeTests']) ? value['smokeTests'] : [];
  smoke.forEach((test, i) => {
    if (isRecord(test) && typeof test['rollout'] === 'string' && !names.includes(test['rollout'])) {
      expect(
        ctx,
        ['smokeTests', i, 'rollout'],
        `a Rollout of the release (${names.join(', ')})`,
        test['rollout'],
      );
    }
  });
  const plan = isRecord(value['plan']) ? value['plan'] : {};
  const connectivity = isRecord(plan['connectivityTest']) ? plan['connectivityTest'] : {};
  if (typeof connectivity['rollout'] === 'string' && !names.includes(connectivity['rollout'])) {
    expect(
      ctx,
      ['plan', 'connectivityTest', 'rollout'],
      `a Rollout of the release (${names.join(', ')})`,
      connectivity['rollout'],
    );
  }
  for (const field of ['minHealthy', 'quorum'] as const) {
    const n = plan[field];
    if (typeof n === 'number' && n > rollouts.length) {
      problem(
        ctx,
        ['plan', field],
        `${field} ${n} is more than the release's ${rollouts.length} Rollout(s)`,
        `at most ${rollouts.length}`,
      );
    }
  }
}

// types in release-types.ts stay the source of truth.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const shapesMatchTypes: [
  Same<z.infer<typeof environmentSpecSchema>, EnvironmentSpec>,
  Same<z.infer<typeof environmentSchema>, Environment>,
  Same<z.infer<typeof rolloutOverrideSchema>, RolloutOverride>,
  Same<z.infer<typeof releaseRolloutSchema>, ReleaseRollout>,
  Same<z.infer<typeof releaseJobSchema>, ReleaseJob>,
  Same<z.infer<typeof smokeHttpCheckSchema>, SmokeHttpCheck>,
  Same<z.infer<typeof smokeTestSchema>, SmokeTest>,
  Same<z.infer<typeof dependencySchema>, ReleaseDependency>,
  Same<z.infer<typeof databaseSchema>, ReleaseDatabase>,
  Same<z.infer<typeof prepareSchema>, ReleasePrepare>,
  Same<z.infer<typeof monitorSchema>, ReleaseMonitor>,
  Same<z.infer<typeof rollbackTriggersSchema>, ReleaseRollbackTriggers>,
  Same<z.infer<typeof notificationChannelSchema>, NotificationChannel>,
  Same<z.infer<typeof releaseSpecSchema>, ReleaseSpec>,
  Same<z.infer<typeof releaseSchema>, Release>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void shapesMatchTypes;
