import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { formatDuration, formatPercent } from '../release-view.js';
import type { DoraReport } from '../types.js';
import { TimeChart } from './time-chart.js';

/** Periods offered, days before now. */
const PERIODS = [7, 30, 90] as const;
type Period = (typeof PERIODS)[number];
const DEFAULT_PERIOD: Period = 30;
const DAY_MS = 86_400_000;

/** Filter options: the services and environments releases name, and the Environment resources. */
interface Options {
  services: string[];
  environments: string[];
}

/**
 * The four DORA keys (deployment frequency, lead time for changes, change failure rate, time to
 * restore) over the last 7, 30 or 90 days, optionally of one service or environment, and the
 * deployments and failures per day.
 */
export function AnalyticsPage({ onError }: { onError: (error: unknown) => void }) {
  const [period, setPeriod] = useState<Period>(DEFAULT_PERIOD);
  const [service, setService] = useState('');
  const [environment, setEnvironment] = useState('');
  const [options, setOptions] = useState<Options>({ services: [], environments: [] });
  const [report, setReport] = useState<DoraReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let stopped = false;
    void (async () => {
      // Either list may be missing (older server, or no permission): the other still fills its filter.
      const [releases, environments] = await Promise.allSettled([api.releases(), api.environments()]);
      if (stopped) return;
      const services = new Set<string>();
      const envs = new Map<string, number>();
      if (releases.status === 'fulfilled')
        for (const r of releases.value) {
          for (const s of r.rollouts) services.add(s);
          r.environments.forEach((e, i) => {
            if (!envs.has(e)) envs.set(e, 1000 + i);
          });
        }
      if (environments.status === 'fulfilled')
        for (const e of environments.value) envs.set(e.metadata.name, e.spec.order);
      setOptions({
        services: [...services].sort(),
        environments: [...envs.entries()]
          .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
          .map(([e]) => e),
      });
    })();
    return () => {
      stopped = true;
    };
  }, []);

  useEffect(() => {
    let stopped = false;
    const to = Date.now();
    api
      .dora({
        from: to - period * DAY_MS,
        to,
        ...(service ? { service } : {}),
        ...(environment ? { environment } : {}),
      })
      .then(
        (r) => {
          if (stopped) return;
          setReport(r);
          setError(null);
        },
        (e: unknown) => {
          if (stopped) return;
          // A refused token signs out (the app's handler); anything else is shown here.
          if (e instanceof ApiError && e.status === 401) onError(e);
          else setError(e instanceof ApiError ? e : new ApiError(0, 'CUTOVER_E_UNKNOWN', String(e)));
        },
      );
    return () => {
      stopped = true;
    };
  }, [period, service, environment, onError]);

  return (
    <main class="analytics-page">
      <h1>Analytics</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Period</legend>
          {PERIODS.map((p) => (
            <label key={p}>
              <input
                type="radio"
                name="period"
                value={p}
                checked={period === p}
                onChange={() => setPeriod(p)}
              />
              Last {p} days
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Filters</legend>
          <label>
            Service
            <select value={service} onChange={(e) => setService(e.currentTarget.value)}>
              <option value="">All services</option>
              {options.services.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Environment
            <select value={environment} onChange={(e) => setEnvironment(e.currentTarget.value)}>
              <option value="">All environments</option>
              {options.environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      </form>
      {error && (
        <p class="error" role="alert">
          {error.message} <code>{error.code}</code>
          {error.path ? ` (field ${error.path})` : ''}
        </p>
      )}
      {report === null ? !error && <p>Loading…</p> : <DoraFigures report={report} />}
    </main>
  );
}

/** Numbers for `data-value`: the raw figure, empty when there is none. */
const raw = (n: number | null) => (n === null ? '' : String(n));

function DoraFigures({ report }: { report: DoraReport }) {
  const {
    deploymentFrequency: df,
    leadTimeForChanges: lt,
    changeFailureRate: cfr,
    timeToRestore: ttr,
  } = report;
  const times = report.series.map((d) => Date.parse(`${d.day}T00:00:00Z`));
  return (
    <>
      <div class="dora">
        <Figure
          testId="dora-deployment-frequency"
          title="Deployment frequency"
          value={raw(df.perDay)}
          extra={{ 'data-deployments': String(df.deployments) }}
          figure={`${Number(df.perDay.toFixed(2))} / day`}
          detail={`${df.deployments} deployment${df.deployments === 1 ? '' : 's'}`}
        />
        <Figure
          testId="dora-lead-time"
          title="Lead time for changes"
          value={raw(lt.medianSeconds)}
          figure={formatDuration(lt.medianSeconds)}
          detail={`median of ${lt.samples}`}
        />
        <Figure
          testId="dora-change-failure-rate"
          title="Change failure rate"
          value={raw(cfr.ratio)}
          figure={formatPercent(cfr.ratio)}
          detail={`${cfr.failed} of ${cfr.total} failed`}
        />
        <Figure
          testId="dora-time-to-restore"
          title="Time to restore"
          value={raw(ttr.medianSeconds)}
          figure={formatDuration(ttr.medianSeconds)}
          detail={`median of ${ttr.samples} incident${ttr.samples === 1 ? '' : 's'}`}
        />
      </div>
      <TimeChart
        title="Deployments per day"
        unit="deployments"
        times={times}
        series={[
          {
            label: 'deployments',
            color: '#1f5fbf',
            bars: true,
            values: report.series.map((d) => d.deployments),
          },
          { label: 'failures', color: '#c62828', bars: true, values: report.series.map((d) => d.failures) },
        ]}
        height={200}
      />
      <SuccessRates report={report} />
    </>
  );
}

/** Deployment success rate per service and environment against its target (seed 002: 99.5%). */
function SuccessRates({ report }: { report: DoraReport }) {
  const { target, items } = report.successRate;
  return (
    <table class="success-rates" data-testid="success-rates">
      <caption>Deployment success rate (target {formatPercent(target)})</caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Environment</th>
          <th scope="col">Deployments</th>
          <th scope="col">Succeeded</th>
          <th scope="col">Rate</th>
          <th scope="col">Target</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={`${i.service}/${i.environment}`} data-service={i.service} data-ratio={String(i.ratio)}>
            <td>{i.service}</td>
            <td>{i.environment}</td>
            <td>{i.total}</td>
            <td>{i.succeeded}</td>
            <td>{formatPercent(i.ratio)}</td>
            <td>
              <span class={`phase ${i.meetsTarget ? 'phase-success' : 'phase-failed'}`}>
                {i.meetsTarget ? 'met' : 'missed'}
              </span>
            </td>
          </tr>
        ))}
        {items.length === 0 && (
          <tr>
            <td colSpan={6}>No deployments in the period.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

interface FigureProps {
  testId: string;
  title: string;
  /** The raw number (units as the API's), `''` when null. */
  value: string;
  figure: string;
  detail: string;
  extra?: Record<string, string>;
}

/** One DORA key as a big figure. */
function Figure({ testId, title, value, figure, detail, extra }: FigureProps) {
  return (
    <section class="card figure" aria-label={title}>
      <h2>{title}</h2>
      <p class="big" data-testid={testId} data-value={value} {...extra}>
        {figure}
      </p>
      <p class="muted">{detail}</p>
    </section>
  );
}
