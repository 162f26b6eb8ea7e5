/**
 * The spec's validation entry point: one parsed document to a typed Resource, or every problem
 * found, each with its field path and what was expected.
 */
import type { z } from 'zod';
import { argoRolloutSchema } from './argo-rollout-schema.js';
import type { ArgoRollout } from './argo-rollout-types.js';
import { findUnimplementedArgoFields } from './argo-unimplemented.js';
import { featureFlagsSchema } from './feature-flags-schema.js';
import { formatPath } from './load.js';
import { environmentSchema, releaseSchema } from './release-schema.js';
import {
  analysisTemplateSchema,
  configMapSchema,
  describeInput,
  isRecord,
  RESOURCE_KINDS,
  rolloutSchema,
  secretSchema,
} from './schema.js';
import { API_VERSION, ARGO_API_VERSION, type Resource } from './types.js';

type Path = (string | number)[];

/** A problem in one document, located by field path only (the loader adds file, line and column). */
export interface FieldIssue {
  /** Path from the document's root, e.g. `['spec', 'strategy', 'canary', 'steps', 1, 'setWeight']`. */
  path: (string | number)[];
  /** What is wrong, e.g. `expected an integer 0..100, got 150`. */
  message: string;
  /** What would have been accepted, when it can be said in a phrase. */
  expected?: string;
}

/** Outcome of {@link validateResource}: the typed resource, or every problem found. */
export type ResourceValidation = { ok: true; resource: Resource } | { ok: false; issues: FieldIssue[] };

/**
 * Validates one parsed document (the `toJS()` of a YAML document, or a JSON body) as a Resource:
 * `kind` first (an unknown kind is the only issue reported); an Argo Rollout (`argoproj.io/v1alpha1`)
 * is refused at `apiVersion` (it runs on the kubernetes platform, not the local one this serves),
 * with its problems as {@link validateArgoRollout} finds them; any other document is validated by
 * its kind's schema with every issue collected. Cross-document rules (unique names, templateName
 * references) are the loader's.
 *
 * Pure. Never throws for bad input.
 */
export function validateResource(value: unknown): ResourceValidation {
  if (!isRecord(value)) {
    return fail(
      [],
      `expected a mapping with apiVersion, kind, metadata and spec, got ${describeInput(value)}`,
    );
  }
  const kind = value['kind'];
  const kinds = RESOURCE_KINDS.join(', ');
  if (!(RESOURCE_KINDS as readonly unknown[]).includes(kind)) {
    const message =
      kind === undefined
        ? `required field is missing; expected one of ${kinds}`
        : `unknown kind ${describeInput(kind)}; expected one of ${kinds}`;
    return fail(['kind'], message, `one of ${kinds}`);
  }
  if (kind === 'Rollout' && value['apiVersion'] === ARGO_API_VERSION) {
    // Validated whole, so its problems are reported with the refusal (issue 15).
    const argo = validateArgoRollout(value);
    const refusal: FieldIssue = {
      path: ['apiVersion'],
      message: `an Argo Rollout runs on the kubernetes platform (cutover server --platform kubernetes), not on the local platform; write a ${API_VERSION} Rollout for the local platform (docs/spec-reference.md)`,
      expected: API_VERSION,
    };
    return { ok: false, issues: [refusal, ...(argo.ok ? [] : argo.issues)] };
  }
  const schema =
    kind === 'Rollout'
      ? rolloutSchema
      : kind === 'Environment'
        ? environmentSchema
        : kind === 'Release'
          ? releaseSchema
          : kind === 'ConfigMap'
            ? configMapSchema
            : kind === 'Secret'
              ? secretSchema
              : kind === 'FeatureFlags'
                ? featureFlagsSchema
                : analysisTemplateSchema;
  const result = parseWith<Resource>(schema, value);
  if (result.ok) return { ok: true, resource: result.data };
  const issues = result.issues;
  // A Secret's values never appear in a message (the CLI prints it, the API answers it).
  return {
    ok: false,
    issues:
      kind === 'Secret'
        ? issues.map((i) =>
            i.path[0] === 'stringData' && i.path.length >= 2
              ? { ...i, message: i.message.replace(/, got .*$/s, ', got a value (not shown)') }
              : i,
          )
        : issues,
  };
}

/** Outcome of {@link validateArgoRollout}. */
export type ArgoRolloutValidation = { ok: true; rollout: ArgoRollout } | { ok: false; issues: FieldIssue[] };

/**
 * Validates one parsed document as Argo Rollouts' Rollout (`argoproj.io/v1alpha1`) for the
 * kubernetes platform: every field cutover does not implement in ONE issue (at the first of them,
 * listing all their paths), and every other problem as cutover's own schemas report them (unknown
 * fields with the allowed ones, Argo's rules that span fields, the pod template's selector).
 *
 * Pure. Never throws for bad input.
 */
export function validateArgoRollout(value: unknown): ArgoRolloutValidation {
  const { paths, rest, emptied } = findUnimplementedArgoFields(value);
  const result = parseWith(argoRolloutSchema, rest);
  const emptiedKeys = new Set(emptied.map((path) => formatPath(path)));
  const unimplemented: FieldIssue[] =
    paths.length === 0
      ? []
      : [
          {
            path: paths[0] ?? [],
            message: `not implemented by cutover: ${paths.map((p) => formatPath(p)).join(', ')} (remove ${paths.length === 1 ? 'it' : 'them'}; docs/spec-reference.md lists what cutover implements of Argo's Rollout)`,
            expected: 'only fields cutover implements',
          },
        ];
  if (result.ok && unimplemented.length === 0) return { ok: true, rollout: result.data };
  // A mapping emptied by the removal (a step that was only setCanaryScale) is not a problem of its own.
  const others = result.ok ? [] : result.issues.filter((issue) => !emptiedKeys.has(formatPath(issue.path)));
  return { ok: false, issues: [...unimplemented, ...others] };
}

/** Runs a schema with cutover's wording of issues: expectation phrases, unknown fields with the allowed ones. */
function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
): { ok: true; data: T } | { ok: false; issues: FieldIssue[] } {
  const allowedFields = new WeakMap<object, readonly string[]>();
  const result = schema.safeParse(value, {
    reportInput: true,
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && isRecord(issue.input)) {
        const def = issue.inst?._zod.def as { shape?: Record<string, unknown> } | undefined;
        // Accumulated: the branches of a union of strict objects (a canary step) see the same input.
        const previous = allowedFields.get(issue.input) ?? [];
        allowedFields.set(issue.input, [...new Set([...previous, ...Object.keys(def?.shape ?? {})])]);
        return 'an allowed field';
      }
      return genericExpectation(issue);
    },
  });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, issues: result.error.issues.flatMap((issue) => toFieldIssues(issue, allowedFields)) };
}

function fail(path: Path, message: string, expected?: string): ResourceValidation {
  return { ok: false, issues: [expected === undefined ? { path, message } : { path, message, expected }] };
}

const TYPE_PHRASES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
  never: 'nothing (no fields)',
};

/** The expectation phrase for an issue raised by a schema that has no message of its own. */
function genericExpectation(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_PHRASES[issue.expected] ?? `a ${issue.expected}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((item) => JSON.stringify(item)).join(', ')}`;
    default:
      return 'a valid value';
  }
}

/** Turns one zod issue into field issues; an issue about several unknown keys becomes one per key. */
function toFieldIssues(
  issue: z.core.$ZodIssue,
  allowedFields: WeakMap<object, readonly string[]>,
): FieldIssue[] {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const allowed = isRecord(issue.input) ? (allowedFields.get(issue.input) ?? []) : [];
    const expected = allowed.length === 0 ? 'no fields' : `one of ${allowed.join(', ')}`;
    return issue.keys.map((key) => {
      const guess = closest(key, allowed);
      const hint = guess === undefined ? '' : ` (did you mean ${JSON.stringify(guess)}?)`;
      return {
        path: [...path, key],
        message: `unknown field ${JSON.stringify(key)}${hint}; expected ${expected}`,
        expected,
      };
    });
  }
  if (issue.code === 'custom') {
    const expected = typeof issue.params?.['expected'] === 'string' ? issue.params['expected'] : undefined;
    return [
      expected === undefined ? { path, message: issue.message } : { path, message: issue.message, expected },
    ];
  }
  const expected = issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, message: `required field is missing; expected ${expected}`, expected }];
  }
  if (issue.code === 'invalid_key') {
    // A record's key is wrong (an env variable name): the key schema's phrase says what a key must be.
    const keyExpected = issue.issues[0]?.message ?? expected;
    return [
      { path, message: `expected ${keyExpected}, got ${describeInput(issue.input)}`, expected: keyExpected },
    ];
  }
  if (issue.code === 'invalid_union') {
    // A union of a mapping and a list (`env`): the input's type rules out every branch but one.
    const typed = issue.errors.filter(
      (branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0),
    );
    if (typed.length === 1 && typed.length < issue.errors.length) {
      return (typed[0] ?? []).flatMap((inner) =>
        toFieldIssues({ ...inner, path: [...issue.path, ...inner.path] }, allowedFields),
      );
    }
    // A union of strict objects (a canary step): when the keys select one branch, its issues are
    // more precise than "expected a step with exactly one of ..." (`pause:` left empty, say).
    const selected = issue.errors.filter(
      (branch) => !branch.some((inner) => inner.code === 'unrecognized_keys' && inner.path.length === 0),
    );
    if (selected.length === 1 && isRecord(issue.input) && Object.keys(issue.input).length === 1) {
      return (selected[0] ?? []).flatMap((inner) =>
        toFieldIssues({ ...inner, path: [...issue.path, ...inner.path] }, allowedFields),
      );
    }
    if (isRecord(issue.input)) {
      const allowed = allowedFields.get(issue.input) ?? [];
      const hints = Object.keys(issue.input).flatMap((key) => {
        const guess = allowed.includes(key) ? undefined : closest(key, allowed);
        return guess === undefined
          ? []
          : [`did you mean ${JSON.stringify(guess)} for ${JSON.stringify(key)}?`];
      });
      const hint = hints.length === 0 ? '' : ` (${hints.join(' ')})`;
      return [{ path, message: `expected ${expected}, got ${describeInput(issue.input)}${hint}`, expected }];
    }
  }
  return [{ path, message: `expected ${expected}, got ${describeInput(issue.input)}`, expected }];
}

/** The allowed field closest to a misspelt one (Levenshtein distance <= 2, or a case difference). */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : levenshtein(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
