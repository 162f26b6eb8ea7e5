/**
 * Argo Rollouts' `job` metric form, `job: {metadata?, spec}` where `spec` is a Kubernetes JobSpec,
 * as the local platform runs it: the first (only) container's `command` and `args` run in the job
 * sandbox with the host's binaries; the image is not pulled.
 */
import { isAbsolute } from 'node:path';
import type { Metric } from '../../../spec/types.js';
import { isPlaceholder, isRecord, toNumber } from '../web/http.js';
import { parseMemory } from './sandbox.js';

/** Pods a Job may fail before it fails, when `backoffLimit` is unset: Kubernetes' default. */
export const DEFAULT_BACKOFF_LIMIT = 6;

/**
 * A Kubernetes Job as Argo Rollouts' job provider takes it (`JobMetric`): `metadata` (labels,
 * annotations) and the JobSpec. Only the fields {@link validateKubernetesJob} accepts appear.
 */
interface KubernetesJobMetric {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    /** Failed pods tolerated before the Job fails (so `backoffLimit + 1` pods at most). @default 6 */
    backoffLimit?: number | string;
    /** Bound on the whole Job, every pod included, s. */
    activeDeadlineSeconds?: number | string;
    /** Accepted; the local platform keeps nothing after the run. */
    ttlSecondsAfterFinished?: number | string;
    template: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: { restartPolicy: 'Never' | 'OnFailure'; containers: [KubernetesContainer] };
    };
  };
}

interface KubernetesContainer {
  name: string;
  /** Not pulled: recorded by a `JobImageNotPulled` event. */
  image: string;
  imagePullPolicy?: string;
  command: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  workingDir?: string;
  resources?: {
    limits?: { memory?: string | number; cpu?: string | number };
    requests?: { memory?: string | number; cpu?: string | number };
  };
}

/** What the local platform runs for a Kubernetes Job. */
export interface LocalJob {
  /** The container's image, not pulled. */
  image: string;
  /** `command` then `args`, with `$(VAR)` references expanded as Kubernetes does. */
  command: string[];
  /** The container's `env`. */
  env: Record<string, string>;
  /** The container's `workingDir`. @default the job's private work directory */
  cwd?: string;
  /** The Job's `activeDeadlineSeconds`, s, when set. */
  activeDeadlineSeconds?: number;
  /** Failed pods tolerated. @default 6 (Kubernetes') */
  backoffLimit: number;
  /** `resources.limits.memory`, as written (a quantity). */
  memory?: string | number;
}

const JOB_FIELDS = ['metadata', 'spec'] as const;
const META_FIELDS = ['labels', 'annotations'] as const;
/** JobSpec fields honoured (or harmless) on the local platform. */
const JOB_SPEC_FIELDS = [
  'template',
  'backoffLimit',
  'activeDeadlineSeconds',
  'ttlSecondsAfterFinished',
] as const;
/** JobSpec fields a local process cannot honour. */
const JOB_SPEC_UNHONOURED = [
  'parallelism',
  'completions',
  'completionMode',
  'selector',
  'manualSelector',
  'suspend',
  'podFailurePolicy',
  'podReplacementPolicy',
  'backoffLimitPerIndex',
  'maxFailedIndexes',
  'successPolicy',
  'managedBy',
] as const;
const POD_SPEC_FIELDS = ['containers', 'restartPolicy'] as const;
const CONTAINER_FIELDS = [
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'env',
  'workingDir',
  'resources',
] as const;
const RESOURCE_NAMES = ['memory', 'cpu'] as const;
/** A Kubernetes CPU quantity: cores, or millicores with `m`. */
const CPU_QUANTITY = /^(\d+(\.\d+)?|\.\d+)m?$/;
/** Kubernetes' environment variable names (C identifiers, and `-` and `.`). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Whether a `job` provider configuration is Argo's Kubernetes Job form (not cutover's `command` form). Pure. */
export function isKubernetesJob(config: unknown): boolean {
  return isRecord(config) && ('spec' in config || 'metadata' in config);
}

const NOT_LOCAL = 'not implemented on the local platform (a local process cannot honour it)';

/** `unknown field` for names that are no Kubernetes field here, `not implemented` for those that are. */
function extraFields(
  value: Record<string, unknown>,
  known: readonly string[],
  path: string,
  unhonoured: (key: string) => boolean,
): string[] {
  return Object.keys(value)
    .filter((key) => !known.includes(key))
    .map((key) =>
      unhonoured(key)
        ? `${path}.${key}: ${NOT_LOCAL}`
        : `${path}.${key}: unknown field (expected ${known.join(', ')})`,
    );
}

function checkStringMap(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string'))
    return [`${path}: expected a mapping of strings`];
  return [];
}

function checkMeta(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [`${path}: expected {labels, annotations}`];
  return [
    ...extraFields(value, META_FIELDS, path, () => false),
    ...checkStringMap(value.labels, `${path}.labels`),
    ...checkStringMap(value.annotations, `${path}.annotations`),
  ];
}

function checkInteger(value: unknown, path: string, min: number): string[] {
  if (value === undefined || isPlaceholder(value)) return [];
  const n = toNumber(value);
  return n === undefined || !Number.isInteger(n) || n < min
    ? [`${path}: expected an integer >= ${min}, got ${JSON.stringify(value)}`]
    : [];
}

function checkStrings(value: unknown, path: string, required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || !value.every((part) => typeof part === 'string'))
    return [`${path}: expected a list of strings`];
  if (required && (value.length === 0 || value[0] === ''))
    return [`${path}: expected a non-empty list of strings, the program first`];
  return [];
}

function checkResources(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [`${path}: expected {limits, requests}`];
  const problems = extraFields(value, ['limits', 'requests'], path, (key) => key === 'claims');
  for (const kind of ['limits', 'requests'] as const) {
    const quantities = value[kind];
    if (quantities === undefined) continue;
    const at = `${path}.${kind}`;
    if (!isRecord(quantities)) {
      problems.push(`${at}: expected {memory, cpu}`);
      continue;
    }
    problems.push(...extraFields(quantities, RESOURCE_NAMES, at, () => true));
    const { memory, cpu } = quantities;
    if (memory !== undefined && !isPlaceholder(memory) && parseMemory(memory) === undefined)
      problems.push(`${at}.memory: expected a quantity such as 256Mi or 1Gi, got ${JSON.stringify(memory)}`);
    if (cpu !== undefined && !isPlaceholder(cpu) && !CPU_QUANTITY.test(String(cpu)))
      problems.push(`${at}.cpu: expected a quantity of cores such as 500m or 2, got ${JSON.stringify(cpu)}`);
  }
  return problems;
}

function checkEnv(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`${path}: expected a list of {name, value}`];
  return value.flatMap((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(entry)) return [`${at}: expected {name, value}`];
    const problems = extraFields(entry, ['name', 'value'], at, (key) => key === 'valueFrom');
    if (typeof entry.name !== 'string' || !ENV_NAME.test(entry.name))
      problems.push(`${at}.name: expected a variable name, got ${JSON.stringify(entry.name)}`);
    if (entry.value !== undefined && typeof entry.value !== 'string')
      problems.push(`${at}.value: expected a string, got ${JSON.stringify(entry.value)} (quote it)`);
    return problems;
  });
}

function checkContainer(container: unknown, path: string): string[] {
  if (!isRecord(container)) return [`${path}: expected a container {name, image, command, args}`];
  const problems = extraFields(container, CONTAINER_FIELDS, path, () => true);
  if (typeof container.name !== 'string' || container.name === '')
    problems.push(`${path}.name: expected the container's name`);
  if (typeof container.image !== 'string' || container.image === '')
    problems.push(`${path}.image: expected an image (recorded, not pulled, on the local platform)`);
  if (container.command === undefined)
    problems.push(
      `${path}.command: expected the program to run, e.g. [sh, -c]: the local platform runs command and args with the host's binaries and cannot run the image's entrypoint`,
    );
  else problems.push(...checkStrings(container.command, `${path}.command`, true));
  problems.push(...checkStrings(container.args, `${path}.args`, false));
  problems.push(...checkEnv(container.env, `${path}.env`));
  const dir = container.workingDir;
  if (dir !== undefined && !isPlaceholder(dir) && (typeof dir !== 'string' || !isAbsolute(dir)))
    problems.push(`${path}.workingDir: expected an absolute directory, got ${JSON.stringify(dir)}`);
  problems.push(...checkResources(container.resources, `${path}.resources`));
  return problems;
}

function checkPodTemplate(template: unknown, path: string): string[] {
  if (!isRecord(template)) return [`${path}: expected a pod template {metadata, spec}`];
  const problems = [
    ...extraFields(template, ['metadata', 'spec'], path, () => false),
    ...checkMeta(template.metadata, `${path}.metadata`),
  ];
  const pod = template.spec;
  if (!isRecord(pod)) return [...problems, `${path}.spec: expected a pod spec {containers, restartPolicy}`];
  problems.push(...extraFields(pod, POD_SPEC_FIELDS, `${path}.spec`, () => true));
  const restart = pod.restartPolicy;
  if (restart !== 'Never' && restart !== 'OnFailure' && !isPlaceholder(restart))
    problems.push(
      `${path}.spec.restartPolicy: expected Never or OnFailure (a Job's pods), got ${restart === undefined ? 'nothing' : JSON.stringify(restart)}`,
    );
  const containers = pod.containers;
  if (!Array.isArray(containers) || containers.length === 0)
    problems.push(`${path}.spec.containers: expected a list of one container`);
  else {
    problems.push(...checkContainer(containers[0], `${path}.spec.containers[0]`));
    if (containers.length > 1)
      problems.push(
        `${path}.spec.containers[1]: ${NOT_LOCAL}: the local platform runs one container's command (a sidecar cannot be honoured)`,
      );
  }
  return problems;
}

/**
 * Checks Argo's Kubernetes Job form of the `job` provider for the local platform. Pure.
 *
 * Accepted and honoured: `spec.backoffLimit`, `spec.activeDeadlineSeconds`, one container's
 * `command`, `args`, `env` (`{name, value}`), `workingDir`, `resources` (memory and cpu quantities).
 * Accepted and harmless: `metadata` and the pod template's `metadata` (labels, annotations),
 * `ttlSecondsAfterFinished`, `restartPolicy` (Never or OnFailure, required as Kubernetes requires
 * it of a Job), the container's `name`, `image` and `imagePullPolicy`. Any other Kubernetes field
 * (`parallelism`, `volumes`, `env[].valueFrom`, a second container, ...) is a problem of its own
 * ("not implemented on the local platform"), so every one is listed in the same error.
 *
 * @returns problems, each prefixed with its field path; empty when valid
 */
export function validateKubernetesJob(config: unknown, path: string): string[] {
  if (!isRecord(config)) return [`${path}: expected {metadata, spec}`];
  const problems = [
    ...extraFields(config, JOB_FIELDS, path, () => false),
    ...checkMeta(config.metadata, `${path}.metadata`),
  ];
  const spec = config.spec;
  if (!isRecord(spec)) return [...problems, `${path}.spec: expected a Kubernetes JobSpec with template`];
  problems.push(
    ...extraFields(spec, JOB_SPEC_FIELDS, `${path}.spec`, (key) =>
      (JOB_SPEC_UNHONOURED as readonly string[]).includes(key),
    ),
    ...checkInteger(spec.backoffLimit, `${path}.spec.backoffLimit`, 0),
    ...checkInteger(spec.activeDeadlineSeconds, `${path}.spec.activeDeadlineSeconds`, 1),
    ...checkInteger(spec.ttlSecondsAfterFinished, `${path}.spec.ttlSecondsAfterFinished`, 0),
    ...checkPodTemplate(spec.template, `${path}.spec.template`),
  );
  return problems;
}

/**
 * Expands `$(NAME)` references to `vars` as Kubernetes does in a container's command, args and env
 * values: `$$` is a literal `$`, a reference to an undefined variable stays as written. Pure.
 *
 * @example expandDependentVars('echo $(A) $$(A) $(B)', { A: '1' }) // 'echo 1 $(A) $(B)'
 */
export function expandDependentVars(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([^)]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(vars, name) ? (vars[name] as string) : whole;
  });
}

/**
 * What the local platform runs for a validated Kubernetes Job (see {@link validateKubernetesJob}).
 * Pure.
 */
export function localJobOf(config: unknown): LocalJob {
  const job = config as KubernetesJobMetric;
  const container = job.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) env[entry.name] = expandDependentVars(entry.value ?? '', env);
  const deadline = toNumber(job.spec.activeDeadlineSeconds);
  const memory = container.resources?.limits?.memory;
  return {
    image: container.image,
    command: [...container.command, ...(container.args ?? [])].map((part) => expandDependentVars(part, env)),
    env,
    ...(container.workingDir !== undefined ? { cwd: container.workingDir } : {}),
    ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
    backoffLimit: toNumber(job.spec.backoffLimit) ?? DEFAULT_BACKOFF_LIMIT,
    ...(memory !== undefined ? { memory } : {}),
  };
}

/** A metric whose Kubernetes Job runs locally without its image. */
export interface JobImageNotPulled {
  metric: string;
  image: string;
  /** What runs instead: `command` then `args`, as written. */
  command: string[];
}

/**
 * The metrics of `metrics` in Argo's Kubernetes Job form, with the image each names and the command
 * that runs instead (for the `JobImageNotPulled` event of each AnalysisRun). Pure; skips a metric
 * whose job is not valid (its measurements are Error).
 */
export function jobImagesNotPulled(metrics: readonly Metric[]): JobImageNotPulled[] {
  return metrics.flatMap((metric) => {
    const config = metric.provider.job;
    if (!isKubernetesJob(config) || validateKubernetesJob(config, 'job').length > 0) return [];
    const container = (config as unknown as KubernetesJobMetric).spec.template.spec.containers[0];
    return [
      {
        metric: metric.name,
        image: container.image,
        command: [...container.command, ...(container.args ?? [])],
      },
    ];
  });
}
