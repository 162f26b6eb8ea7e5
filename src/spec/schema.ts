import { Cron } from 'croner';
/**
 * zod schemas of cutover's spec. The interfaces in `types.ts` are the source of truth; every schema
 * here is checked at compile time to infer exactly that interface (see the end of the file).
 *
 * Every object is strict (an unknown field is an error naming the field, as `kubectl apply
 * --validate=strict`). Rules that span fields (exactly one strategy, `previewPort` != `port`,
 * `startingStep` within `steps`, conditions that compile...) run even when a sibling field is
 * invalid, so one pass reports every problem.
 *
 * Messages of leaf schemas are *expectation phrases* ("an integer 0..100"); {@link validateResource}
 * turns them into `expected an integer 0..100, got 150`. Use it (or `parseSpec`) rather than a
 * schema's own `safeParse`, whose messages for unknown fields and unions are zod's.
 */
import { z } from 'zod';
import { ARG_PLACEHOLDER, parseMemory } from '../analysis/index.js';
import { MAX_RETRY_ATTEMPTS } from '../dataplane/protocol.js';
import { PatternSyntaxError } from '../regex/index.js';
import { parseRetryOn, RETRY_ON_TOKENS } from '../traffic/retry-policy.js';
import { checkExpression, checkJsonPath, checkMetric } from './analysis-checks.js';
import { DURATION_EXPECTED, durationToMs, isDuration } from './duration.js';
import { compileHeaderRouteRegex } from './header-route-regex.js';
import {
  MAX_COUNT,
  MAX_DURATION_SECONDS,
  MAX_ENV_ENTRY_BYTES,
  MAX_EXEC_BYTES,
  MAX_HEADER_ROUTE_MATCHES,
  MAX_HEADER_VALUE_LENGTH,
  MAX_ITEMS,
  MAX_PATH_LENGTH,
  MAX_REPLICAS,
  MAX_TEXT_LENGTH,
} from './limits.js';
import {
  type AnalysisArg,
  type AnalysisTemplate,
  type AnalysisTemplateMeta,
  type AnalysisTemplateRef,
  type AnalysisTemplateSpec,
  API_VERSION,
  ARGO_API_VERSION,
  type BlueGreenStrategy,
  type BuiltinMetricProvider,
  type CanaryStep,
  type CanaryStrategy,
  type ConfigMap,
  type EnvFromSource,
  type EnvVar,
  type EnvVarSource,
  type Handoff,
  type HandoffAction,
  type HandoffVerify,
  type HeaderRoutingMatch,
  type HttpGetAction,
  type KeySelector,
  type Lifecycle,
  type LifecycleHandler,
  type LocalTemplate,
  MAX_HEADER_ROUTE_REGEX_LENGTH,
  type Metric,
  type MetricProvider,
  type ObjectMeta,
  type Probe,
  type RollingStrategy,
  type Rollout,
  type RolloutAnalysis,
  type RolloutAnalysisBackground,
  type RolloutExperimentAnalysis,
  type RolloutExperimentStep,
  type RolloutExperimentTemplate,
  type RolloutSpec,
  type RolloutStrategy,
  type ScopedObjectMeta,
  type Secret,
  type SessionAffinity,
  type SetFlag,
  type SetHeaderRoute,
  type SetMirrorRoute,
  type StringMatch,
  type TemplateFile,
} from './types.js';

/** Kinds of resource a spec file may hold. */
export const RESOURCE_KINDS = [
  'Rollout',
  'AnalysisTemplate',
  'ClusterAnalysisTemplate',
  'ConfigMap',
  'Secret',
  'Environment',
  'Release',
  'FeatureFlags',
] as const;
/** One of {@link RESOURCE_KINDS}. */
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Metric providers a metric may name; `builtin` reads cutover's router. */
export const METRIC_PROVIDERS = ['builtin', 'prometheus', 'web', 'job', 'judge', 'sequential'] as const;

// ---------------------------------------------------------------------------------------------
// Helpers

export type Ctx = z.core.$RefinementCtx<unknown>;
export type Path = (string | number)[];

/** Refinements that span fields run even when a field inside failed, so every problem is reported. */
export const ALWAYS = { when: () => true };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How an input value is named in a message: `150`, `"abc"`, `null (an empty value)`, `a list`. */
export function describeInput(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') {
    const quoted = JSON.stringify(value);
    return quoted.length > 60 ? `${quoted.slice(0, 57)}..."` : quoted;
  }
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty mapping';
    return `a mapping with ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''}`;
  }
  return String(value);
}

/** Adds an issue saying what was expected and what was found. */
export function expect(ctx: Ctx, path: Path, expected: string, input: unknown, because?: string): void {
  const message = `expected ${expected}, got ${describeInput(input)}${because === undefined ? '' : ` (${because})`}`;
  ctx.addIssue({ code: 'custom', path, message, params: { expected }, input });
}

/** Adds an issue whose message is a sentence of its own. */
export function problem(ctx: Ctx, path: Path, message: string, expected?: string): void {
  ctx.addIssue({
    code: 'custom',
    path,
    message,
    params: expected === undefined ? {} : { expected },
    input: undefined,
  });
}

/** A strict object; `expected` names it when the value is not a mapping at all. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T, expected = 'a mapping') {
  return z.strictObject(shape, { error: (issue) => (issue.code === 'invalid_type' ? expected : undefined) });
}

/** Exactly one of `keys` must be set; reported on the object itself. */
export function exactlyOneOf(keys: readonly string[], what: string) {
  return (value: unknown, ctx: Ctx): void => {
    if (!isRecord(value)) return;
    const present = keys.filter((key) => value[key] !== undefined);
    if (present.length === 1) return;
    const expected = `exactly one of ${keys.join(', ')}`;
    problem(
      ctx,
      [],
      present.length === 0
        ? `${what} must have ${expected}, got none`
        : `${what} must have ${expected}, got ${present.join(' and ')}`,
      expected,
    );
  };
}

export function int(min: number, max?: number, expected?: string) {
  const phrase = expected ?? (max === undefined ? `an integer >= ${min}` : `an integer ${min}..${max}`);
  const schema = z.number({ error: phrase }).int({ error: phrase }).min(min, { error: phrase });
  return max === undefined ? schema : schema.max(max, { error: phrase });
}

export const nonEmptyString = (expected = 'a non-empty string') =>
  z.string({ error: expected }).min(1, { error: expected });

/** A `*Seconds` field: an integer number of seconds, `min`..30 days. */
export const seconds = (min: number) =>
  int(min, MAX_DURATION_SECONDS, `an integer number of seconds ${min}..${MAX_DURATION_SECONDS} (30 days)`);

/** The first control character of `text` (NUL, CR, LF...; HTAB too unless `tab`), if any. */
function controlCharacter(text: string, tab = false): string | undefined {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if ((code < 0x20 && !(tab && code === 0x09)) || code === 0x7f) return char;
  }
  return undefined;
}

/** A string without control characters (NUL, CR, LF...), at most `max` characters. */
function plainString(expected: string, max: number, options: { tab?: boolean; min?: number } = {}) {
  const phrase = `${expected} (at most ${max} characters, no control characters such as NUL, CR or LF)`;
  return z
    .string({ error: phrase })
    .min(options.min ?? 0, { error: phrase })
    .max(max, { error: phrase })
    .superRefine((value, ctx) => {
      const char = controlCharacter(value, options.tab);
      if (char !== undefined) {
        expect(ctx, [], phrase, value, `it holds ${JSON.stringify(char)}`);
      }
    });
}

/** Keys of a record must be unique by a field (`name`, `metricName`): later duplicates are reported. */
export function uniqueBy(field: string, what: string) {
  return (value: unknown, ctx: Ctx): void => {
    if (!Array.isArray(value)) return;
    const seen = new Set<unknown>();
    value.forEach((item, index) => {
      if (!isRecord(item) || typeof item[field] !== 'string') return;
      if (seen.has(item[field]))
        problem(ctx, [index, field], `duplicate ${what} ${JSON.stringify(item[field])}`);
      seen.add(item[field]);
    });
  };
}

// ---------------------------------------------------------------------------------------------
// Leaves

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_EXPECTED =
  'a DNS-1123 label: at most 63 lowercase letters, digits and -, starting and ending alphanumeric';
/** A resource name: a DNS-1123 label, as Kubernetes names. */
export const nameSchema = z
  .string({ error: NAME_EXPECTED })
  .max(63, { error: NAME_EXPECTED })
  .regex(DNS_LABEL, { error: NAME_EXPECTED });

/** A TCP port, 1..65535. */
export const portSchema = int(1, 65_535, 'a port number 1..65535');

const BOUNDED_DURATION_EXPECTED = `${DURATION_EXPECTED}, at most 30 days`;
/** Whether `value` is a duration of at most {@link MAX_DURATION_SECONDS}. */
function isBoundedDuration(value: unknown): boolean {
  return isDuration(value) && durationToMs(value) <= MAX_DURATION_SECONDS * 1000;
}

/** A duration: integer seconds or `500ms`, `30s`, `5m`, `1h`, `1m30s` (see `durationToMs`); at most 30 days. */
export const durationSchema = z
  .union([z.number(), z.string()], { error: BOUNDED_DURATION_EXPECTED })
  .superRefine((value, ctx) => {
    if (!isBoundedDuration(value)) expect(ctx, [], BOUNDED_DURATION_EXPECTED, value);
  });

function hasArgPlaceholder(value: string): boolean {
  return new RegExp(ARG_PLACEHOLDER.source).test(value);
}

const DURATION_OR_ARG_EXPECTED = `${BOUNDED_DURATION_EXPECTED}, or an {{args.name}} placeholder`;
/** A duration in an AnalysisTemplate, where `{{args.name}}` may stand for it. */
const durationOrArgSchema = z
  .union([z.number(), z.string()], { error: DURATION_OR_ARG_EXPECTED })
  .superRefine((value, ctx) => {
    if (!isBoundedDuration(value) && !(typeof value === 'string' && hasArgPlaceholder(value))) {
      expect(ctx, [], DURATION_OR_ARG_EXPECTED, value);
    }
  });

/** An integer in an AnalysisTemplate (Kubernetes' IntOrString), where `{{args.name}}` may stand for it. */
function intOrArg(min: number, max = MAX_COUNT) {
  const expected = `an integer ${min}..${max}, or an {{args.name}} placeholder`;
  const inRange = (n: number) => Number.isSafeInteger(n) && n >= min && n <= max;
  return z.union([z.number(), z.string()], { error: expected }).superRefine((value, ctx) => {
    const ok =
      typeof value === 'number'
        ? inRange(value)
        : (/^-?\d+$/.test(value) && inRange(Number(value))) || hasArgPlaceholder(value);
    if (!ok) expect(ctx, [], expected, value);
  });
}

const PERCENT = /^(\d+)%$/;
/** Kubernetes' IntOrString for surge / unavailability: an integer 0..{@link MAX_REPLICAS} or `25%`. */
export function intOrPercent(maxPercent: number) {
  const expected = `an integer 0..${MAX_REPLICAS} or a percentage 0%..${maxPercent}%`;
  return z.union([z.number(), z.string()], { error: expected }).superRefine((value, ctx) => {
    const percent = typeof value === 'string' ? PERCENT.exec(value)?.[1] : undefined;
    const ok =
      typeof value === 'number'
        ? Number.isSafeInteger(value) && value >= 0 && value <= MAX_REPLICAS
        : percent !== undefined && Number(percent) <= maxPercent;
    if (!ok) expect(ctx, [], expected, value);
  });
}

export function isZero(value: unknown): boolean {
  return value === 0 || value === '0%';
}

/** A record whose own message (`expected`) is used only when the value is not a mapping at all. */
function record<K extends z.core.$ZodRecordKey, V extends z.core.SomeType>(
  key: K,
  value: V,
  expected: string,
) {
  return z.record(key, value, { error: (issue) => (issue.code === 'invalid_type' ? expected : undefined) });
}

const STRING_VALUE = 'a string (quote numbers and booleans, e.g. "8080", "true")';
const TEXT_VALUE = `${STRING_VALUE} of at most ${MAX_TEXT_LENGTH} characters`;
export const stringMap = record(
  z.string(),
  z.string({ error: TEXT_VALUE }).max(MAX_TEXT_LENGTH, { error: TEXT_VALUE }),
  'a mapping of strings',
);

/** HTTP field names (RFC 9110 section 5.1: a token). */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_NAME_EXPECTED = "an HTTP header name (letters, digits and !#$%&'*+-.^_`|~; no spaces)";
const headerNameSchema = z
  .string({ error: FIELD_NAME_EXPECTED })
  .regex(FIELD_NAME, { error: FIELD_NAME_EXPECTED });
/** An HTTP field value (RFC 9110 section 5.5: no control character but HTAB). */
const headerValueSchema = plainString('a header value', MAX_HEADER_VALUE_LENGTH, { tab: true });
/** HTTP headers a request sends: names are tokens, values hold no CR, LF or NUL. */
const headerMap = record(headerNameSchema, headerValueSchema, 'a mapping of header names to values');

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const ENV_NAME_EXPECTED =
  'an environment variable name (letters, digits, _, - and ., not starting with a digit)';
const ENV_VALUE_EXPECTED = `${STRING_VALUE} without NUL, NAME=value at most ${MAX_ENV_ENTRY_BYTES} bytes (Linux's limit for one environment string)`;
export const envMap = record(
  z.string().regex(ENV_NAME, { error: ENV_NAME_EXPECTED }),
  z.string({ error: STRING_VALUE }),
  'a mapping of environment variable names to strings',
).superRefine((env, ctx) => {
  for (const [name, value] of Object.entries(env)) {
    if (value.includes('\0')) {
      expect(ctx, [name], ENV_VALUE_EXPECTED, value, 'a process environment cannot hold NUL');
    } else if (Buffer.byteLength(`${name}=${value}`) > MAX_ENV_ENTRY_BYTES) {
      const bytes = Buffer.byteLength(`${name}=${value}`);
      problem(ctx, [name], `expected ${ENV_VALUE_EXPECTED}, got ${bytes} bytes`, ENV_VALUE_EXPECTED);
    }
  }
});

/** Bytes `execve` counts for these strings: each with its NUL and its 8-byte pointer. */
function execBytes(strings: readonly string[]): number {
  return strings.reduce((sum, s) => sum + Buffer.byteLength(s) + 9, 0);
}

const COMMAND_EXPECTED = 'a non-empty list of non-empty strings without NUL, e.g. ["node", "server.js"]';
export const commandSchema = z
  .array(
    nonEmptyString(COMMAND_EXPECTED).refine((arg) => !arg.includes('\0'), { error: COMMAND_EXPECTED }),
    { error: COMMAND_EXPECTED },
  )
  .min(1, { error: COMMAND_EXPECTED })
  .max(MAX_ITEMS, { error: `${COMMAND_EXPECTED}, at most ${MAX_ITEMS} of them` });

// ---------------------------------------------------------------------------------------------
// Rollout

/** Schema of {@link ObjectMeta}. */
export const objectMetaSchema = strict({
  name: nameSchema,
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

/** Schema of {@link ScopedObjectMeta}. */
const scopedObjectMetaSchema = strict({
  ...objectMetaSchema.shape,
  environment: nameSchema.optional(),
});

const URL_PATH_EXPECTED = `an absolute URL path such as /healthz (at most ${MAX_PATH_LENGTH} characters, no spaces or control characters)`;
/** The path of an HTTP request: `/` first, no space or control character (it goes into a request line). */
export const urlPathSchema = z
  .string({ error: URL_PATH_EXPECTED })
  .max(MAX_PATH_LENGTH, { error: URL_PATH_EXPECTED })
  .startsWith('/', { error: URL_PATH_EXPECTED })
  .superRefine((value, ctx) => {
    const bad = controlCharacter(value, true) ?? (value.includes(' ') ? ' ' : undefined);
    if (bad !== undefined) expect(ctx, [], URL_PATH_EXPECTED, value, `it holds ${JSON.stringify(bad)}`);
  });

/** Schema of {@link HttpGetAction}. */
const httpGetActionSchema = strict({
  path: urlPathSchema.optional(),
  port: portSchema.optional(),
  scheme: z.enum(['HTTP', 'HTTPS'], { error: 'HTTP or HTTPS' }).optional(),
  httpHeaders: z
    .array(strict({ name: headerNameSchema, value: headerValueSchema }), {
      error: 'a list of {name, value}',
    })
    .max(64, { error: 'a list of at most 64 {name, value}' })
    .optional(),
});

const PROBE_HANDLERS = ['httpGet', 'tcpSocket', 'exec'] as const;
/** Schema of {@link Probe}: Kubernetes' probe fields, exactly one handler. */
const probeSchema = strict({
  httpGet: httpGetActionSchema.optional(),
  tcpSocket: strict({ port: portSchema.optional() }).optional(),
  exec: strict({ command: commandSchema }).optional(),
  initialDelaySeconds: seconds(0).optional(),
  periodSeconds: seconds(1).optional(),
  timeoutSeconds: seconds(1).optional(),
  successThreshold: int(1, MAX_COUNT).optional(),
  failureThreshold: int(1, MAX_COUNT).optional(),
}).superRefine(exactlyOneOf(PROBE_HANDLERS, 'a probe'), ALWAYS);

const HOOK_HANDLERS = ['exec', 'httpGet', 'sleep'] as const;
/** Schema of {@link LifecycleHandler}: exactly one action. */
const lifecycleHandlerSchema = strict({
  exec: strict({ command: commandSchema }).optional(),
  httpGet: httpGetActionSchema.optional(),
  sleep: strict({ seconds: seconds(0) }).optional(),
}).superRefine(exactlyOneOf(HOOK_HANDLERS, 'a lifecycle handler'), ALWAYS);

/** Schema of {@link Lifecycle}. */
const lifecycleSchema = strict({
  postStart: lifecycleHandlerSchema.optional(),
  preStop: lifecycleHandlerSchema.optional(),
});

/** Kubernetes: "must be 1" for the successThreshold of a liveness and of a startup probe. */
function successThresholdOne(probe: 'livenessProbe' | 'startupProbe') {
  return (value: unknown, ctx: Ctx): void => {
    const spec = isRecord(value) ? value[probe] : undefined;
    const threshold = isRecord(spec) ? spec['successThreshold'] : undefined;
    if (typeof threshold === 'number' && threshold !== 1) {
      expect(
        ctx,
        [probe, 'successThreshold'],
        `1 (the only value Kubernetes allows for a ${probe === 'livenessProbe' ? 'liveness' : 'startup'} probe)`,
        threshold,
      );
    }
  };
}

/** Schema of {@link LocalTemplate}. */
const envFromSchema = strict({
  configMapRef: strict({ name: nameSchema }).optional(),
  secretRef: strict({ name: nameSchema }).optional(),
  prefix: z
    .string({ error: 'a variable name prefix (letters, digits, -._)' })
    .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, { error: 'a variable name prefix (letters, digits, -._)' })
    .optional(),
}).superRefine(exactlyOneOf(['configMapRef', 'secretRef'], 'an envFrom source'), ALWAYS);

/** Schema of {@link KeySelector}. */
const keySelectorSchema = strict({
  name: nameSchema,
  key: z.string({ error: ENV_NAME_EXPECTED }).regex(ENV_NAME, { error: ENV_NAME_EXPECTED }),
  optional: z.boolean({ error: 'true or false' }).optional(),
});

/** Schema of {@link EnvVarSource}. */
const envVarSourceSchema = strict({
  configMapKeyRef: keySelectorSchema.optional(),
  secretKeyRef: keySelectorSchema.optional(),
}).superRefine(exactlyOneOf(['configMapKeyRef', 'secretKeyRef'], 'a valueFrom'), ALWAYS);

/** Schema of {@link EnvVar}: Kubernetes' list entry, `value` or `valueFrom`. */
const envVarSchema = strict({
  name: z.string({ error: ENV_NAME_EXPECTED }).regex(ENV_NAME, { error: ENV_NAME_EXPECTED }),
  value: z.string({ error: STRING_VALUE }).optional(),
  valueFrom: envVarSourceSchema.optional(),
}).superRefine((value, ctx) => {
  if (!isRecord(value)) return;
  const name = typeof value['name'] === 'string' ? value['name'] : '';
  const literal = value['value'];
  if (literal !== undefined && value['valueFrom'] !== undefined)
    problem(ctx, [], 'expected value or valueFrom, not both', 'value or valueFrom');
  else if (typeof literal === 'string' && literal.includes('\0'))
    expect(ctx, ['value'], ENV_VALUE_EXPECTED, literal, 'a process environment cannot hold NUL');
  else if (typeof literal === 'string' && Buffer.byteLength(`${name}=${literal}`) > MAX_ENV_ENTRY_BYTES)
    problem(
      ctx,
      ['value'],
      `expected ${ENV_VALUE_EXPECTED}, got ${Buffer.byteLength(`${name}=${literal}`)} bytes`,
      ENV_VALUE_EXPECTED,
    );
}, ALWAYS);

const ENV_LIST_EXPECTED = 'a list of {name, value} or {name, valueFrom}';
/** `env` as a mapping or as Kubernetes' list: the input's type selects the branch. */
const envSchema = z.union(
  [
    envMap,
    z
      .array(envVarSchema, { error: ENV_LIST_EXPECTED })
      .max(MAX_ITEMS, { error: `${ENV_LIST_EXPECTED}, at most ${MAX_ITEMS}` }),
  ],
  { error: `a mapping of environment variable names to strings, or ${ENV_LIST_EXPECTED}` },
);

/**
 * `env` in its one internal form: literal values in `env`, `valueFrom` entries in `envValueFrom`;
 * a later entry of a name wins (Kubernetes). A mapping is kept as it is. Pure.
 */
function normaliseEnv<T extends { env?: Record<string, string> | EnvVar[] | undefined }>(
  template: T,
): Omit<T, 'env'> & { env?: Record<string, string>; envValueFrom?: Record<string, EnvVarSource> } {
  const { env, ...rest } = template;
  if (env === undefined) return rest;
  if (!Array.isArray(env)) return { ...rest, env };
  const values: Record<string, string> = {};
  const sources: Record<string, EnvVarSource> = {};
  for (const entry of env) {
    delete values[entry.name];
    delete sources[entry.name];
    if (entry.valueFrom !== undefined) sources[entry.name] = entry.valueFrom;
    else values[entry.name] = entry.value ?? '';
  }
  return {
    ...rest,
    ...(Object.keys(values).length > 0 ? { env: values } : {}),
    ...(Object.keys(sources).length > 0 ? { envValueFrom: sources } : {}),
  };
}

const FILE_PATH_EXPECTED = `a relative path of at most ${MAX_PATH_LENGTH} characters, /-separated, without . or .. segments, e.g. config/app`;
/** A `files` path: relative, and no segment leaves the replica set's files directory. */
const filePathSchema = z
  .string({ error: FILE_PATH_EXPECTED })
  .min(1, { error: FILE_PATH_EXPECTED })
  .max(MAX_PATH_LENGTH, { error: FILE_PATH_EXPECTED })
  .superRefine((value, ctx) => {
    const why = value.startsWith('/')
      ? 'it is absolute'
      : value.split('/').some((s) => s === '..')
        ? 'it climbs out with ..'
        : value.split('/').some((s) => s === '' || s === '.')
          ? 'it has an empty or . segment'
          : controlCharacter(value, false) !== undefined
            ? 'it holds a control character'
            : undefined;
    if (why !== undefined) expect(ctx, [], FILE_PATH_EXPECTED, value, why);
  });

/** Schema of {@link TemplateFile}. */
const templateFileSchema = strict({
  path: filePathSchema,
  configMapRef: strict({ name: nameSchema }).optional(),
  secretRef: strict({ name: nameSchema }).optional(),
  key: z.string({ error: ENV_NAME_EXPECTED }).regex(ENV_NAME, { error: ENV_NAME_EXPECTED }).optional(),
}).superRefine(exactlyOneOf(['configMapRef', 'secretRef'], 'a files entry'), ALWAYS);

const filesSchema = z
  .array(templateFileSchema, { error: 'a list of {path, configMapRef} or {path, secretRef}' })
  .max(64, { error: 'a list of at most 64 files entries' })
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    for (const [i, f] of files.entries()) {
      if (seen.has(f.path))
        problem(ctx, [i, 'path'], `path ${JSON.stringify(f.path)} is listed twice`, 'a path listed once');
      seen.add(f.path);
    }
  });

const localTemplateSchema = strict({
  command: commandSchema,
  cwd: plainString('a directory path (relative to the spec file)', MAX_PATH_LENGTH, { min: 1 }).optional(),
  env: envSchema.optional(),
  envFrom: z.array(envFromSchema, { error: 'a list of {configMapRef} or {secretRef}' }).max(64).optional(),
  files: filesSchema.optional(),
  startupProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  livenessProbe: probeSchema.optional(),
  lifecycle: lifecycleSchema.optional(),
  terminationGracePeriodSeconds: seconds(0).optional(),
})
  .superRefine((value: unknown, ctx) => {
    if (!isRecord(value)) return;
    const command = Array.isArray(value['command'])
      ? value['command'].filter((a) => typeof a === 'string')
      : [];
    const env = isRecord(value['env'])
      ? Object.entries(value['env']).map(([k, v]) => `${k}=${String(v)}`)
      : Array.isArray(value['env'])
        ? value['env'].flatMap((e: unknown) =>
            isRecord(e) && typeof e['value'] === 'string' ? [`${String(e['name'])}=${e['value']}`] : [],
          )
        : [];
    const bytes = execBytes([...command, ...env]);
    if (bytes > MAX_EXEC_BYTES) {
      problem(
        ctx,
        ['env'],
        `command and env take ${bytes} bytes; expected at most ${MAX_EXEC_BYTES} (half of Linux's ARG_MAX, the rest for the inherited environment)`,
        `command and env of at most ${MAX_EXEC_BYTES} bytes`,
      );
    }
  }, ALWAYS)
  .superRefine(successThresholdOne('livenessProbe'), ALWAYS)
  .superRefine(successThresholdOne('startupProbe'), ALWAYS)
  .transform(normaliseEnv);

/** Schema of {@link AnalysisTemplateRef}. */
const analysisTemplateRefSchema = strict({
  templateName: nameSchema,
  clusterScope: z.boolean({ error: 'true or false' }).optional(),
});

const VALUE_FROM_KEYS = ['env', 'secretKeyRef', 'fieldRef', 'podTemplateHashValue'] as const;
/** Schema of {@link AnalysisArg}: a `value`, a `valueFrom`, or neither (a required arg of a template). */
const analysisArgSchema = strict({
  name: nonEmptyString(),
  value: z.string({ error: TEXT_VALUE }).max(MAX_TEXT_LENGTH, { error: TEXT_VALUE }).optional(),
  valueFrom: strict({
    env: nonEmptyString('an environment variable name').optional(),
    secretKeyRef: strict({ name: nonEmptyString(), key: nonEmptyString() }).optional(),
    fieldRef: strict({ fieldPath: nonEmptyString() }).optional(),
    podTemplateHashValue: z.enum(['Stable', 'Latest'], { error: 'Stable or Latest' }).optional(),
  })
    .superRefine(exactlyOneOf(VALUE_FROM_KEYS, 'valueFrom'), ALWAYS)
    .optional(),
}).superRefine((value: unknown, ctx) => {
  if (isRecord(value) && value['value'] !== undefined && value['valueFrom'] !== undefined) {
    problem(ctx, ['valueFrom'], 'an arg has either value or valueFrom, not both', 'value or valueFrom');
  }
}, ALWAYS);

const argsSchema = z
  .array(analysisArgSchema, { error: 'a list of args' })
  .max(MAX_ITEMS, { error: `a list of at most ${MAX_ITEMS} args` })
  .superRefine(uniqueBy('name', 'arg'), ALWAYS);
const dryRunSchema = z.array(strict({ metricName: nonEmptyString() }), { error: 'a list of {metricName}' });
const measurementRetentionSchema = z.array(
  strict({ metricName: nonEmptyString(), limit: int(1, MAX_COUNT) }),
  {
    error: 'a list of {metricName, limit}',
  },
);

const rolloutAnalysisShape = {
  templates: z
    .array(analysisTemplateRefSchema, { error: 'a list of {templateName}' })
    .min(1, { error: 'at least one {templateName}' }),
  args: argsSchema.optional(),
  dryRun: dryRunSchema.optional(),
  measurementRetention: measurementRetentionSchema.optional(),
};
/** Schema of {@link RolloutAnalysis}. */
export const rolloutAnalysisSchema = strict(rolloutAnalysisShape);
/** Schema of {@link RolloutAnalysisBackground}. */
export const rolloutAnalysisBackgroundSchema = strict({
  ...rolloutAnalysisShape,
  startingStep: int(0).optional(),
});

/** HTTP field names (RFC 9110 section 5.1: a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_NAME_EXPECTED = "an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)";
const REGEX_EXPECTED = `an RE2 regular expression of at most ${MAX_HEADER_ROUTE_REGEX_LENGTH} characters`;

/** Schema of {@link StringMatch}: exactly one of exact, prefix, regex; a regex must be valid RE2. */
const stringMatchSchema = strict(
  {
    exact: z.string({ error: 'a string' }).optional(),
    prefix: z.string({ error: 'a string' }).optional(),
    regex: z
      .string({ error: 'a string' })
      .max(MAX_HEADER_ROUTE_REGEX_LENGTH, { error: REGEX_EXPECTED })
      .optional(),
  },
  'a mapping with exactly one of exact, prefix, regex',
)
  .superRefine(exactlyOneOf(['exact', 'prefix', 'regex'], 'a StringMatch'))
  .superRefine((value: unknown, ctx) => {
    // Too long: the .max() above reports it.
    if (!isRecord(value) || typeof value['regex'] !== 'string') return;
    if (value['regex'].length > MAX_HEADER_ROUTE_REGEX_LENGTH) return;
    try {
      compileHeaderRouteRegex(value['regex']);
    } catch (err) {
      if (!(err instanceof PatternSyntaxError)) throw err;
      expect(ctx, ['regex'], REGEX_EXPECTED, value['regex'], err.reason);
    }
  }, ALWAYS);

/** Schema of {@link HeaderRoutingMatch}. */
const headerRoutingMatchSchema = strict({
  headerName: z.string({ error: HEADER_NAME_EXPECTED }).regex(HEADER_NAME, { error: HEADER_NAME_EXPECTED }),
  headerValue: stringMatchSchema,
});

/** Schema of {@link SetHeaderRoute}. */
export const setHeaderRouteSchema = strict(
  {
    name: nonEmptyString(),
    match: z
      .array(headerRoutingMatchSchema, { error: 'a list of {headerName, headerValue}' })
      .min(1, {
        error: 'a non-empty list of {headerName, headerValue} (leave match out to remove the route)',
      })
      .max(MAX_HEADER_ROUTE_MATCHES, {
        error: `a list of at most ${MAX_HEADER_ROUTE_MATCHES} {headerName, headerValue}`,
      })
      .optional(),
  },
  'a mapping: {name, match: [{headerName, headerValue: {exact | prefix | regex}}]}',
);

/**
 * A string that `check` accepts (it returns why not, or undefined): a JSONPath, a condition.
 * @param expected - what the error says was expected.
 */
export function checkedString(expected: string, check: (value: string) => string | undefined) {
  return z.string({ error: expected }).superRefine((value, ctx) => {
    const why = check(value);
    if (why !== undefined) expect(ctx, [], expected, value, why);
  });
}

const ROUTE_MATCH_EXPECTED = 'a mapping with at least one of method, path, headers';
/** Schema of {@link RouteMatch}. */
const routeMatchSchema = strict(
  {
    method: stringMatchSchema.optional(),
    path: stringMatchSchema.optional(),
    headers: z
      .record(
        z.string({ error: HEADER_NAME_EXPECTED }).regex(HEADER_NAME, { error: HEADER_NAME_EXPECTED }),
        stringMatchSchema,
        { error: 'a mapping of header names to {exact | prefix | regex}' },
      )
      .optional(),
  },
  ROUTE_MATCH_EXPECTED,
).superRefine((value: unknown, ctx) => {
  if (
    isRecord(value) &&
    value['method'] === undefined &&
    value['path'] === undefined &&
    value['headers'] === undefined
  )
    expect(ctx, [], ROUTE_MATCH_EXPECTED, value);
}, ALWAYS);

/** Schema of {@link SetMirrorRoute}. */
export const setMirrorRouteSchema = strict(
  {
    name: nonEmptyString(),
    percentage: int(0, 100, 'a percentage 0..100').optional(),
    match: z
      .array(routeMatchSchema, { error: 'a list of {method, path, headers}' })
      .min(1, { error: 'a non-empty list of {method, path, headers} (leave match out to remove the route)' })
      .max(MAX_HEADER_ROUTE_MATCHES, {
        error: `a list of at most ${MAX_HEADER_ROUTE_MATCHES} {method, path, headers}`,
      })
      .optional(),
    compare: strict({
      jsonPath: checkedString('a JSONPath such as {$.answer}', checkJsonPath).optional(),
    }).optional(),
  },
  'a mapping: {name, percentage, match: [{method, path, headers}], compare: {jsonPath}}',
);

const FLAG_KEY_EXPECTED = 'a flag key of a FeatureFlags resource (1..256 characters)';
/** Schema of {@link SetFlag}; that the flag and variant exist is checked at apply, against the FeatureFlags. */
const setFlagSchema = strict(
  {
    flag: z
      .string({ error: FLAG_KEY_EXPECTED })
      .min(1, { error: FLAG_KEY_EXPECTED })
      .max(256, { error: FLAG_KEY_EXPECTED }),
    variant: nonEmptyString('a variant name of the flag'),
    percentage: int(0, 100, 'a percentage 0..100 (integer)'),
  },
  'a mapping: {flag, variant, percentage}',
);

/** Schema of {@link RolloutExperimentTemplate}. */
const experimentTemplateSchema = strict({
  name: z
    .string({ error: NAME_EXPECTED })
    .regex(DNS_LABEL, { error: NAME_EXPECTED })
    .max(40, { error: NAME_EXPECTED }),
  specRef: z.enum(['stable', 'canary'], { error: 'stable or canary' }),
  replicas: int(1, 100).optional(),
  weight: int(0, 100, 'an integer 0..100 (percent of traffic)').optional(),
});

/** Schema of {@link RolloutExperimentAnalysis}. */
const experimentAnalysisSchema = strict({
  name: nonEmptyString(),
  templateName: nonEmptyString(),
  clusterScope: z.boolean({ error: 'true or false' }).optional(),
  args: argsSchema.optional(),
  requiredForCompletion: z.boolean({ error: 'true or false' }).optional(),
});

/** Schema of {@link RolloutExperimentStep}. */
export const experimentStepSchema = strict({
  duration: durationSchema.optional(),
  templates: z
    .array(experimentTemplateSchema, { error: 'a list of {name, specRef}' })
    .min(1, { error: 'a non-empty list of {name, specRef}' })
    .superRefine(uniqueBy('name', 'template'), ALWAYS),
  analyses: z
    .array(experimentAnalysisSchema, { error: 'a list of {name, templateName}' })
    .superRefine(uniqueBy('name', 'analysis'), ALWAYS)
    .optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value) || !Array.isArray(value['templates'])) return;
  const total = value['templates'].reduce(
    (sum: number, t: unknown) => sum + (isRecord(t) && typeof t['weight'] === 'number' ? t['weight'] : 0),
    0,
  );
  if (total > 100) expect(ctx, ['templates'], 'template weights summing to at most 100', total);
}, ALWAYS);

export const PAUSE_EXPECTED = 'a mapping: {} to pause until promoted, or {duration: 30s}';
/** Schema of {@link CanaryStep}: exactly one of `setWeight`, `pause`, `analysis`, `setHeaderRoute`, `setMirrorRoute`, `experiment`, `setFlag`. */
const canaryStepSchema = z.union(
  [
    strict({ setWeight: int(0, 100) }),
    strict({ setFlag: setFlagSchema }),
    strict({ pause: strict({ duration: durationSchema.optional() }, PAUSE_EXPECTED) }),
    strict({ analysis: rolloutAnalysisSchema }),
    strict({ setHeaderRoute: setHeaderRouteSchema }),
    strict({ setMirrorRoute: setMirrorRouteSchema }),
    strict({ experiment: experimentStepSchema }),
  ],
  {
    error:
      'a step with exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, experiment, setFlag',
  },
);

/** Schema of {@link CanaryStrategy}. */
const canaryStrategySchema = strict({
  steps: z
    .array(canaryStepSchema, { error: 'a list of steps' })
    .max(MAX_ITEMS, { error: `a list of at most ${MAX_ITEMS} steps` })
    .optional(),
  analysis: rolloutAnalysisBackgroundSchema.optional(),
  abortScaleDownDelaySeconds: seconds(0).optional(),
  scaleDownDelaySeconds: seconds(0).optional(),
  maxSurge: intOrPercent(1000).optional(),
  maxUnavailable: intOrPercent(100).optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  const analysis = value['analysis'];
  const startingStep = isRecord(analysis) ? analysis['startingStep'] : undefined;
  const steps = value['steps'];
  if (typeof startingStep === 'number' && Number.isInteger(startingStep) && startingStep > 0) {
    const count = Array.isArray(steps) ? steps.length : 0;
    if (startingStep >= count) {
      const expected = count === 0 ? '0 (the canary has no steps)' : `a step index 0..${count - 1}`;
      expect(ctx, ['analysis', 'startingStep'], expected, startingStep, `the canary has ${count} steps`);
    }
  }
  // As Argo Rollouts (and Kubernetes' Deployment): with both 0 no replica could ever be replaced.
  if (isZero(value['maxSurge'] ?? '25%') && isZero(value['maxUnavailable'] ?? 0)) {
    const field = value['maxUnavailable'] === undefined ? 'maxSurge' : 'maxUnavailable';
    problem(
      ctx,
      [field],
      'maxSurge and maxUnavailable cannot both be 0 (maxSurge defaults to 25%, maxUnavailable to 0)',
    );
  }
}, ALWAYS);

/** Schema of {@link BlueGreenStrategy}. */
const blueGreenStrategySchema = strict({
  previewPort: portSchema.optional(),
  autoPromotionEnabled: z.boolean({ error: 'true or false' }).optional(),
  autoPromotionSeconds: seconds(0).optional(),
  previewReplicaCount: int(1, MAX_REPLICAS).optional(),
  scaleDownDelaySeconds: seconds(0).optional(),
  abortScaleDownDelaySeconds: seconds(0).optional(),
  prePromotionAnalysis: rolloutAnalysisSchema.optional(),
  postPromotionAnalysis: rolloutAnalysisSchema.optional(),
});

/** Schema of {@link RollingStrategy}. */
const rollingStrategySchema = strict({
  maxSurge: intOrPercent(1000).optional(),
  maxUnavailable: intOrPercent(100).optional(),
  partition: int(0, MAX_REPLICAS).optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  if (isZero(value['maxSurge'] ?? '25%') && isZero(value['maxUnavailable'] ?? '25%')) {
    const field = value['maxUnavailable'] === undefined ? 'maxSurge' : 'maxUnavailable';
    problem(ctx, [field], 'maxSurge and maxUnavailable cannot both be 0 (both default to 25%)');
  }
}, ALWAYS);

const STRATEGIES = ['canary', 'blueGreen', 'rolling', 'recreate'] as const;
/** Schema of {@link RolloutStrategy}: exactly one strategy. */
export const rolloutStrategySchema = strict({
  canary: canaryStrategySchema.optional(),
  blueGreen: blueGreenStrategySchema.optional(),
  rolling: rollingStrategySchema.optional(),
  recreate: strict({}, 'an empty mapping: {}').optional(),
}).superRefine(exactlyOneOf(STRATEGIES, 'a strategy'), ALWAYS);

const HANDOFF_ACTIONS = ['httpGet', 'exec'] as const;
const handoffActionShape = {
  httpGet: strict({
    path: urlPathSchema,
    port: portSchema.optional(),
    method: z.enum(['GET', 'POST', 'PUT'], { error: 'GET, POST or PUT' }).optional(),
    headers: headerMap.optional(),
  }).optional(),
  exec: strict({ command: commandSchema }).optional(),
};
/** Schema of {@link HandoffAction}: exactly one of httpGet, exec. */
const handoffActionSchema = strict(handoffActionShape).superRefine(
  exactlyOneOf(HANDOFF_ACTIONS, 'a handoff step'),
  ALWAYS,
);
const JSON_PATH_EXPECTED = 'a JSONPath such as {$.active}';
/** Schema of {@link HandoffVerify}. */
const handoffVerifySchema = strict({
  ...handoffActionShape,
  jsonPath: nonEmptyString(JSON_PATH_EXPECTED)
    .superRefine((value, ctx) => {
      const error = checkJsonPath(value);
      if (error !== undefined) expect(ctx, [], JSON_PATH_EXPECTED, value, error);
    })
    .optional(),
  successCondition: nonEmptyString('a condition such as result == true')
    .superRefine((value, ctx) => {
      const error = checkExpression(value);
      if (error !== undefined) expect(ctx, [], 'a condition such as result == true', value, error);
    })
    .optional(),
}).superRefine(exactlyOneOf(HANDOFF_ACTIONS, 'a handoff step'), ALWAYS);

/** Largest `maxStateBytes`: 1 GiB (the state passes through cutover's memory and store). */
const MAX_HANDOFF_STATE_BYTES = 1024 ** 3;
const STATE_BYTES_EXPECTED = 'a size such as 64Mi or 1Gi, or a number of bytes, at most 1Gi';
/** Schema of {@link Handoff}. */
const handoffSchema = strict({
  singleton: z.boolean({ error: 'true or false' }).optional(),
  prepare: handoffActionSchema.optional(),
  export: handoffActionSchema,
  import: handoffActionSchema,
  activate: handoffActionSchema.optional(),
  verify: handoffVerifySchema.optional(),
  shutdown: handoffActionSchema.optional(),
  timeoutSeconds: seconds(1).optional(),
  maxStateBytes: z
    .union([z.number(), z.string()], { error: STATE_BYTES_EXPECTED })
    .superRefine((value, ctx) => {
      const bytes = parseMemory(value);
      if (bytes === undefined || bytes > MAX_HANDOFF_STATE_BYTES)
        expect(ctx, [], STATE_BYTES_EXPECTED, value);
    })
    .optional(),
  snapshotIntervalSeconds: seconds(1).optional(),
});

const COOKIE_NAME_EXPECTED = "a cookie name (letters, digits and !#$%&'*+-.^_`|~)";
/** Schema of {@link SessionAffinity}. */
const sessionAffinitySchema = strict({
  type: z.enum(['ClientIP', 'Cookie', 'Header'], { error: 'ClientIP, Cookie or Header' }),
  cookieName: z
    .string({ error: COOKIE_NAME_EXPECTED })
    .max(128, { error: COOKIE_NAME_EXPECTED })
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: COOKIE_NAME_EXPECTED })
    .optional(),
  headerName: headerNameSchema.optional(),
  timeoutSeconds: int(1, 86_400 * 30, 'an integer number of seconds 1..2592000 (30 days)').optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  if (value['type'] === 'Header' && value['headerName'] === undefined) {
    problem(
      ctx,
      ['headerName'],
      'required field is missing: type Header keys sessions by a request header; expected its name, e.g. X-Session-Id',
      'a header name',
    );
  }
  if (value['cookieName'] !== undefined && value['type'] !== 'Cookie') {
    problem(ctx, ['cookieName'], 'cookieName applies to type Cookie only', 'type Cookie');
  }
  if (value['headerName'] !== undefined && value['type'] !== 'Header') {
    problem(ctx, ['headerName'], 'headerName applies to type Header only', 'type Header');
  }
}, ALWAYS);

/** Largest `connectionPool` limit (Istio's default: 2^32 - 1, unbounded). */
const MAX_POOL_LIMIT = 4_294_967_295;

const RETRY_ON_EXPECTED = `a comma-separated list of ${RETRY_ON_TOKENS.join(', ')} or status codes such as 503`;
/** Envoy's retry conditions, as Istio's `HTTPRetry.retryOn`. */
const retryOnSchema = z.string({ error: RETRY_ON_EXPECTED }).superRefine((value, ctx) => {
  const { problems } = parseRetryOn(value);
  if (problems.length > 0) expect(ctx, [], `${RETRY_ON_EXPECTED} (unknown: ${problems.join(', ')})`, value);
});

/** Schema of {@link RolloutSpec}. */
export const rolloutSpecSchema = strict({
  replicas: int(0, MAX_REPLICAS, `an integer 0..${MAX_REPLICAS} (the local platform's limit)`).optional(),
  port: portSchema,
  paused: z.boolean({ error: 'true or false' }).optional(),
  progressDeadlineSeconds: seconds(1).optional(),
  progressDeadlineAbort: z.boolean({ error: 'true or false' }).optional(),
  template: localTemplateSchema,
  strategy: rolloutStrategySchema,
  stateful: strict({}, 'an empty mapping: {}').optional(),
  handoff: handoffSchema.optional(),
  sessionAffinity: sessionAffinitySchema.optional(),
  driftPolicy: z.enum(['alert', 'remediate'], { error: 'alert or remediate' }).optional(),
  trafficPolicy: strict({
    outlierDetection: strict({
      consecutive5xxErrors: int(0, MAX_COUNT).optional(),
      consecutiveGatewayErrors: int(0, MAX_COUNT).optional(),
      interval: durationSchema.optional(),
      baseEjectionTime: durationSchema.optional(),
      maxEjectionPercent: int(0, 100, 'a percentage 0..100').optional(),
      minHealthPercent: int(0, 100, 'a percentage 0..100').optional(),
    }).optional(),
    connectionPool: strict({
      tcp: strict({
        maxConnections: int(1, MAX_POOL_LIMIT).optional(),
        connectTimeout: durationSchema.optional(),
      }).optional(),
      http: strict({
        http1MaxPendingRequests: int(1, MAX_POOL_LIMIT).optional(),
        maxRequestsPerConnection: int(0, MAX_POOL_LIMIT).optional(),
        maxRetries: int(1, MAX_POOL_LIMIT).optional(),
      }).optional(),
    }).optional(),
    timeout: durationSchema.optional(),
    retries: strict({
      attempts: int(0, MAX_RETRY_ATTEMPTS),
      perTryTimeout: durationSchema.optional(),
      retryOn: retryOnSchema.optional(),
    }).optional(),
  }).optional(),
})
  .superRefine(checkStateful, ALWAYS)
  .superRefine((value: unknown, ctx) => {
    if (!isRecord(value)) return;
    const strategy = value['strategy'];
    const blueGreen = isRecord(strategy) ? strategy['blueGreen'] : undefined;
    const previewPort = isRecord(blueGreen) ? blueGreen['previewPort'] : undefined;
    if (typeof previewPort === 'number' && previewPort === value['port']) {
      expect(
        ctx,
        ['strategy', 'blueGreen', 'previewPort'],
        `a port other than spec.port (${previewPort})`,
        previewPort,
      );
    }
  }, ALWAYS);

/**
 * `spec.stateful` runs one process per ordinal: only strategies that replace an ordinal in place
 * (rolling, recreate) apply, as a StatefulSet's; `strategy.rolling.partition` needs it and is at
 * most `replicas`.
 */
function checkStateful(value: unknown, ctx: Ctx): void {
  if (!isRecord(value) || !isRecord(value['strategy'])) return;
  const strategy = value['strategy'];
  const stateful = value['stateful'] !== undefined;
  if (stateful && (strategy['canary'] !== undefined || strategy['blueGreen'] !== undefined)) {
    const name = strategy['canary'] !== undefined ? 'canary' : 'blueGreen';
    problem(
      ctx,
      ['strategy', name],
      `a stateful Rollout runs at most one process per ordinal, so two revisions cannot run side by side; expected rolling or recreate with spec.stateful (or a handoff without spec.stateful for ${name})`,
      'rolling or recreate',
    );
  }
  if (value['handoff'] !== undefined && strategy['canary'] !== undefined) {
    problem(
      ctx,
      ['strategy', 'canary'],
      'a handoff moves the active role at one moment, a canary splits the traffic between revisions; expected blueGreen, rolling or recreate with spec.handoff',
      'blueGreen, rolling or recreate',
    );
  }
  const rolling = strategy['rolling'];
  const partition = isRecord(rolling) ? rolling['partition'] : undefined;
  if (partition === undefined) return;
  if (!stateful) {
    problem(
      ctx,
      ['strategy', 'rolling', 'partition'],
      'partition applies to a stateful Rollout only (spec.stateful: {})',
      'spec.stateful',
    );
  }
  const replicas = typeof value['replicas'] === 'number' ? value['replicas'] : 1;
  if (typeof partition === 'number' && partition > replicas) {
    expect(ctx, ['strategy', 'rolling', 'partition'], `an integer 0..${replicas} (spec.replicas)`, partition);
  }
}

/** Schema of {@link Rollout}. */
export const rolloutSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('Rollout', { error: 'Rollout' }),
  metadata: scopedObjectMetaSchema,
  spec: rolloutSpecSchema,
});

// ---------------------------------------------------------------------------------------------
// AnalysisTemplate

const METRIC_EXPECTED = 'error-rate, request-rate, latency or mirror-mismatch-rate';
const REVISION_EXPECTED = 'canary, stable, preview, active, mirror or experiment:<template name>';
/** Schema of {@link BuiltinMetricProvider}: a metric of cutover's router. */
const builtinMetricProviderSchema = strict({
  metric: z.enum(['error-rate', 'request-rate', 'latency', 'mirror-mismatch-rate'], {
    error: METRIC_EXPECTED,
  }),
  quantile: z
    .number({ error: 'a quantile between 0 and 1 (exclusive), e.g. 0.95' })
    .gt(0, { error: 'a quantile between 0 and 1 (exclusive), e.g. 0.95' })
    .lt(1, { error: 'a quantile between 0 and 1 (exclusive), e.g. 0.95' })
    .optional(),
  revision: z
    .union(
      [
        z.enum(['canary', 'stable', 'preview', 'active', 'mirror']),
        z.templateLiteral(['experiment:', z.string().regex(DNS_LABEL)]),
      ],
      { error: REVISION_EXPECTED },
    )
    .optional(),
  window: durationOrArgSchema.optional(),
  flag: nonEmptyString('a flag key (with variant)').optional(),
  variant: nonEmptyString('a variant name of the flag').optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  if (value['quantile'] !== undefined && value['metric'] !== 'latency') {
    problem(
      ctx,
      ['quantile'],
      `quantile applies to metric latency only, not ${describeInput(value['metric'])}`,
    );
  }
  const byVariant = value['flag'] !== undefined || value['variant'] !== undefined;
  if (!byVariant) return;
  if (value['flag'] === undefined || value['variant'] === undefined) {
    const missing = value['flag'] === undefined ? 'flag' : 'variant';
    problem(ctx, [missing], `flag and variant go together: ${missing} is missing`, missing);
  }
  if (value['metric'] === 'mirror-mismatch-rate')
    problem(ctx, ['flag'], 'flag and variant apply to error-rate, request-rate and latency');
  const revision = value['revision'];
  if (typeof revision === 'string' && (revision === 'mirror' || revision.startsWith('experiment:')))
    problem(
      ctx,
      ['revision'],
      `flag and variant measure a revision's own traffic: canary, stable, preview or active, not ${describeInput(revision)}`,
    );
}, ALWAYS);

const providerFields = record(z.string(), z.unknown(), 'a mapping of provider fields');
/** Schema of {@link MetricProvider}: exactly one provider. */
const metricProviderSchema = strict({
  builtin: builtinMetricProviderSchema.optional(),
  prometheus: providerFields.optional(),
  web: providerFields.optional(),
  job: providerFields.optional(),
  judge: providerFields.optional(),
  sequential: providerFields.optional(),
}).superRefine(exactlyOneOf(METRIC_PROVIDERS, 'a metric provider'), ALWAYS);

/** Schema of {@link Metric}. Integer fields also accept `{{args.name}}`. */
export const metricSchema = strict({
  name: nonEmptyString(),
  interval: durationOrArgSchema.optional(),
  initialDelay: durationOrArgSchema.optional(),
  count: intOrArg(0).optional(),
  successCondition: z.string({ error: 'an expression such as result < 0.05' }).optional(),
  failureCondition: z.string({ error: 'an expression such as result >= 0.05' }).optional(),
  // -1 (no limit) is Argo's way to rely on consecutiveSuccessLimit alone.
  failureLimit: intOrArg(-1).optional(),
  inconclusiveLimit: intOrArg(0).optional(),
  consecutiveErrorLimit: intOrArg(0).optional(),
  consecutiveSuccessLimit: intOrArg(0).optional(),
  provider: metricProviderSchema,
}).superRefine((metric: unknown, ctx) => {
  if (!isRecord(metric) || !isRecord(metric['provider'])) return;
  // The analysis module's rules may repeat, in other words, an issue the schema found at the same
  // place (a metric with no provider, say): only problems elsewhere are added.
  const taken = ctx.issues.map((issue) => (issue.path ?? []).map(String));
  const overlaps = (path: Path) =>
    taken.some((other) =>
      other.every((key, index) => path[index] === undefined || String(path[index]) === key),
    );
  for (const found of checkMetric(metric)) {
    if (!overlaps(found.path)) problem(ctx, found.path, found.message);
  }
}, ALWAYS);

/** Schema of {@link AnalysisTemplateSpec}. */
const analysisTemplateSpecSchema = strict({
  args: argsSchema.optional(),
  metrics: z
    .array(metricSchema, { error: 'a list of metrics' })
    .min(1, { error: 'at least one metric' })
    .max(MAX_ITEMS, { error: `a list of at most ${MAX_ITEMS} metrics` })
    .superRefine(uniqueBy('name', 'metric name'), ALWAYS),
  dryRun: dryRunSchema.optional(),
  measurementRetention: measurementRetentionSchema.optional(),
}).superRefine(checkTemplateArgsAndConditions, ALWAYS);

/** Schema of {@link AnalysisTemplateMeta}. */
const analysisTemplateMetaSchema = strict({
  ...objectMetaSchema.shape,
  namespace: nameSchema.optional(),
});

/** Schema of {@link AnalysisTemplate} (kind `AnalysisTemplate` or `ClusterAnalysisTemplate`). */
export const analysisTemplateSchema = strict({
  apiVersion: z.enum([API_VERSION, ARGO_API_VERSION], { error: `${API_VERSION} or ${ARGO_API_VERSION}` }),
  kind: z.enum(['AnalysisTemplate', 'ClusterAnalysisTemplate'], {
    error: 'AnalysisTemplate or ClusterAnalysisTemplate',
  }),
  metadata: analysisTemplateMetaSchema,
  spec: analysisTemplateSpecSchema,
});

/**
 * Every `{{args.x}}` in the metrics names a declared arg, and every condition compiles. A condition
 * holding placeholders is compiled with the args' default values substituted (Argo substitutes before
 * compiling); when an arg has no default its check is left to the run, which knows the value.
 */
function checkTemplateArgsAndConditions(value: unknown, ctx: Ctx): void {
  if (!isRecord(value) || !Array.isArray(value['metrics'])) return;
  const defaults = new Map<string, string | undefined>();
  for (const arg of Array.isArray(value['args']) ? value['args'] : []) {
    if (isRecord(arg) && typeof arg['name'] === 'string') {
      defaults.set(arg['name'], typeof arg['value'] === 'string' ? arg['value'] : undefined);
    }
  }
  const declared = [...defaults.keys()];
  value['metrics'].forEach((metric: unknown, index) => {
    forEachString(metric, ['metrics', index], (text, path) => {
      for (const match of text.matchAll(ARG_PLACEHOLDER)) {
        const name = match[1] ?? '';
        if (!defaults.has(name)) {
          const known =
            declared.length === 0 ? 'the template declares no args' : `declared args: ${declared.join(', ')}`;
          problem(
            ctx,
            path,
            `unknown arg ${JSON.stringify(name)} in ${match[0]} (${known})`,
            'a declared arg',
          );
        }
      }
    });
    if (!isRecord(metric)) return;
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const source = metric[field];
      if (typeof source !== 'string') continue;
      let guessed = false;
      const substituted = source.replace(ARG_PLACEHOLDER, (_whole, name: string) => {
        const fallback = defaults.get(name);
        if (fallback === undefined) guessed = true;
        return fallback ?? '0';
      });
      const error = checkExpression(substituted);
      if (error !== undefined && !guessed) {
        const note = substituted === source ? '' : " (with the args' default values substituted)";
        problem(
          ctx,
          ['metrics', index, field],
          `invalid expression${note}: ${error}`,
          'an expression that compiles',
        );
      }
    }
  });
}

function forEachString(value: unknown, path: Path, visit: (text: string, path: Path) => void): void {
  if (typeof value === 'string') {
    visit(value, path);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) forEachString(item, [...path, index], visit);
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) forEachString(item, [...path, key], visit);
  }
}

/** Schema of {@link ConfigMap}. */
export const configMapSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('ConfigMap', { error: 'ConfigMap' }),
  metadata: scopedObjectMetaSchema,
  data: envMap.optional(),
});

/** A Secret's `stringData`: as {@link envMap}, but no message ever quotes a value. */
const secretDataMap = record(
  z.string().regex(ENV_NAME, { error: ENV_NAME_EXPECTED }),
  z.string({ error: 'a string (the value is never shown)' }),
  'a mapping of key names to strings',
).superRefine((data, ctx) => {
  for (const [name, value] of Object.entries(data)) {
    if (value.includes('\0'))
      problem(
        ctx,
        [name],
        `expected ${ENV_VALUE_EXPECTED}; the value holds NUL (not shown)`,
        ENV_VALUE_EXPECTED,
      );
    else if (Buffer.byteLength(`${name}=${value}`) > MAX_ENV_ENTRY_BYTES)
      problem(
        ctx,
        [name],
        `expected ${ENV_VALUE_EXPECTED}, got ${Buffer.byteLength(`${name}=${value}`)} bytes (not shown)`,
        ENV_VALUE_EXPECTED,
      );
  }
});

const URL_EXPECTED = 'an http:// or https:// URL';
export const httpUrl = z.string({ error: URL_EXPECTED }).regex(/^https?:\/\/\S+$/, { error: URL_EXPECTED });

/** Schema of a notification channel (a Release's `spec.notifications`, a Secret's `notifications`). */
export const notificationChannelSchema = strict({
  name: nonEmptyString(),
  type: z.enum(['webhook', 'slack'], { error: 'webhook or slack' }),
  url: httpUrl,
  kinds: z
    .array(nonEmptyString(), { error: 'a list of notification kinds' })
    .min(1, { error: 'at least one kind (omit kinds for all)' })
    .optional(),
  headers: headerMap.optional(),
});

const ROTATION_EXPECTED = 'a 5-part cron expression (UTC), e.g. "0 0 1 * *" (monthly)';

/** Why `schedule` is not a 5-part cron expression (croner's message), or undefined when it is. */
function rotationScheduleProblem(schedule: string): string | undefined {
  try {
    // No callback: croner parses only, it starts no timer.
    new Cron(schedule, { mode: '5-part', timezone: 'UTC' });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e);
  }
}

/** Schema of {@link Secret}: `stringData` only (no base64 `data`, so nothing is mistaken for encryption). */
export const secretSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('Secret', { error: 'Secret' }),
  metadata: scopedObjectMetaSchema,
  type: z.literal('Opaque', { error: 'Opaque' }).optional(),
  stringData: secretDataMap,
  rotationSchedule: z
    .string({ error: ROTATION_EXPECTED })
    .superRefine((value, ctx) => {
      const why = rotationScheduleProblem(value);
      if (why !== undefined) expect(ctx, [], ROTATION_EXPECTED, value, why);
    })
    .optional(),
  notifications: z
    .array(notificationChannelSchema, { error: 'a list of channels' })
    .max(16, { error: 'a list of at most 16 channels' })
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// types.ts stays the source of truth: each schema must infer exactly its interface.

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const shapesMatchTypes: [
  Same<z.infer<typeof objectMetaSchema>, ObjectMeta>,
  Same<z.infer<typeof scopedObjectMetaSchema>, ScopedObjectMeta>,
  Same<z.infer<typeof httpGetActionSchema>, HttpGetAction>,
  Same<z.infer<typeof probeSchema>, Probe>,
  Same<z.infer<typeof lifecycleHandlerSchema>, LifecycleHandler>,
  Same<z.infer<typeof lifecycleSchema>, Lifecycle>,
  Same<z.infer<typeof handoffActionSchema>, HandoffAction>,
  Same<z.infer<typeof handoffVerifySchema>, HandoffVerify>,
  Same<z.infer<typeof handoffSchema>, Handoff>,
  Same<z.infer<typeof sessionAffinitySchema>, SessionAffinity>,
  Same<
    z.infer<typeof localTemplateSchema>,
    Omit<LocalTemplate, 'refVersions' | 'refEnvironment' | 'fileData'>
  >,
  Same<z.infer<typeof templateFileSchema>, TemplateFile>,
  Same<z.infer<typeof envFromSchema>, EnvFromSource>,
  Same<z.infer<typeof envVarSchema>, EnvVar>,
  Same<z.infer<typeof keySelectorSchema>, KeySelector>,
  Same<z.infer<typeof configMapSchema>, ConfigMap>,
  Same<z.infer<typeof secretSchema>, Secret>,
  Same<z.infer<typeof analysisTemplateRefSchema>, AnalysisTemplateRef>,
  Same<z.infer<typeof analysisArgSchema>, AnalysisArg>,
  Same<z.infer<typeof rolloutAnalysisSchema>, RolloutAnalysis>,
  Same<z.infer<typeof rolloutAnalysisBackgroundSchema>, RolloutAnalysisBackground>,
  Same<z.infer<typeof stringMatchSchema>, StringMatch>,
  Same<z.infer<typeof headerRoutingMatchSchema>, HeaderRoutingMatch>,
  Same<z.infer<typeof setHeaderRouteSchema>, SetHeaderRoute>,
  Same<z.infer<typeof setMirrorRouteSchema>, SetMirrorRoute>,
  Same<z.infer<typeof setFlagSchema>, SetFlag>,
  Same<z.infer<typeof experimentTemplateSchema>, RolloutExperimentTemplate>,
  Same<z.infer<typeof experimentAnalysisSchema>, RolloutExperimentAnalysis>,
  Same<z.infer<typeof experimentStepSchema>, RolloutExperimentStep>,
  Same<z.infer<typeof canaryStepSchema>, CanaryStep>,
  Same<z.infer<typeof canaryStrategySchema>, CanaryStrategy>,
  Same<z.infer<typeof blueGreenStrategySchema>, BlueGreenStrategy>,
  Same<z.infer<typeof rollingStrategySchema>, RollingStrategy>,
  Same<z.infer<typeof rolloutStrategySchema>, RolloutStrategy>,
  Same<z.infer<typeof rolloutSpecSchema>, RolloutSpec>,
  Same<z.infer<typeof rolloutSchema>, Rollout>,
  Same<z.infer<typeof builtinMetricProviderSchema>, BuiltinMetricProvider>,
  Same<z.infer<typeof metricProviderSchema>, MetricProvider>,
  Same<z.infer<typeof metricSchema>, Metric>,
  Same<z.infer<typeof analysisTemplateSpecSchema>, AnalysisTemplateSpec>,
  Same<z.infer<typeof analysisTemplateMetaSchema>, AnalysisTemplateMeta>,
  Same<z.infer<typeof analysisTemplateSchema>, AnalysisTemplate>,
] = [
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
  true,
];
void shapesMatchTypes;
