import { isAbsolute } from 'node:path';
import type { Metric } from '../../../spec/types.js';
import { MetricProviderError } from '../../errors.js';
import { type MeasureContext, type MetricProviderPlugin, providerConfig, verdict } from '../provider.js';
import {
  checkBoolean,
  checkNumber,
  isPlaceholder,
  isRecord,
  toBoolean,
  toNumber,
  unknownFields,
} from '../web/http.js';
import { isKubernetesJob, type LocalJob, localJobOf, validateKubernetesJob } from './kubernetes-job.js';
import {
  JOB_SANDBOX_MODES,
  type RunSandboxedOptions,
  runSandboxed,
  type SandboxedRun,
  sandboxInputProblem,
} from './run-sandboxed.js';
import { parseMemory } from './sandbox.js';

/** Wall-clock limit when `timeoutSeconds` (or a Kubernetes Job's `activeDeadlineSeconds`) is unset, s. */
const DEFAULT_JOB_TIMEOUT_SECONDS = 60;
/** Address-space limit when `resources.memory` is unset. */
const DEFAULT_JOB_MEMORY = '1Gi';
/** Bytes of stdout and of stderr kept for the measurement's message. */
const OUTPUT_TAIL_BYTES = 2048;

/** The `job` provider's configuration (cutover's local counterpart of Argo Rollouts' Job metric). */
interface JobMetricProvider {
  /** argv; resolved on `$PATH`. */
  command: string[];
  /** Absolute directory the command starts in (read-only: an input). @default the private work directory */
  cwd?: string;
  /** Absolute paths the job may read (bound read-only); nothing else of the host but the system's. */
  inputs?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Wall-clock limit, s. @default 60 */
  timeoutSeconds?: number | string;
  /** Keep the host's network. @default false */
  network?: boolean | string;
  /** @default "auto" */
  sandbox?: (typeof JOB_SANDBOX_MODES)[number];
  resources?: {
    /** Address-space limit (RLIMIT_AS), a Kubernetes quantity. @default "1Gi" */
    memory?: string | number;
    /** CPU-time limit (RLIMIT_CPU), s. @default timeoutSeconds */
    cpu?: string | number;
  };
}

/** Options of {@link createJobProvider} (tests inject the programs). */
interface JobProviderOptions {
  /** bwrap to use; `null` as if it were not installed. @default `bwrap` on `$PATH` */
  bwrap?: string | null;
  /** prlimit to use; `null` to run without resource limits. @default `prlimit` on `$PATH` */
  prlimit?: string | null;
  /** Parent of the work directories. @default os.tmpdir() */
  tmpDir?: string;
}

const KNOWN = [
  'command',
  'cwd',
  'inputs',
  'env',
  'timeoutSeconds',
  'network',
  'sandbox',
  'resources',
] as const;
/** Most declared inputs of one job. */
const MAX_INPUTS = 64;

/** Checks either form: Argo's Kubernetes Job (`spec`, `metadata`) or cutover's (`command`). Pure. */
function validate(config: unknown, path: string): string[] {
  return isKubernetesJob(config) ? validateKubernetesJob(config, path) : validateCommandJob(config, path);
}

function validateCommandJob(config: unknown, path: string): string[] {
  if (!isRecord(config))
    return [`${path}: expected {command: [program, args...]} or a Kubernetes Job {metadata, spec}`];
  const problems = unknownFields(config, KNOWN, path);
  const command = config.command;
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string')) {
    problems.push(`${path}.command: expected a non-empty list of strings, e.g. [python3, check.py]`);
  } else if (command[0] === '') {
    problems.push(`${path}.command[0]: expected a program name`);
  }
  if (config.cwd !== undefined && !isPlaceholder(config.cwd)) {
    if (typeof config.cwd !== 'string' || !isAbsolute(config.cwd)) {
      problems.push(`${path}.cwd: expected an absolute directory, got ${JSON.stringify(config.cwd)}`);
    }
  }
  if (config.inputs !== undefined) {
    if (
      !Array.isArray(config.inputs) ||
      config.inputs.length > MAX_INPUTS ||
      !config.inputs.every((i) => typeof i === 'string')
    ) {
      problems.push(`${path}.inputs: expected a list of at most ${MAX_INPUTS} absolute paths`);
    } else {
      config.inputs.forEach((input: string, i) => {
        const problem = isPlaceholder(input) ? undefined : sandboxInputProblem(input);
        if (problem !== undefined) problems.push(`${path}.inputs[${i}]: ${problem}`);
      });
    }
  }
  if (config.env !== undefined) {
    if (!isRecord(config.env)) problems.push(`${path}.env: expected a mapping of NAME: value`);
    else {
      for (const [name, value] of Object.entries(config.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
          problems.push(`${path}.env.${name}: not a valid variable name`);
        if (typeof value !== 'string') {
          problems.push(`${path}.env.${name}: expected a string, got ${JSON.stringify(value)} (quote it)`);
        }
      }
    }
  }
  problems.push(
    ...checkNumber(config.timeoutSeconds, `${path}.timeoutSeconds`, 1e-3, 'a number of seconds > 0'),
  );
  problems.push(...checkBoolean(config.network, `${path}.network`));
  const sandbox = config.sandbox;
  if (
    sandbox !== undefined &&
    !isPlaceholder(sandbox) &&
    !(JOB_SANDBOX_MODES as readonly unknown[]).includes(sandbox)
  ) {
    problems.push(
      `${path}.sandbox: expected one of ${JOB_SANDBOX_MODES.join(', ')}, got ${JSON.stringify(sandbox)}`,
    );
  }
  const resources = config.resources;
  if (resources !== undefined) {
    if (!isRecord(resources)) problems.push(`${path}.resources: expected {memory, cpu}`);
    else {
      problems.push(...unknownFields(resources, ['memory', 'cpu'], `${path}.resources`));
      if (
        resources.memory !== undefined &&
        !isPlaceholder(resources.memory) &&
        parseMemory(resources.memory) === undefined
      ) {
        problems.push(
          `${path}.resources.memory: expected a quantity such as 256Mi or 1Gi, got ${JSON.stringify(resources.memory)}`,
        );
      }
      problems.push(
        ...checkNumber(
          resources.cpu,
          `${path}.resources.cpu`,
          1,
          'CPU time in whole seconds >= 1 (cutover limits CPU time, not cores)',
        ),
      );
    }
  }
  return problems;
}

function outputOf(outcome: SandboxedRun): string {
  const parts = [];
  if (outcome.stderr !== '') parts.push(`stderr: ${outcome.stderr}`);
  if (outcome.stdout !== '') parts.push(`stdout: ${outcome.stdout}`);
  return parts.length > 0 ? `; ${parts.join('; ')}` : '';
}

function exitOf(outcome: SandboxedRun): string {
  // The spawn error names the program; argv[0] is prlimit or bwrap when they wrap it.
  if (outcome.spawnError !== undefined) return `cannot start: ${outcome.spawnError.message}`;
  if (outcome.code !== null)
    return `exit code ${outcome.code}${outcome.code > 128 ? ` (signal ${outcome.code - 128}: a resource limit or a kill)` : ''}`;
  return `killed by ${outcome.signal ?? 'a signal'}`;
}

const unsandboxedNote = (outcome: SandboxedRun): string =>
  outcome.sandboxed ? '' : ' (not sandboxed: bubblewrap not installed or sandbox: none)';

/**
 * Builds a `job` metric provider. `bwrap` and `prlimit` are looked up on `$PATH` at each measurement
 * unless given.
 */
export function createJobProvider(options: JobProviderOptions = {}): MetricProviderPlugin {
  const run = (
    job: Omit<RunSandboxedOptions, 'bwrap' | 'prlimit' | 'tmpDir' | 'tailBytes'>,
  ): Promise<SandboxedRun> =>
    runSandboxed({
      ...job,
      ...(options.bwrap !== undefined ? { bwrap: options.bwrap } : {}),
      ...(options.prlimit !== undefined ? { prlimit: options.prlimit } : {}),
      ...(options.tmpDir !== undefined ? { tmpDir: options.tmpDir } : {}),
      tailBytes: OUTPUT_TAIL_BYTES,
    });

  async function measureCommand(config: JobMetricProvider, ctx: MeasureContext): Promise<unknown> {
    const timeoutSeconds = toNumber(config.timeoutSeconds) ?? DEFAULT_JOB_TIMEOUT_SECONDS;
    const outcome = await run({
      command: config.command,
      ...(config.cwd !== undefined ? { cwd: config.cwd } : {}),
      ...(config.inputs !== undefined ? { inputs: config.inputs } : {}),
      ...(config.env !== undefined ? { env: config.env } : {}),
      timeoutMs: timeoutSeconds * 1000,
      network: toBoolean(config.network) ?? false,
      sandbox: config.sandbox ?? 'auto',
      memoryBytes: parseMemory(config.resources?.memory ?? DEFAULT_JOB_MEMORY) ?? 2 ** 30,
      cpuSeconds: toNumber(config.resources?.cpu) ?? timeoutSeconds,
      signal: ctx.signal,
    });
    const unsandboxed = unsandboxedNote(outcome);
    if (outcome.spawnError !== undefined) {
      throw new MetricProviderError('job', exitOf(outcome), { cause: outcome.spawnError });
    }
    if (outcome.timedOut) {
      return verdict(
        'Error',
        null,
        `job timed out after ${timeoutSeconds} s and was killed${unsandboxed}${outputOf(outcome)}`,
      );
    }
    if (ctx.signal.aborted) throw new MetricProviderError('job', 'measurement aborted; job killed');
    return verdict(
      outcome.code === 0 ? 'Successful' : 'Failed',
      outcome.code ?? outcome.signal,
      `job ${exitOf(outcome)}${unsandboxed}${outputOf(outcome)}`,
    );
  }

  /**
   * As Kubernetes' Job controller, one pod after another until one succeeds or `backoffLimit + 1`
   * have failed, all within `activeDeadlineSeconds`; then Argo's job provider: Job complete gives
   * Successful, Job failed (BackoffLimitExceeded, DeadlineExceeded) Failed.
   */
  async function measureKubernetesJob(job: LocalJob, ctx: MeasureContext): Promise<unknown> {
    const boundSeconds = job.activeDeadlineSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS;
    const deadline = performance.now() + boundSeconds * 1000;
    const pods = job.backoffLimit + 1;
    let last: SandboxedRun | undefined;
    for (let pod = 1; pod <= pods; pod++) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) break;
      last = await run({
        command: job.command,
        env: job.env,
        ...(job.cwd !== undefined ? { cwd: job.cwd } : {}),
        timeoutMs: remainingMs,
        memoryBytes: parseMemory(job.memory ?? DEFAULT_JOB_MEMORY) ?? 2 ** 30,
        cpuSeconds: remainingMs / 1000,
        signal: ctx.signal,
      });
      if (ctx.signal.aborted) throw new MetricProviderError('job', 'measurement aborted; job killed');
      if (last.code === 0 && last.spawnError === undefined) {
        return verdict(
          'Successful',
          0,
          `Job complete: pod ${pod} of at most ${pods} succeeded${unsandboxedNote(last)}${outputOf(last)}`,
        );
      }
      if (last.timedOut) break;
    }
    const details = last === undefined ? '' : `${unsandboxedNote(last)}${outputOf(last)}`;
    if (last === undefined || last.timedOut) {
      if (job.activeDeadlineSeconds === undefined) {
        return verdict(
          'Error',
          null,
          `job timed out after ${boundSeconds} s and was killed (the Job sets no activeDeadlineSeconds; cutover bounds it)${details}`,
        );
      }
      return verdict(
        'Failed',
        null,
        `Job failed: DeadlineExceeded: active longer than activeDeadlineSeconds (${boundSeconds} s), killed${details}`,
      );
    }
    return verdict(
      'Failed',
      last.code ?? last.signal,
      `Job failed: BackoffLimitExceeded: ${pods} failed pod${pods === 1 ? '' : 's'} (backoffLimit ${job.backoffLimit}), the last: ${exitOf(last)}${details}`,
    );
  }

  async function measure(metric: Metric, ctx: MeasureContext): Promise<unknown> {
    const config = providerConfig<unknown>(metric, 'job', validate);
    return isKubernetesJob(config)
      ? measureKubernetesJob(localJobOf(config), ctx)
      : measureCommand(config as JobMetricProvider, ctx);
  }

  const timeoutMs = (metric: Metric): number => {
    const config = metric.provider.job;
    const seconds = isKubernetesJob(config)
      ? (config as { spec?: { activeDeadlineSeconds?: unknown } }).spec?.activeDeadlineSeconds
      : (config as JobMetricProvider | undefined)?.timeoutSeconds;
    return (toNumber(seconds) ?? DEFAULT_JOB_TIMEOUT_SECONDS) * 1000;
  };
  return { type: 'job', validate, measure, timeoutMs };
}

/**
 * The `job` metric provider: runs a command, as Argo Rollouts' job provider runs a Kubernetes Job.
 * Exit code 0 gives a **Successful** measurement, any other exit (or a kill by a resource limit)
 * **Failed**, a timeout **Error**; the conditions are not evaluated (the provider decides, as Argo's
 * job provider does). The value is the exit code; the message ends with the tail of stderr and stdout.
 *
 * The sandbox (bubblewrap, when installed; `sandbox: required` makes it mandatory, `none` skips it,
 * admin only): the system directories read-only, the `inputs` and the `cwd` read-only, a fresh
 * private work directory (the default cwd, `$HOME`, `$TMPDIR`, `/tmp`, removed afterwards), and
 * nothing else of the host (no data directory, no home); no network unless `network: true` (admin
 * only), no capabilities, its own PID namespace; prlimit (util-linux) limits address space
 * (`resources.memory`, default 1Gi), CPU time (`resources.cpu` seconds, default `timeoutSeconds`),
 * processes (512) and file size (256 MiB). Only `PATH` and `env` reach the job; its output is
 * scrubbed of API tokens.
 *
 * Argo's form, `job: {metadata?, spec}` with `spec` a Kubernetes JobSpec, is accepted too (see
 * `validateKubernetesJob`): its one container's `command` then `args` (`$(VAR)` expanded from its
 * `env`, as Kubernetes does) run in the same sandbox with the host's binaries, without the network;
 * the image is not pulled (the controller records a `JobImageNotPulled` event per metric of each
 * AnalysisRun). As Kubernetes' Job: a failed pod (non-zero exit, or a command that cannot start) is
 * retried at once (Kubernetes waits 10 s, 20 s, ...; the local platform does not) until
 * `backoffLimit + 1` pods (default 7) have failed, all within `activeDeadlineSeconds` (cutover's
 * 60 s bound when unset: then a timeout is Error, not Failed). As Argo's job provider: a Job that
 * completes gives Successful, one that fails (BackoffLimitExceeded, DeadlineExceeded) Failed.
 * `resources.limits.memory` is the address-space limit (RLIMIT_AS: stricter than Kubernetes'
 * cgroup limit); cpu quantities and requests are checked, not enforced (CPU time is bounded by the
 * deadline).
 *
 * @example
 * ```yaml
 * provider:
 *   job:
 *     command: [python3, -c, "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"]
 *     network: true
 *     timeoutSeconds: 20
 *     resources: {memory: 256Mi, cpu: 10}
 * ```
 * @example
 * ```yaml
 * provider:
 *   job:   # Argo Rollouts' form, unchanged
 *     spec:
 *       backoffLimit: 0
 *       template:
 *         spec:
 *           containers:
 *           - {name: check, image: alpine:3.8, command: [sh, -c], args: ["exit 0"]}
 *           restartPolicy: Never
 * ```
 */
export const jobProvider: MetricProviderPlugin = createJobProvider();
