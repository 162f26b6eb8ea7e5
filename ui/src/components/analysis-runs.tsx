import { parseThreshold } from '../rollout-view.js';
import type { AnalysisRun, Metric, MetricResult } from '../types.js';
import { PhaseBadge } from './phase-badge.js';
import { type ChartSeries, TimeChart } from './time-chart.js';

const FAILING = new Set(['Failed', 'Error']);

/** The rollout's AnalysisRuns, newest first, each metric's measurements charted against its condition. */
export function AnalysisRuns({ runs }: { runs: AnalysisRun[] }) {
  if (runs.length === 0) return <p>No analysis runs.</p>;
  const sorted = [...runs].sort((a, b) => b.status.startedAt - a.status.startedAt);
  return (
    <div class="runs">
      {sorted.map((run) => (
        <article key={run.name} class="run" data-run={run.name} aria-labelledby={`run-${run.name}`}>
          <h3 id={`run-${run.name}`}>
            {run.name} <PhaseBadge phase={run.status.phase} />{' '}
            <span class="muted">
              {run.kind}, revision {run.revision}
            </span>
          </h3>
          {run.status.message && <p class="run-message">{run.status.message}</p>}
          {run.status.metricResults.map((m) => (
            <MetricView key={m.name} result={m} metric={run.spec.metrics.find((x) => x.name === m.name)} />
          ))}
        </article>
      ))}
    </div>
  );
}

function lastValue(result: MetricResult, phases?: Set<string>): string | undefined {
  for (let i = result.measurements.length - 1; i >= 0; i--) {
    const m = result.measurements[i];
    if (m && m.value !== undefined && (!phases || phases.has(m.phase))) return m.value;
  }
  return undefined;
}

function MetricView({ result, metric }: { result: MetricResult; metric: Metric | undefined }) {
  const failing = FAILING.has(result.phase);
  const failedValue = lastValue(result, FAILING) ?? lastValue(result);
  const points = result.measurements
    .map((m) => ({
      at: m.finishedAt ?? m.startedAt,
      value: m.value === undefined ? Number.NaN : Number(m.value),
    }))
    .filter((p) => Number.isFinite(p.value));
  const times = points.map((p) => p.at);
  const series: ChartSeries[] = [
    { label: result.name, values: points.map((p) => p.value), color: '#1f5fbf' },
  ];
  const success = parseThreshold(metric?.successCondition);
  const failure = parseThreshold(metric?.failureCondition);
  if (success)
    series.push({
      label: `success ${success.op} ${success.value}`,
      values: times.map(() => success.value),
      color: '#1a7f37',
      dashed: true,
    });
  if (failure)
    series.push({
      label: `failure ${failure.op} ${failure.value}`,
      values: times.map(() => failure.value),
      color: '#c62828',
      dashed: true,
    });

  return (
    <section class={`metric${failing ? ' failing' : ''}`} data-metric={result.name}>
      <h4>
        {result.name} <PhaseBadge phase={result.phase} />
      </h4>
      {failing && (
        <p class="failure" role="status">
          Failing metric <strong>{result.name}</strong>: value{' '}
          <strong data-failing-value>{failedValue ?? '(none)'}</strong>
          {result.message ? ` (${result.message})` : ''}
        </p>
      )}
      <dl class="metric-facts">
        {metric?.successCondition && (
          <>
            <dt>successCondition</dt>
            <dd>
              <code>{metric.successCondition}</code>
            </dd>
          </>
        )}
        {metric?.failureCondition && (
          <>
            <dt>failureCondition</dt>
            <dd>
              <code>{metric.failureCondition}</code>
            </dd>
          </>
        )}
        <dt>measurements</dt>
        <dd>
          {result.count} taken: {result.successful} successful, {result.failed} failed, {result.inconclusive}{' '}
          inconclusive, {result.error} error
        </dd>
        <dt>latest value</dt>
        <dd>{lastValue(result) ?? '—'}</dd>
      </dl>
      {points.length > 0 ? (
        <TimeChart
          title={`${result.name} measurements`}
          unit="value"
          times={times}
          series={series}
          height={140}
        />
      ) : (
        <p class="muted">No numeric measurements yet.</p>
      )}
    </section>
  );
}
