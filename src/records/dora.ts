import { RecordsQueryError } from './errors.js';
import { median } from './median.js';
import type { DeploymentOutcome, DeploymentRecord, DoraReport, IncidentRecord } from './types.js';

/** One day in ms (UTC days have no leap seconds in ECMAScript time). */
const DAY_MS = 86_400_000;

/** The period and filters of a DORA report. */
export interface DoraQuery {
  /** Period start, inclusive, ms since epoch. */
  from: number;
  /** Period end, exclusive, ms since epoch; must be after `from`. */
  to: number;
  /** Only records whose `services` include this name; absent = all services. */
  service?: string;
  /** Only records of this environment (exact match); absent = all environments. */
  environment?: string;
}

/** Deployment success rate a service should reach in an environment, ratio 0..1 (seed 002: ≥ 99.5%). */
const DEPLOYMENT_SUCCESS_TARGET = 0.995;

/** Outcomes counted as failed changes (DORA's change failure rate). */
const FAILED_OUTCOMES: ReadonlySet<DeploymentOutcome> = new Set(['ROLLBACK', 'FAILED']);

/**
 * Computes the four DORA keys over `[query.from, query.to)` from deployment and incident records
 * (definitions as the DORA research program's "four keys", adapted to cutover's records; see
 * {@link DoraReport} and docs/release-workflow.md):
 *
 * - deployments: records whose `deployStartedAt` is in the period, matching the service filter (in
 *   `services`) and the environment filter; `perDay` = deployments / period length in days
 *   (`(to - from) / 86 400 000`, fractional days allowed).
 * - lead time for changes, s: median over those deployments of `deployStartedAt` minus the
 *   earliest `changes[].committedAt`, or minus `createdAt` when no change has a `committedAt`.
 * - change failure rate, ratio 0..1: deployments with status `ROLLBACK` or `FAILED` / all
 *   deployments; `null` with no deployments.
 * - time to restore, s: median of `resolvedAt - detectedAt` over incidents with a `resolvedAt`
 *   whose `detectedAt` is in the period, with the same filters.
 * - success rate per service and environment: deployments with status `SUCCESS` / all, against
 *   {@link DEPLOYMENT_SUCCESS_TARGET}, sorted by service then environment.
 * - series: one entry per UTC day touching the period, from the day of `from` to the day of
 *   `to - 1 ms`, each with that day's deployments and failed deployments.
 *
 * Medians of an even count are the mean of the two middle values. Pure: same input, same output.
 *
 * @throws {RecordsQueryError} `CUTOVER_E_RECORDS_QUERY` when `from` or `to` is not a finite number
 * or `to <= from`.
 * @example
 * computeDora(records, incidents, { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 1, 1), environment: 'production' })
 */
export function computeDora(
  records: readonly DeploymentRecord[],
  incidents: readonly IncidentRecord[],
  query: DoraQuery,
): DoraReport {
  const { from, to } = query;
  if (!Number.isFinite(from)) throw new RecordsQueryError('from', `expected ms since epoch, got ${from}`);
  if (!Number.isFinite(to)) throw new RecordsQueryError('to', `expected ms since epoch, got ${to}`);
  if (to <= from) throw new RecordsQueryError('to', `expected a time after from (${from}), got ${to}`);

  const matches = (at: number, services: readonly string[], environment: string): boolean =>
    at >= from &&
    at < to &&
    (query.service === undefined || services.includes(query.service)) &&
    (query.environment === undefined || environment === query.environment);

  const deployments = records.filter((r) => matches(r.deployStartedAt, r.services, r.environment));
  const failed = deployments.filter((r) => FAILED_OUTCOMES.has(r.status));
  const leadTimes = deployments.map((r) => (r.deployStartedAt - leadTimeStart(r)) / 1000);
  const restoreTimes = incidents
    .filter((i) => i.resolvedAt !== null && matches(i.detectedAt, i.services, i.environment))
    .map((i) => ((i.resolvedAt as number) - i.detectedAt) / 1000);

  return {
    from,
    to,
    service: query.service ?? null,
    environment: query.environment ?? null,
    deploymentFrequency: {
      deployments: deployments.length,
      perDay: deployments.length / ((to - from) / DAY_MS),
    },
    leadTimeForChanges: { medianSeconds: median(leadTimes), samples: leadTimes.length },
    changeFailureRate: {
      ratio: deployments.length === 0 ? null : failed.length / deployments.length,
      failed: failed.length,
      total: deployments.length,
    },
    timeToRestore: { medianSeconds: median(restoreTimes), samples: restoreTimes.length },
    successRate: successRates(deployments),
    series: dailySeries(from, to, deployments),
  };
}

function successRates(deployments: readonly DeploymentRecord[]): DoraReport['successRate'] {
  const groups = new Map<
    string,
    { service: string; environment: string; total: number; succeeded: number }
  >();
  for (const r of deployments) {
    for (const service of r.services) {
      const key = `${service}\u0000${r.environment}`;
      const g = groups.get(key) ?? { service, environment: r.environment, total: 0, succeeded: 0 };
      g.total += 1;
      if (r.status === 'SUCCESS') g.succeeded += 1;
      groups.set(key, g);
    }
  }
  const items = [...groups.values()]
    .sort((a, b) => a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment))
    .map((g) => {
      const ratio = g.succeeded / g.total;
      return { ...g, ratio, meetsTarget: ratio >= DEPLOYMENT_SUCCESS_TARGET };
    });
  return { target: DEPLOYMENT_SUCCESS_TARGET, items };
}

/** The earliest change commit time, or the release's creation when no change has one (ms). */
function leadTimeStart(record: DeploymentRecord): number {
  const committed = record.changes.flatMap((c) => (c.committedAt === undefined ? [] : [c.committedAt]));
  return committed.length === 0 ? record.createdAt : Math.min(...committed);
}

function dailySeries(
  from: number,
  to: number,
  deployments: readonly DeploymentRecord[],
): DoraReport['series'] {
  const series: DoraReport['series'] = [];
  const index = new Map<string, DoraReport['series'][number]>();
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const entry = { day: utcDay(day), deployments: 0, failures: 0 };
    series.push(entry);
    index.set(entry.day, entry);
  }
  for (const r of deployments) {
    // Every deployment is in [from, to), so its day is always in the series.
    const entry = index.get(utcDay(r.deployStartedAt))!;
    entry.deployments += 1;
    if (FAILED_OUTCOMES.has(r.status)) entry.failures += 1;
  }
  return series;
}

/** `YYYY-MM-DD` of a time, in UTC. */
function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
