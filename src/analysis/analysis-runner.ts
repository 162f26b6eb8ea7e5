/**
 * Takes the measurements an AnalysisRun is due for (as the measuring half of Argo Rollouts'
 * AnalysisRun controller) and returns the updated run. The controller persists it.
 */
import type { Clock } from '../clock/index.js';
import type { RevisionStats, TrafficSeconds } from '../dataplane/protocol.js';
import { maskSecrets, type SecretValue } from '../secret/index.js';
import type { Metric } from '../spec/types.js';
import { dueMetrics, isRunCompleted, reassessRun, recordMeasurement } from './analysis-run.js';
import { MeasurementTimeoutError, MetricProviderError } from './errors.js';
import { measurementFromError, measurementFromValue } from './measurement.js';
import {
  DEFAULT_PROVIDER_REGISTRY,
  type MetricProviderRegistry,
  PROVIDER_TIMEOUT_GRACE_MS,
  providerTypes,
} from './providers/index.js';
import { type ArgSources, resolveRunSecrets } from './secret-args.js';
import { revealSecretArgs } from './template.js';
import type { AnalysisRun, Measurement } from './types.js';

/** Longest a single measurement may take before it is recorded as Error, ms. @default 30000 */
export const DEFAULT_MEASUREMENT_TIMEOUT_MS = 30_000;

/** Options of {@link AnalysisRunner}. */
export interface AnalysisRunnerOptions {
  /** Time source for measurement timestamps and due times. */
  clock: Clock;
  /**
   * Traffic statistics of a revision of the run's rollout, or of an experiment's replica set `set`
   * of it (the controller wires the data plane client).
   */
  stats(
    run: AnalysisRun,
    revision: number,
    windowSeconds: number,
    quantile: number,
    set?: string,
  ): Promise<RevisionStats>;
  /** Per-second traffic of the run's rollout (see `MeasureContext.traffic`); without it the judges' measurements are Error. */
  traffic?(run: AnalysisRun, range: { from: number } | { window: number }): Promise<TrafficSeconds>;
  /** @default DEFAULT_PROVIDER_REGISTRY (builtin) */
  providers?: MetricProviderRegistry;
  /** Bound on one measurement, ms. @default DEFAULT_MEASUREMENT_TIMEOUT_MS */
  timeoutMs?: number;
  /**
   * Where a run's secret args (`spec.args[].valueFrom`) are read at each measurement. Without it a
   * run with secret args measures Error (the secret is not found).
   * @default { env: {} }
   */
  argSources?: ArgSources;
  /**
   * Resolves after `ms` (or never, once `signal` aborts). Injected so timeouts can be tested without
   * waiting. @default a `setTimeout` timer
   */
  delay?(ms: number, signal: AbortSignal): Promise<void>;
}

function realDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });
}

/**
 * Measures AnalysisRuns. Stateless between calls: the run carries all state, so a restarted
 * controller resumes where the stored run left off.
 *
 * @example
 * ```ts
 * const runner = new AnalysisRunner({ clock: systemClock, stats: (run, rev, w, q) => client.stats(run.rollout, rev, w, q) });
 * const next = await runner.step(run); // persist `next`, sleep until nextMeasurementAt(next)
 * ```
 */
export class AnalysisRunner {
  readonly #clock: Clock;
  readonly #stats: AnalysisRunnerOptions['stats'];
  readonly #traffic: AnalysisRunnerOptions['traffic'];
  readonly #providers: MetricProviderRegistry;
  readonly #timeoutMs: number;
  readonly #delay: NonNullable<AnalysisRunnerOptions['delay']>;
  readonly #argSources: ArgSources;

  constructor(options: AnalysisRunnerOptions) {
    this.#clock = options.clock;
    this.#stats = options.stats;
    this.#traffic = options.traffic;
    this.#providers = options.providers ?? DEFAULT_PROVIDER_REGISTRY;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MEASUREMENT_TIMEOUT_MS;
    this.#delay = options.delay ?? realDelay;
    this.#argSources = options.argSources ?? { env: {} };
  }

  /**
   * Takes every measurement due now (see `dueMetrics`), concurrently, each bounded by the timeout;
   * records them in spec order (see `recordMeasurement`) and re-assesses the run. A provider that
   * throws or times out gives a measurement in phase Error (retried after 10 s, as Argo).
   *
   * Does not persist; never throws for a provider's failure. A completed run is returned unchanged.
   *
   * Secret args are read again (see `resolveRunSecrets`) and substituted into the metric handed to
   * the provider only; any occurrence of their values in the measurement's message or value (a
   * job's output, an echoed response, an error naming the URL) is replaced by `*****` before it is
   * recorded.
   *
   * @param signal - aborts the in-flight measurements (they are recorded as Error)
   */
  async step(run: AnalysisRun, signal?: AbortSignal): Promise<AnalysisRun> {
    if (isRunCompleted(run)) return run;
    const due = dueMetrics(run, this.#clock.now());
    const measurements = await Promise.all(
      due.map(async (name) => {
        const metric = run.spec.metrics.find((m) => m.name === name) as Metric;
        return { name, measurement: await this.#measure(run, metric, signal) };
      }),
    );
    let next = run;
    for (const { name, measurement } of measurements) {
      next = recordMeasurement(next, name, measurement, this.#clock.now());
    }
    return reassessRun(next, this.#clock.now());
  }

  async #measure(run: AnalysisRun, stored: Metric, outer: AbortSignal | undefined): Promise<Measurement> {
    const startedAt = this.#clock.now();
    let secrets: Map<string, SecretValue>;
    try {
      secrets = resolveRunSecrets(run.spec, this.#argSources);
    } catch (error) {
      return measurementFromError(error, startedAt, this.#clock.now());
    }
    const measurement = await this.#measureRevealed(run, revealSecretArgs(stored, secrets), startedAt, outer);
    return secrets.size === 0 ? measurement : maskMeasurement(measurement, [...secrets.values()]);
  }

  async #measureRevealed(
    run: AnalysisRun,
    metric: Metric,
    startedAt: number,
    outer: AbortSignal | undefined,
  ): Promise<Measurement> {
    const [type] = providerTypes(metric);
    const provider = type === undefined ? undefined : this.#providers.get(type);
    if (provider === undefined) {
      const error = new MetricProviderError(
        type ?? '(none)',
        `no metric provider ${JSON.stringify(type ?? '')} is registered`,
      );
      return measurementFromError(error, startedAt, this.#clock.now());
    }
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (outer?.aborted) controller.abort(outer.reason);
    const stopTimer = new AbortController();
    const declared = provider.timeoutMs?.(metric);
    const limitMs = Math.max(
      this.#timeoutMs,
      declared === undefined ? 0 : declared + PROVIDER_TIMEOUT_GRACE_MS,
    );
    try {
      const timeout = this.#delay(limitMs, stopTimer.signal).then(() => {
        const error = new MeasurementTimeoutError(metric.name, limitMs);
        controller.abort(error);
        throw error;
      });
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      const value = await Promise.race([
        provider.measure(metric, {
          run,
          signal: controller.signal,
          stats: (revision, windowSeconds, quantile, set) =>
            this.#stats(run, revision, windowSeconds, quantile, set),
          ...(this.#traffic !== undefined ? { traffic: (range) => this.#traffic!(run, range) } : {}),
        }),
        timeout,
        aborted,
      ]);
      return measurementFromValue(metric, value, startedAt, this.#clock.now());
    } catch (error) {
      return measurementFromError(error, startedAt, this.#clock.now());
    } finally {
      stopTimer.abort();
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }
}

/** The measurement with every secret value in its message and value replaced by `*****`. Pure. */
function maskMeasurement(measurement: Measurement, secrets: readonly SecretValue[]): Measurement {
  const masked = { ...measurement };
  if (masked.message !== undefined) masked.message = maskSecrets(masked.message, secrets);
  if (masked.value !== undefined) masked.value = maskSecrets(masked.value, secrets);
  return masked;
}
