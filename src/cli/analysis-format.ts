import { emptyResult } from '../analysis/analysis-run.js';
import { metricLimits } from '../analysis/defaults.js';
import type { AnalysisRun, AnalysisRunArg, Measurement, MetricResult } from '../analysis/types.js';
import type { AnalysisTemplate, Metric } from '../spec/types.js';

/** Icons of analysis phases, as `kubectl argo rollouts get rollout` shows them. */
const PHASE_ICON: Record<string, string> = {
  Successful: '✔',
  Running: '◌',
  Pending: '◌',
  Failed: '✖',
  Error: '⚠',
  Inconclusive: '?',
};

/** Options of {@link formatAnalysisRun}. */
export interface AnalysisRunViewOptions {
  /** How many of each metric's most recent measurements to list. @default 5 */
  measurements?: number;
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A measurement's value in a few characters: numbers to 4 significant digits, `-` when none. */
function shortValue(m: Measurement): string {
  const v = m.value;
  if (v === undefined || v === '') return '-';
  const n = Number(v);
  if (v.trim() !== '' && Number.isFinite(n)) return String(Number.parseFloat(n.toPrecision(4)));
  return cut(v, 12);
}

/**
 * A metric's latest measurements for one line of `get rollout`: `✔ 0.012 ✔ 0.02 ✖ 0.5`, oldest first.
 * Pure.
 */
export function compactMeasurements(measurements: readonly Measurement[], last = 5): string {
  return measurements
    .slice(-last)
    .map((m) => `${PHASE_ICON[m.phase] ?? m.phase} ${m.finishedAt === undefined ? '…' : shortValue(m)}`)
    .join(' ');
}

function conditionLines(metric: Metric | undefined): string[] {
  if (!metric) return [];
  const lines: string[] = [];
  if (metric.successCondition) lines.push(`successCondition ${metric.successCondition}`);
  if (metric.failureCondition) lines.push(`failureCondition ${metric.failureCondition}`);
  if (lines.length === 0) lines.push('none (the provider decides)');
  return lines;
}

function limitsLine(metric: Metric): string {
  const l = metricLimits(metric);
  const parts = [
    `failureLimit ${l.failureLimit}`,
    `inconclusiveLimit ${l.inconclusiveLimit}`,
    `consecutiveErrorLimit ${l.consecutiveErrorLimit}`,
  ];
  if (l.consecutiveSuccessLimit > 0) parts.push(`consecutiveSuccessLimit ${l.consecutiveSuccessLimit}`);
  const cadence = [
    metric.interval !== undefined ? `interval ${metric.interval}` : undefined,
    metric.count !== undefined ? `count ${metric.count}` : undefined,
    metric.initialDelay !== undefined ? `initialDelay ${metric.initialDelay}` : undefined,
  ].filter((p) => p !== undefined);
  return `${parts.join(', ')}${cadence.length > 0 ? `; ${cadence.join(', ')}` : ''}`;
}

function providerLine(metric: Metric): string {
  const [type, config] = Object.entries(metric.provider).find(([, v]) => v !== undefined) ?? ['-', {}];
  return cut(`${type} ${JSON.stringify(config)}`, 160);
}

function metricBlock(run: AnalysisRun, result: MetricResult, last: number): string[] {
  const metric = run.spec.metrics.find((m) => m.name === result.name);
  const row = (k: string, v: string) => `  ${`${k}:`.padEnd(14)}${v}`;
  const lines = [
    `METRIC ${result.name}  ${PHASE_ICON[result.phase] ?? ''} ${result.phase}${result.dryRun ? ' (dry run)' : ''}`,
    row(
      'Counters',
      `successful ${result.successful}, failed ${result.failed}, inconclusive ${result.inconclusive}, error ${result.error}, consecutiveError ${result.consecutiveError}`,
    ),
  ];
  conditionLines(metric).forEach((c, i) => {
    lines.push(row(i === 0 ? 'Condition' : '', c));
  });
  if (metric) {
    lines.push(row('Limits', limitsLine(metric)));
    lines.push(row('Provider', providerLine(metric)));
  }
  if (result.message) lines.push(row('Message', result.message));
  const shown = result.measurements.slice(-last);
  lines.push(
    `  Measurements (last ${shown.length} of ${result.measurements.length} kept, ${result.count + result.error} taken):`,
  );
  if (shown.length > 0) {
    lines.push(`    ${'TIME'.padEnd(26)}${'PHASE'.padEnd(15)}${'VALUE'.padEnd(22)}MESSAGE`);
    for (const m of shown) {
      lines.push(
        `    ${iso(m.finishedAt ?? m.startedAt).padEnd(26)}${`${PHASE_ICON[m.phase] ?? ''} ${m.phase}`.padEnd(15)}${cut(m.value ?? '-', 21).padEnd(22)}${m.message ?? ''}`.trimEnd(),
      );
    }
  }
  return lines;
}

/** `name=value`, or for a secret arg `name=***** (secretKeyRef NAME/KEY)` / `(env NAME)`. */
function formatRunArg(arg: AnalysisRunArg): string {
  if (arg.value !== undefined) return `${arg.name}=${arg.value}`;
  const ref = arg.valueFrom?.secretKeyRef;
  const from = ref !== undefined ? `secretKeyRef ${ref.name}/${ref.key}` : `env ${arg.valueFrom?.env ?? '?'}`;
  return `${arg.name}=***** (${from})`;
}

/**
 * The `get analysisrun` view: the run's phase and message, then per metric its phase, counters,
 * condition(s), limits, provider and the last measurements (oldest first: time, phase, value,
 * message). Pure.
 */
export function formatAnalysisRun(run: AnalysisRun, options: AnalysisRunViewOptions = {}): string {
  const last = options.measurements ?? 5;
  const s = run.status;
  const lines: string[] = [];
  const row = (k: string, v: string | number) => lines.push(`${`${k}:`.padEnd(16)}${v}`);
  row('Name', run.name);
  row('Rollout', `${run.rollout} (revision ${run.revision}, ${run.kind})`);
  row('Status', `${PHASE_ICON[s.phase] ?? ''} ${s.phase}${s.terminated ? ' (terminated)' : ''}`);
  if (s.message) row('Message', s.message);
  row('Started', iso(s.startedAt));
  if (s.finishedAt !== undefined)
    row('Finished', `${iso(s.finishedAt)} (after ${((s.finishedAt - s.startedAt) / 1000).toFixed(1)}s)`);
  if (run.spec.args && run.spec.args.length > 0) row('Args', run.spec.args.map(formatRunArg).join(', '));
  const results = run.spec.metrics.map(
    (m) => s.metricResults.find((r) => r.name === m.name) ?? emptyResult(m.name),
  );
  for (const result of results) lines.push('', ...metricBlock(run, result, last));
  return lines.join('\n');
}

/** `list analysisruns` as a table, newest first. Pure. */
export function formatAnalysisRunList(runs: AnalysisRun[]): string {
  const header = `${'NAME'.padEnd(28)}${'ROLLOUT'.padEnd(16)}${'REVISION'.padEnd(10)}${'KIND'.padEnd(15)}${'PHASE'.padEnd(15)}${'STARTED'.padEnd(26)}METRICS`;
  const rows = runs.map(
    (r) =>
      `${r.name.padEnd(28)}${r.rollout.padEnd(16)}${String(r.revision).padEnd(10)}${r.kind.padEnd(15)}${`${PHASE_ICON[r.status.phase] ?? ''} ${r.status.phase}`.padEnd(15)}${iso(r.status.startedAt).padEnd(26)}${r.status.metricResults.map((m) => `${m.name} ${PHASE_ICON[m.phase] ?? m.phase}`).join(', ')}`,
  );
  return [header, ...rows].join('\n');
}

/**
 * `list analysistemplates` as text: one template per line with its kind, namespace (`-` when it has
 * none) and metrics with their provider. Pure.
 */
export function formatAnalysisTemplateList(templates: readonly AnalysisTemplate[]): string {
  const header = `${'NAME'.padEnd(28)}${'KIND'.padEnd(25)}${'NAMESPACE'.padEnd(20)}METRICS`;
  const rows = templates.map(
    (t) =>
      `${t.metadata.name.padEnd(28)}${t.kind.padEnd(25)}${(t.metadata.namespace ?? '-').padEnd(20)}${t.spec.metrics.map((m) => `${m.name} (${Object.keys(m.provider).join(', ')})`).join(', ')}`,
  );
  return [header, ...rows].join('\n');
}
