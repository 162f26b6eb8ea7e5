import type { StatsPoint } from '../types.js';
import { type ChartSeries, TimeChart } from './time-chart.js';

/** Colours by role, the same as the weight bar's: stable/active blue, canary/preview orange. */
const ROLE_COLORS: Record<string, string> = {
  stable: '#1f5fbf',
  active: '#1f5fbf',
  canary: '#e07b00',
  preview: '#e07b00',
};
const OTHER_COLORS = ['#7b3fbf', '#00838f', '#6d4c41'];

function revisionColor(revision: number, role: string): string {
  return ROLE_COLORS[role] ?? OTHER_COLORS[revision % OTHER_COLORS.length] ?? '#555';
}

interface TrafficChartsProps {
  points: StatsPoint[];
  roleOf: (revision: number) => string;
}

/** Request rate, error rate and p95 latency for each revision over the last minutes. */
export function TrafficCharts({ points, roleOf }: TrafficChartsProps) {
  if (points === null)
    return <p class="muted">Per-revision traffic statistics are not served by this server.</p>;
  if (points.length === 0) return <p class="muted">No traffic recorded yet.</p>;
  const times = [...new Set(points.map((p) => p.at))].sort((a, b) => a - b);
  const revisions = [...new Set(points.map((p) => p.revision))].sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const seriesOf = (value: (p: StatsPoint) => number | null): ChartSeries[] =>
    revisions.map((revision) => {
      const values: (number | null)[] = times.map(() => null);
      for (const p of points) if (p.revision === revision) values[index.get(p.at) ?? 0] = value(p);
      const role = roleOf(revision);
      return {
        label: `rev ${revision}${role ? ` (${role})` : ''}`,
        values,
        color: revisionColor(revision, role),
      };
    });
  return (
    <div class="charts">
      <TimeChart title="Request rate" unit="req/s" times={times} series={seriesOf((p) => p.requestRate)} />
      <TimeChart
        title="Error rate"
        unit="%"
        times={times}
        series={seriesOf((p) => (p.errorRate === null ? null : p.errorRate * 100))}
      />
      <TimeChart title="p95 latency" unit="ms" times={times} series={seriesOf((p) => p.latencyP95Ms)} />
    </div>
  );
}
