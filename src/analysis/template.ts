/**
 * From AnalysisTemplates to an AnalysisRun's spec, as Argo Rollouts' `NewAnalysisRunFromTemplates`
 * (utils/analysis/helpers.go): templates' metrics merged, args resolved and substituted.
 */

import { compileLinearRegex, type LinearRegex } from '../regex/index.js';
import { maskSecrets, SecretValue } from '../secret/index.js';
import type {
  AnalysisArg,
  AnalysisTemplate,
  AnalysisTemplateRef,
  Metric,
  RolloutAnalysis,
} from '../spec/types.js';
import { createAnalysisRun } from './analysis-run.js';
import { intField } from './defaults.js';
import { AnalysisTemplateError } from './errors.js';
import { validateMetrics } from './metric-validation.js';
import { type ArgSources, isSecretArgSource, readSecretArg, type SecretArgSource } from './secret-args.js';
import type { AnalysisRun, AnalysisRunRevisions, AnalysisRunSpec } from './types.js';

/**
 * Options of {@link buildAnalysisRunSpec}: `env` is where `valueFrom.env` and
 * `valueFrom.secretKeyRef` are read (the server's environment), `envAllow` the variables
 * `valueFrom.env` may read (default none).
 */
export interface BuildAnalysisRunSpecOptions extends ArgSources {
  /** Rollout name, for `valueFrom.fieldRef: {fieldPath: metadata.name}`. */
  rollout?: string;
  /** Revisions, for `valueFrom.podTemplateHashValue` (`Stable` → stable, `Latest` → the judged revision). */
  revisions?: AnalysisRunRevisions;
  /** The revision the run judges, for `podTemplateHashValue: Latest`. */
  revision?: number;
}

/** Metric fields that are integers but may be written as `{{args.x}}` strings (Argo's IntOrString). */
export const METRIC_INTEGER_FIELDS = [
  'count',
  'failureLimit',
  'inconclusiveLimit',
  'consecutiveErrorLimit',
  'consecutiveSuccessLimit',
] as const;
/** `{{args.name}}` as Argo Rollouts substitutes it; group 1 is the arg's name. */
export const ARG_PLACEHOLDER = /\{\{\s*args\.([A-Za-z0-9_.-]+?)\s*\}\}/g;

interface ResolvedArg {
  name: string;
  /** A secret arg's value stays wrapped: it is substituted only at measurement time. */
  value: string | SecretValue;
  /** For a secret arg: where it is read again at each measurement. */
  source?: SecretArgSource;
}

/** As Argo's `flattenArgs`: same-named args across templates must agree; a valued one wins over an unvalued one. */
function flattenArgs(templates: readonly AnalysisTemplate[]): AnalysisArg[] {
  const combined: AnalysisArg[] = [];
  templates.forEach((template, t) => {
    (template.spec.args ?? []).forEach((arg, a) => {
      const i = combined.findIndex((c) => c.name === arg.name);
      const previous = combined[i];
      if (previous === undefined) {
        combined.push({ ...arg });
        return;
      }
      if (previous.value !== undefined && arg.value !== undefined && previous.value !== arg.value) {
        throw new AnalysisTemplateError(
          `templates[${t}].spec.args[${a}].value`,
          `argument ${arg.name} specified multiple times with different values: ${JSON.stringify(previous.value)}, ${JSON.stringify(arg.value)}`,
          { template: template.metadata.name },
        );
      }
      if (previous.value === undefined && previous.valueFrom === undefined) combined[i] = { ...arg };
    });
  });
  return combined;
}

function resolveArg(arg: AnalysisArg, path: string, options: BuildAnalysisRunSpecOptions): ResolvedArg {
  if (arg.value !== undefined) return { name: arg.name, value: arg.value };
  const from = arg.valueFrom;
  if (from === undefined)
    throw new AnalysisTemplateError(path, `args.${arg.name} was not resolved: it has no value`);
  if (isSecretArgSource(from)) {
    const source: SecretArgSource =
      from.env !== undefined ? { env: from.env } : { secretKeyRef: from.secretKeyRef! };
    return { name: arg.name, value: readSecretArg(source, path, options), source };
  }
  if (from.fieldRef !== undefined) {
    if (from.fieldRef.fieldPath === 'metadata.name' && options.rollout !== undefined) {
      return { name: arg.name, value: options.rollout };
    }
    throw new AnalysisTemplateError(
      `${path}.valueFrom.fieldRef.fieldPath`,
      `unsupported fieldPath ${JSON.stringify(from.fieldRef.fieldPath)} (supported: metadata.name)`,
    );
  }
  if (from.podTemplateHashValue !== undefined) {
    const revision = from.podTemplateHashValue === 'Stable' ? options.revisions?.stable : options.revision;
    if (revision === undefined) {
      throw new AnalysisTemplateError(
        `${path}.valueFrom.podTemplateHashValue`,
        `no ${from.podTemplateHashValue} revision known when the run was created`,
      );
    }
    return { name: arg.name, value: String(revision) };
  }
  throw new AnalysisTemplateError(`${path}.valueFrom`, `args.${arg.name} was not resolved: empty valueFrom`);
}

/** Where a secret arg may be used: inside `provider` (a condition or a count would show it). */
const SECRET_ALLOWED_PATH = /^spec\.metrics\[\d+\]\.provider\./;

/**
 * Replaces `{{args.name}}` in every string of `value`. A secret arg's placeholder is left as is
 * (the runner substitutes it at each measurement), and only inside `provider`.
 */
function substitute(
  value: unknown,
  args: ReadonlyMap<string, ResolvedArg>,
  path: string,
  template: string,
): unknown {
  if (typeof value === 'string') {
    return value.replace(ARG_PLACEHOLDER, (match, name: string) => {
      const arg = args.get(name);
      if (arg === undefined) {
        throw new AnalysisTemplateError(
          path,
          `{{args.${name}}} refers to an argument the templates do not declare`,
          {
            template,
          },
        );
      }
      if (typeof arg.value === 'string') return arg.value;
      if (!SECRET_ALLOWED_PATH.test(path)) {
        throw new AnalysisTemplateError(
          path,
          `{{args.${name}}} is a secret (valueFrom.secretKeyRef or valueFrom.env) and may only be used in provider fields, where it is never shown`,
          { template },
        );
      }
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, args, `${path}[${i}]`, template));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = substitute(item, args, `${path}.${key}`, template);
    return out;
  }
  return value;
}

/**
 * A stored metric with its secret args' placeholders replaced by their values, for the provider
 * that measures it: the only copy of a metric holding secrets in clear. Never store or show it.
 * Placeholders of other names are left as they are. Pure.
 */
export function revealSecretArgs(metric: Metric, secrets: ReadonlyMap<string, SecretValue>): Metric {
  const reveal = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(ARG_PLACEHOLDER, (match, name: string) => secrets.get(name)?.reveal() ?? match);
    }
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, reveal(item)]));
    }
    return value;
  };
  return secrets.size === 0 ? metric : (reveal(metric) as Metric);
}

function matchesAny(rule: string, names: readonly string[]): boolean {
  if (rule === '*') return names.length > 0;
  let regex: LinearRegex | undefined;
  try {
    regex = compileLinearRegex(rule);
  } catch {
    regex = undefined;
  }
  return names.some((name) => (regex ? regex.test(name) : name === rule));
}

/**
 * Builds the spec of an AnalysisRun from the templates a RolloutAnalysis references, as Argo
 * Rollouts' `NewAnalysisRunFromTemplates`:
 * - metrics of all templates, in order; a metric name used twice is an error;
 * - args: declared by the templates (same-named args must agree); a rollout-provided `value` or
 *   `valueFrom` overrides the template's; an arg the templates do not declare is ignored; every arg
 *   must end with a value: `value`, `valueFrom.env` (the variable in `options.env`, if it is in
 *   `options.envAllow`), `valueFrom.secretKeyRef` (the variable `CUTOVER_SECRET_<NAME>_<KEY>`, see
 *   `secretEnvName`),
 *   `valueFrom.fieldRef` (`metadata.name` only), or `valueFrom.podTemplateHashValue` (the stable or
 *   judged revision number);
 * - `{{args.name}}` (spaces allowed inside the braces) is replaced in every string of every metric,
 *   providers included; integer fields (`count`, the limits) that were strings become numbers;
 * - dryRun and measurementRetention rules of the rollout and the templates are concatenated; a
 *   rule that matches no metric is an error;
 * - the resulting metrics must pass `validateMetrics`.
 *
 * Args are substituted once here, except secret args (`valueFrom.secretKeyRef`, `valueFrom.env`):
 * they may only appear inside `provider`, where their placeholders stay, and `spec.args` records
 * where they come from (`{name, valueFrom}`), never their value; the runner substitutes them at each
 * measurement (as Argo Rollouts does). The metrics are validated with the secrets substituted; the
 * problems are masked.
 *
 * Pure (reads only `options.env`).
 *
 * @throws {AnalysisTemplateError} code `CUTOVER_E_ANALYSIS_TEMPLATE`, with the field path (code
 *   `CUTOVER_E_ANALYSIS_ENV_NOT_ALLOWED` for a `valueFrom.env` outside `options.envAllow`)
 */
export function buildAnalysisRunSpec(
  templates: readonly AnalysisTemplate[],
  rolloutAnalysis: RolloutAnalysis,
  options: BuildAnalysisRunSpecOptions,
): AnalysisRunSpec {
  if (templates.length === 0)
    throw new AnalysisTemplateError('templates', 'expected at least one AnalysisTemplate');
  const declared = flattenArgs(templates);
  const merged = declared.map((arg) => {
    const incoming = rolloutAnalysis.args?.find((a) => a.name === arg.name);
    if (incoming?.value !== undefined) return { name: arg.name, value: incoming.value };
    if (incoming?.valueFrom !== undefined) return { name: arg.name, valueFrom: incoming.valueFrom };
    return arg;
  });
  const resolved = new Map<string, ResolvedArg>();
  merged.forEach((arg) => {
    const index = rolloutAnalysis.args?.findIndex((a) => a.name === arg.name) ?? -1;
    const path =
      index >= 0 ? `args[${index}]` : `spec.args[${declared.findIndex((d) => d.name === arg.name)}]`;
    resolved.set(arg.name, resolveArg(arg, path, options));
  });

  const metrics: Metric[] = [];
  const seen = new Map<string, string>();
  templates.forEach((template) => {
    const templateName = template.metadata.name;
    template.spec.metrics.forEach((raw, m) => {
      const path = `spec.metrics[${m}]`;
      const previous = seen.get(raw.name);
      if (previous !== undefined) {
        throw new AnalysisTemplateError(
          `${path}.name`,
          `two metrics have the same name ${JSON.stringify(raw.name)} (also in template ${previous})`,
          { template: templateName },
        );
      }
      seen.set(raw.name, templateName);
      const metric = substitute(structuredClone(raw), resolved, path, templateName) as Metric;
      for (const field of METRIC_INTEGER_FIELDS) {
        const value = metric[field];
        if (typeof value !== 'string') continue;
        const parsed = intField(value);
        if (parsed === undefined || Number.isNaN(parsed)) {
          throw new AnalysisTemplateError(
            `${path}.${field}`,
            `expected an integer, got ${JSON.stringify(value)}`,
            {
              template: templateName,
            },
          );
        }
        metric[field] = parsed;
      }
      const builtin = metric.provider.builtin;
      if (builtin !== undefined && typeof builtin.quantile === 'string') {
        const quantile = Number(builtin.quantile);
        if (!Number.isFinite(quantile)) {
          throw new AnalysisTemplateError(
            `${path}.provider.builtin.quantile`,
            `expected a number, got ${JSON.stringify(builtin.quantile)}`,
            { template: templateName },
          );
        }
        builtin.quantile = quantile;
      }
      metrics.push(metric);
    });
  });

  const names = metrics.map((m) => m.name);
  const dryRun = [...(rolloutAnalysis.dryRun ?? []), ...templates.flatMap((t) => t.spec.dryRun ?? [])];
  dryRun.forEach((rule, i) => {
    if (!matchesAny(rule.metricName, names)) {
      throw new AnalysisTemplateError(
        `dryRun[${i}].metricName`,
        `rule ${JSON.stringify(rule.metricName)} matches no metric`,
      );
    }
  });
  const measurementRetention = [
    ...(rolloutAnalysis.measurementRetention ?? []),
    ...templates.flatMap((t) => t.spec.measurementRetention ?? []),
  ];
  measurementRetention.forEach((rule, i) => {
    if (!matchesAny(rule.metricName, names)) {
      throw new AnalysisTemplateError(
        `measurementRetention[${i}].metricName`,
        `rule ${JSON.stringify(rule.metricName)} matches no metric`,
      );
    }
  });

  const secrets = new Map(
    [...resolved.values()].flatMap((a) =>
      a.value instanceof SecretValue ? [[a.name, a.value] as const] : [],
    ),
  );
  const problems = validateMetrics(
    metrics.map((m) => revealSecretArgs(m, secrets)),
    'spec.metrics',
  );
  if (problems.length > 0) {
    throw new AnalysisTemplateError('spec.metrics', maskSecrets(problems.join('; '), secrets.values()));
  }

  const spec: AnalysisRunSpec = { metrics };
  if (dryRun.length > 0) spec.dryRun = dryRun;
  if (measurementRetention.length > 0) spec.measurementRetention = measurementRetention;
  if (resolved.size > 0) {
    spec.args = [...resolved.values()].map((a) =>
      typeof a.value === 'string' ? { name: a.name, value: a.value } : { name: a.name, valueFrom: a.source! },
    );
  }
  return spec;
}

/** Inputs of {@link buildAnalysisRun}. */
export interface BuildAnalysisRunOptions {
  name: string;
  rollout: string;
  revision: number;
  revisions: AnalysisRunRevisions;
  kind: AnalysisRun['kind'];
  /** The referenced templates as looked up; `template` is `undefined` when not found. */
  templates: readonly { ref: AnalysisTemplateRef; template: AnalysisTemplate | undefined }[];
  analysis: RolloutAnalysis;
  env: Record<string, string | undefined>;
  /** Variables `valueFrom.env` may read. @default [] */
  envAllow?: readonly string[];
  /** ms since the epoch. */
  now: number;
}

/**
 * Builds a new AnalysisRun for a rollout: {@link buildAnalysisRunSpec} then `createAnalysisRun`.
 *
 * Never throws: a missing template or an {@link AnalysisTemplateError} gives a run that is already
 * completed in phase Error with the reason as message (as Argo Rollouts marks an AnalysisRun with an
 * invalid spec Error), so the rollout reacts to it like to any failed analysis. Pure.
 */
export function buildAnalysisRun(options: BuildAnalysisRunOptions): AnalysisRun {
  const base = {
    name: options.name,
    rollout: options.rollout,
    revision: options.revision,
    revisions: options.revisions,
    kind: options.kind,
    now: options.now,
  };
  const errorRun = (message: string): AnalysisRun => {
    const run = createAnalysisRun({ ...base, spec: { metrics: [] } });
    run.status = {
      phase: 'Error',
      message,
      startedAt: options.now,
      finishedAt: options.now,
      metricResults: [],
    };
    return run;
  };
  const missing = options.templates.filter((t) => t.template === undefined).map((t) => t.ref.templateName);
  if (missing.length > 0) {
    return errorRun(`AnalysisTemplate${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`);
  }
  try {
    const spec = buildAnalysisRunSpec(
      options.templates.map((t) => t.template as AnalysisTemplate),
      options.analysis,
      {
        env: options.env,
        ...(options.envAllow !== undefined ? { envAllow: options.envAllow } : {}),
        rollout: options.rollout,
        revisions: options.revisions,
        revision: options.revision,
      },
    );
    return createAnalysisRun({ ...base, spec });
  } catch (error) {
    if (error instanceof AnalysisTemplateError) return errorRun(`analysis spec invalid: ${error.message}`);
    throw error;
  }
}
