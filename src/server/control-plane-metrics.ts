import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ANALYSIS_PHASES, type AnalysisRun } from '../analysis/index.js';
import type { ControllerStats } from '../controller/index.js';
import { ROLLOUT_PHASES } from '../engine/index.js';
import type { Store, StoredRollout } from '../store/index.js';
import type { DriftStats } from './drift-detector.js';

/** Inputs of {@link ControlPlaneMetrics}. */
export interface ControlPlaneMetricsOptions {
  /** Read at scrape time: Rollouts, and every stored AnalysisRun. */
  store: Pick<Store, 'listRollouts' | 'listAnalysisRuns'>;
  /** The controller's counters, read at scrape time. */
  stats: () => ControllerStats;
  /** Drift detection's counters and current findings, read at scrape time. @default no drift series */
  drift?: () => DriftStats;
  /** Value of the `version` label of `cutover_info`. */
  version: string;
  /** Add Node's process metrics (`process_*`, `nodejs_*`). @default true */
  processMetrics?: boolean;
}

/**
 * Buckets of `cutover_reconcile_duration_seconds` and `cutover_rollout_write_duration_seconds`,
 * seconds: a pass or a write takes ms (75 ms splits the 50..100 ms of a loaded write); seconds mean
 * trouble.
 */
const RECONCILE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Measurement phases counted by `cutover_analysis_measurements_total` (MetricResult counters). */
const COUNTED_PHASES = ['Successful', 'Failed', 'Inconclusive', 'Error'] as const;

/** What one scrape reads from the store, shared by every metric's collect(). */
interface Snapshot {
  rollouts: StoredRollout[];
  /** Every stored run, newest first. */
  runs: AnalysisRun[];
  /** The runs each Rollout's status refers to (those `get rollout` shows). */
  current: AnalysisRun[];
}

/**
 * The control plane's Prometheus metrics, in their own Registry (served at `GET /metrics`). Most
 * values are read from the store and the controller's counters when scraped (prom-client
 * `collect()`), so the reconcile loop does no metrics work beyond {@link observeReconcile} and
 * {@link observeRolloutWrite}. Metric names and labels are documented in docs/operations.md
 * ("Metrics of the control plane"); the analysis series follow Argo Rollouts' `analysis_run_phase` / `analysis_run_metric_phase`, with
 * measurement values added.
 */
export class ControlPlaneMetrics {
  /** The Registry to expose; prom-client's global registry is never used. */
  readonly registry = new Registry();
  readonly #o: ControlPlaneMetricsOptions;
  readonly #reconcileDuration: Histogram;
  readonly #rolloutWriteDuration: Histogram;
  #snapshot: Promise<Snapshot> | undefined;

  constructor(options: ControlPlaneMetricsOptions) {
    this.#o = options;
    const registers = [this.registry];
    const snapshot = () => this.#read();
    const stats = () => options.stats();

    new Gauge({
      name: 'cutover_info',
      help: 'Version of the control plane; always 1.',
      labelNames: ['version'],
      registers,
    }).set({ version: options.version }, 1);

    this.#reconcileDuration = new Histogram({
      name: 'cutover_reconcile_duration_seconds',
      help: 'Duration of one reconcile pass over every Rollout, seconds.',
      buckets: RECONCILE_BUCKETS,
      registers,
    });

    this.#rolloutWriteDuration = new Histogram({
      name: 'cutover_rollout_write_duration_seconds',
      help: "Duration of writing one Rollout's changed desired state to the data plane (one Rollout change), seconds.",
      buckets: RECONCILE_BUCKETS,
      registers,
    });

    new Counter({
      name: 'cutover_reconciles_total',
      help: 'Reconcile passes since the control plane started.',
      registers,
      collect() {
        this.reset();
        this.inc(stats().reconciles);
      },
    });

    new Gauge({
      name: 'cutover_rollouts',
      help: 'Rollouts in the store: the reconcile queue, as every pass reconciles each Rollout once.',
      registers,
      async collect() {
        this.set((await snapshot()).rollouts.length);
      },
    });

    new Gauge({
      name: 'cutover_rollouts_by_phase',
      help: 'Rollouts per phase (Healthy, Progressing, Paused, Degraded).',
      labelNames: ['phase'],
      registers,
      async collect() {
        const { rollouts } = await snapshot();
        for (const phase of ROLLOUT_PHASES) {
          this.set({ phase }, rollouts.filter((r) => r.status.phase === phase).length);
        }
      },
    });

    new Gauge({
      name: 'cutover_rollout_phase',
      help: "1 for the Rollout's current phase, 0 for the others.",
      labelNames: ['rollout', 'phase'],
      registers,
      async collect() {
        this.reset();
        for (const r of (await snapshot()).rollouts) {
          for (const phase of ROLLOUT_PHASES) {
            this.set({ rollout: r.name, phase }, r.status.phase === phase ? 1 : 0);
          }
        }
      },
    });

    new Counter({
      name: 'cutover_analysis_aborts_total',
      help: 'Updates the controller aborted because of an AnalysisRun (reason: AnalysisRunFailed, AnalysisRunError, ...), since the control plane started.',
      labelNames: ['rollout', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [rollout, byReason] of Object.entries(stats().analysisAbortsBy)) {
          for (const [reason, n] of Object.entries(byReason)) this.inc({ rollout, reason }, n);
        }
      },
    });

    new Gauge({
      name: 'cutover_analysis_run_phase',
      help: "1 for the current phase of each of a Rollout's current AnalysisRuns, 0 for the other phases.",
      labelNames: ['rollout', 'analysisrun', 'phase'],
      registers,
      async collect() {
        this.reset();
        for (const run of (await snapshot()).current) {
          for (const phase of ANALYSIS_PHASES) {
            this.set(
              { rollout: run.rollout, analysisrun: run.name, phase },
              run.status.phase === phase ? 1 : 0,
            );
          }
        }
      },
    });

    new Gauge({
      name: 'cutover_analysis_metric_phase',
      help: '1 for the current phase of each metric of the current AnalysisRuns, 0 for the other phases.',
      labelNames: ['rollout', 'analysisrun', 'metric', 'phase'],
      registers,
      async collect() {
        this.reset();
        for (const run of (await snapshot()).current) {
          for (const m of run.status.metricResults) {
            for (const phase of ANALYSIS_PHASES) {
              this.set(
                { rollout: run.rollout, analysisrun: run.name, metric: m.name, phase },
                m.phase === phase ? 1 : 0,
              );
            }
          }
        }
      },
    });

    new Gauge({
      name: 'cutover_analysis_measurement_value',
      help: 'Last numeric measurement of each metric of the current AnalysisRuns (the first element of an array; NaN and ±Inf as measured).',
      labelNames: ['rollout', 'analysisrun', 'metric'],
      registers,
      async collect() {
        this.reset();
        for (const run of (await snapshot()).current) {
          for (const m of run.status.metricResults) {
            const value = lastNumericValue(m.measurements);
            if (value !== undefined)
              this.set({ rollout: run.rollout, analysisrun: run.name, metric: m.name }, value);
          }
        }
      },
    });

    new Counter({
      name: 'cutover_analysis_measurements_total',
      help: 'Measurements taken per Rollout, metric and phase, over every stored AnalysisRun (Error measurements included; those dropped by measurementRetention still count).',
      labelNames: ['rollout', 'metric', 'phase'],
      registers,
      async collect() {
        this.reset();
        const totals = new Map<string, { rollout: string; metric: string; counts: number[] }>();
        for (const run of (await snapshot()).runs) {
          for (const m of run.status.metricResults) {
            const key = JSON.stringify([run.rollout, m.name]);
            const entry = totals.get(key) ?? { rollout: run.rollout, metric: m.name, counts: [0, 0, 0, 0] };
            totals.set(key, entry);
            const counts = [m.successful, m.failed, m.inconclusive, m.error];
            counts.forEach((n, i) => {
              entry.counts[i] = (entry.counts[i] ?? 0) + n;
            });
          }
        }
        for (const { rollout, metric, counts } of totals.values()) {
          COUNTED_PHASES.forEach((phase, i) => {
            this.inc({ rollout, metric, phase }, counts[i] ?? 0);
          });
        }
      },
    });

    const drift = options.drift;
    if (drift !== undefined) this.#driftMetrics(drift);

    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The series of drift detection (docs/drift.md). */
  #driftMetrics(drift: () => DriftStats): void {
    const registers = [this.registry];
    new Counter({
      name: 'cutover_drift_checks_total',
      help: 'Drift passes since the control plane started.',
      registers,
      collect() {
        this.reset();
        this.inc(drift().passes);
      },
    });
    new Gauge({
      name: 'cutover_drift_last_check_timestamp_seconds',
      help: 'When the last drift pass ended, seconds since the epoch (absent before the first).',
      registers,
      collect() {
        this.reset();
        const at = drift().lastPassAt;
        if (at !== null) this.set(at / 1000);
      },
    });
    new Gauge({
      name: 'cutover_drift_findings',
      help: 'Current drift: the findings of the last pass, per resource and aspect (dataPlane, environment, workingDirectory, flags).',
      labelNames: ['kind', 'name', 'aspect'],
      registers,
      collect() {
        this.reset();
        const counts = new Map<string, { kind: string; name: string; aspect: string; n: number }>();
        for (const f of drift().current) {
          const key = JSON.stringify([f.kind, f.name, f.aspect]);
          const entry = counts.get(key) ?? { kind: f.kind, name: f.name, aspect: f.aspect, n: 0 };
          entry.n++;
          counts.set(key, entry);
        }
        for (const { kind, name, aspect, n } of counts.values()) this.set({ kind, name, aspect }, n);
      },
    });
    new Counter({
      name: 'cutover_drift_detected_total',
      help: 'Drift findings reported (DriftDetected events) since the control plane started, per resource and aspect.',
      labelNames: ['kind', 'name', 'aspect'],
      registers,
      collect() {
        this.reset();
        for (const { kind, name, aspect, count } of drift().detected) this.inc({ kind, name, aspect }, count);
      },
    });
    new Counter({
      name: 'cutover_drift_remediations_total',
      help: 'Drift remediations (driftPolicy remediate, DriftRemediated events) since the control plane started, per resource.',
      labelNames: ['kind', 'name'],
      registers,
      collect() {
        this.reset();
        for (const { kind, name, count } of drift().remediations) this.inc({ kind, name }, count);
      },
    });
  }

  /** Records one reconcile pass; called by the controller after each. @param seconds - its duration */
  observeReconcile(seconds: number): void {
    this.#reconcileDuration.observe(seconds);
  }

  /** Records the write of one Rollout's changed desired state, seconds. */
  observeRolloutWrite(seconds: number): void {
    this.#rolloutWriteDuration.observe(seconds);
  }

  /** The metrics in Prometheus' text format, read now. */
  async text(): Promise<{ contentType: string; body: string }> {
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.#snapshot = undefined;
    }
  }

  /** One read of the store per scrape, however many collect() callbacks ask for it. */
  #read(): Promise<Snapshot> {
    this.#snapshot ??= (async () => {
      try {
        const [rollouts, runs] = await Promise.all([
          this.#o.store.listRollouts(),
          this.#o.store.listAnalysisRuns(),
        ]);
        const byName = new Map(runs.map((run) => [run.name, run]));
        const current = rollouts.flatMap((r) =>
          r.status.analysisRuns.map((ref) => byName.get(ref.name)).filter((run) => run !== undefined),
        );
        return { rollouts, runs, current };
      } finally {
        // Reused by the collect() calls of this scrape only (they run concurrently); text() also
        // forgets it when done, this covers a scrape through `registry.metrics()` directly.
        setImmediate(() => {
          this.#snapshot = undefined;
        });
      }
    })();
    return this.#snapshot;
  }
}

/**
 * The last measurement value that reads as a number, as Prometheus takes it: `NaN`, `+Inf`, `-Inf`
 * as Argo stores them; a JSON array gives its first element (null is NaN). `undefined` when no
 * measurement has a numeric value (errors, strings). Pure.
 */
export function lastNumericValue(measurements: readonly { value?: string }[]): number | undefined {
  for (let i = measurements.length - 1; i >= 0; i--) {
    const value = numericValue(measurements[i]?.value);
    if (value !== undefined) return value;
  }
  return undefined;
}

function numericValue(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  if (!Number.isNaN(n)) return n;
  if (!text.startsWith('[')) return undefined;
  try {
    const first: unknown = (JSON.parse(text) as unknown[])[0];
    if (first === null) return Number.NaN;
    return typeof first === 'number' ? first : undefined;
  } catch {
    return undefined;
  }
}
