/**
 * The `FeatureFlags` kind: flagd flag definitions (issue 14, part 3), validated with flagd's own
 * JSON schema as `@openfeature/flagd-core` ships it (its precompiled validator and parser), so a
 * definition flagd would refuse is refused at `cutover apply` with its field path.
 *
 * @example
 * apiVersion: cutover.dev/v1alpha1
 * kind: FeatureFlags
 * metadata: { name: planner, environment: production }
 * spec:
 *   flags:
 *     new-planner:
 *       state: ENABLED
 *       variants: { on: true, off: false }
 *       defaultVariant: off
 *       targeting: { fractional: [["on", 25], ["off", 75]] }
 */
import { type FeatureFlag, MemoryStorage } from '@openfeature/flagd-core';
import { z } from 'zod';
import { MAX_ITEMS, MAX_TEXT_LENGTH } from './limits.js';
import { ALWAYS, describeInput, isRecord, nameSchema, objectMetaSchema, problem, strict } from './schema.js';
import { API_VERSION, type ObjectMeta } from './types.js';

/** One flagd flag definition (flagd's `flag` schema: state, variants, defaultVariant, targeting, metadata). */
export type FlagdFlag = Record<string, unknown>;

/** `metadata` of a FeatureFlags resource: a name and, optionally, the environment it serves. */
export interface FeatureFlagsMeta extends ObjectMeta {
  /**
   * The environment whose evaluations see these flags (a request names it with the header
   * `x-cutover-environment`); absent = every environment. A flag of an environment overrides the
   * environment-less flag of the same key.
   */
  environment?: string;
}

/** `spec` of a FeatureFlags resource: a flagd flag set (flagd's `flags`, `$evaluators`, `metadata`). */
export interface FeatureFlagsSpec {
  /** flagd flag definitions by flag key. */
  flags: Record<string, FlagdFlag>;
  /** Shared targeting rules, referenced from a flag's targeting as `{"$ref": "name"}` (flagd's `$evaluators`). */
  $evaluators?: Record<string, unknown>;
  /** Flag set metadata (flagd's): merged under each flag's own metadata. */
  metadata?: Record<string, string | number | boolean>;
}

/** A set of feature flags in flagd's format, served over OFREP by the data plane. */
export interface FeatureFlags {
  apiVersion: typeof API_VERSION;
  kind: 'FeatureFlags';
  metadata: FeatureFlagsMeta;
  spec: FeatureFlagsSpec;
}

/** Flags of one FeatureFlags resource. */
export const MAX_FLAGS = MAX_ITEMS;
/** A flag key, characters. */
export const MAX_FLAG_KEY_LENGTH = 256;
/** The JSON of one FeatureFlags `spec`, bytes (the API takes 1 MiB bodies). */
export const MAX_FLAG_SET_BYTES = 512 * 1024;

const FLAG_KEY_EXPECTED = `a flag key: 1..${MAX_FLAG_KEY_LENGTH} characters, no control characters`;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;

const flagsSchema = z
  .record(
    z.string(),
    z.record(z.string(), z.unknown(), {
      error: 'a flagd flag definition: a mapping with state, variants, defaultVariant',
    }),
    { error: 'a mapping of flag keys to flagd flag definitions' },
  )
  .superRefine((flags, ctx) => {
    const keys = Object.keys(flags);
    if (keys.length > MAX_FLAGS)
      problem(
        ctx,
        [],
        `expected at most ${MAX_FLAGS} flags, got ${keys.length}`,
        `at most ${MAX_FLAGS} flags`,
      );
    for (const key of keys) {
      if (key.length === 0 || key.length > MAX_FLAG_KEY_LENGTH || CONTROL.test(key))
        problem(ctx, [key], `expected ${FLAG_KEY_EXPECTED}, got ${describeInput(key)}`, FLAG_KEY_EXPECTED);
    }
  });

const flagSetMetadataSchema = z.record(
  z.string(),
  z.union([z.string().max(MAX_TEXT_LENGTH), z.number(), z.boolean()], {
    error: 'a string, a number or true/false',
  }),
  { error: 'a mapping of strings, numbers or booleans' },
);

const featureFlagsSpecSchema = strict({
  flags: flagsSchema,
  $evaluators: z
    .record(z.string(), z.unknown(), { error: 'a mapping of rule names to JsonLogic' })
    .optional(),
  metadata: flagSetMetadataSchema.optional(),
}).superRefine((spec: unknown, ctx) => {
  // Runs even when a field failed (ALWAYS), so flagd's findings come with the others: check shapes.
  if (!isRecord(spec) || !isRecord(spec['flags'])) return;
  const evaluators = spec['$evaluators'];
  const flags = Object.fromEntries(Object.entries(spec['flags']).filter(([, flag]) => isRecord(flag)));
  const bytes = Buffer.byteLength(JSON.stringify(spec));
  if (bytes > MAX_FLAG_SET_BYTES) {
    problem(
      ctx,
      [],
      `expected a flag set of at most ${MAX_FLAG_SET_BYTES} bytes of JSON, got ${bytes}`,
      `at most ${MAX_FLAG_SET_BYTES} bytes`,
    );
    return;
  }
  const set = isRecord(evaluators) ? { flags, $evaluators: evaluators } : { flags };
  for (const issue of flagdIssues(set)) problem(ctx, issue.path, issue.message, issue.expected);
}, ALWAYS);

/** Schema of {@link FeatureFlags}: the flags are checked by flagd's own schema and parser. */
export const featureFlagsSchema = strict({
  apiVersion: z.literal(API_VERSION, { error: API_VERSION }),
  kind: z.literal('FeatureFlags', { error: 'FeatureFlags' }),
  metadata: strict({ ...objectMetaSchema.shape, environment: nameSchema.optional() }),
  spec: featureFlagsSpecSchema,
});

/** One problem flagd finds in a flag set, its path relative to `spec`. */
interface FlagdIssue {
  path: (string | number)[];
  message: string;
  expected?: string;
}

/** One error of flagd's precompiled (ajv) validator, as its ParseError lists them. */
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const QUIET_LOGGER = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * The problems flagd finds in a flag set, each with its path from `spec` (`flags.<key>.variants`).
 * Each flag is parsed alone (with the set's `$evaluators`) by flagd-core's parser in strict mode:
 * flagd's JSON schema, then its structural checks (state, defaultVariant among the variants), then
 * the compilation of the targeting rule.
 *
 * Pure. Never throws for bad input.
 */
function flagdIssues(spec: {
  flags: Record<string, unknown>;
  $evaluators?: Record<string, unknown> | undefined;
}): FlagdIssue[] {
  const issues: FlagdIssue[] = [];
  for (const [key, flag] of Object.entries(spec.flags)) {
    const warnings: string[] = [];
    const logger = { ...QUIET_LOGGER, warn: (message: string) => warnings.push(String(message)) };
    const config = JSON.stringify({
      flags: { [key]: flag },
      ...(spec.$evaluators !== undefined ? { $evaluators: spec.$evaluators } : {}),
    });
    let parsed: FeatureFlag | undefined;
    try {
      const storage = new MemoryStorage(logger);
      storage.setConfigurations(config, true);
      parsed = storage.getFlag(key);
    } catch (error) {
      issues.push(...fromParseError(key, error));
      continue;
    }
    if (parsed === undefined) {
      issues.push({ path: ['flags', key], message: 'flagd did not load this flag' });
    } else if (warnings.length > 0) {
      issues.push({
        path: ['flags', key, 'targeting'],
        message: `flagd cannot compile this targeting rule (${warnings[0]})`,
        expected: 'JsonLogic with flagd operators (fractional, sem_ver, starts_with, ends_with)',
      });
    }
  }
  return issues;
}

/** Issues from flagd-core's ParseError: its validator's errors when it lists them, else its cause. */
function fromParseError(key: string, error: unknown): FlagdIssue[] {
  const message = error instanceof Error ? error.message : String(error);
  const json = message.indexOf(': [');
  if (json >= 0) {
    try {
      const errors = JSON.parse(message.slice(json + 2)) as AjvError[];
      const issues = fromAjvErrors(key, errors);
      if (issues.length > 0) return issues;
    } catch {
      // Not the validator's list: the cause says what is wrong.
    }
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : message;
  const missing = /^Default variant (.*) missing from variants/.exec(cause);
  if (missing !== null)
    return [
      {
        path: ['flags', key, 'defaultVariant'],
        message: `defaultVariant ${JSON.stringify(missing[1])} is not one of the flag's variants`,
        expected: 'the key of one of the variants',
      },
    ];
  if (cause.startsWith('Invalid flag state'))
    return [
      {
        path: ['flags', key, 'state'],
        message: 'expected ENABLED or DISABLED',
        expected: 'ENABLED or DISABLED',
      },
    ];
  return [{ path: ['flags', key], message: `flagd refuses this flag: ${cause}` }];
}

/** `/flags/a~1b/variants` (a JSON pointer) to `['flags', 'a/b', 'variants']`. */
function pointerPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * flagd's schema is a union (a flag's variants are all booleans, all numbers, all strings or all
 * objects; a targeting rule is one of many operators), so its validator reports one error per
 * branch tried. Keep what a person can act on: one issue for mixed variants, else the errors at
 * the deepest path, without the union summaries.
 */
function fromAjvErrors(key: string, errors: readonly AjvError[]): FlagdIssue[] {
  const concrete = errors.filter((e) => !['anyOf', 'oneOf', 'if', 'allOf'].includes(e.keyword));
  const variantTypes = concrete.filter((e) => e.keyword === 'type' && /Variants\//.test(e.schemaPath));
  if (variantTypes.length > 0) {
    return [
      {
        path: ['flags', key, 'variants'],
        message:
          'expected variants all of one type (all booleans, all numbers, all strings or all objects), as flagd requires',
        expected: 'variants of one type',
      },
    ];
  }
  const depth = Math.max(...concrete.map((e) => pointerPath(e.instancePath).length));
  const deepest = concrete.filter((e) => pointerPath(e.instancePath).length === depth);
  const seen = new Set<string>();
  const issues: FlagdIssue[] = [];
  for (const e of deepest) {
    const issue = describeAjv(e);
    const id = `${e.instancePath} ${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const path = pointerPath(e.instancePath);
    issues.push({ ...issue, path: path.length === 0 ? ['flags', key] : path });
  }
  // An unknown operator is reported once per operator schema tried: one issue per path is enough.
  return issues.filter((issue, index) => issues.findIndex((i) => same(i.path, issue.path)) === index);
}

function same(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function describeAjv(e: AjvError): Omit<FlagdIssue, 'path'> {
  const inTargeting = e.instancePath.includes('/targeting');
  switch (e.keyword) {
    case 'enum': {
      const allowed = (e.params['allowedValues'] as unknown[] | undefined) ?? [];
      const expected = `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
      return { message: `expected ${expected} (flagd's schema)`, expected };
    }
    case 'additionalProperties': {
      const name = JSON.stringify(e.params['additionalProperty']);
      return inTargeting
        ? {
            message: `unknown targeting operator ${name} (flagd's schema: JsonLogic with fractional, sem_ver, starts_with, ends_with)`,
            expected: 'a JsonLogic or flagd operator',
          }
        : { message: `unknown field ${name} (flagd's schema)`, expected: "a field of flagd's schema" };
    }
    case 'required': {
      const name = String(e.params['missingProperty']);
      return {
        message: `required field ${JSON.stringify(name)} is missing (flagd's schema)`,
        expected: name,
      };
    }
    case 'type': {
      const expected = `a value of type ${String(e.params['type'])}`;
      return { message: `expected ${expected} (flagd's schema)`, expected };
    }
    default:
      return { message: `${e.message ?? 'invalid'} (flagd's schema, ${e.keyword})` };
  }
}
