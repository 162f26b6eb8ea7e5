import type { ListenerSpec, SessionCount } from '../dataplane/protocol.js';
import { HISTOGRAM_BOUNDS, HISTOGRAM_BUCKETS } from './latency-histogram.js';
import { OUTCOME_CLASSES } from './revision-recorder.js';
import type { RevisionTarget } from './revision-target.js';

/** `le` bounds of the exposed latency histogram, s (Prometheus client defaults, plus 1 ms). */
export const EXPOSED_LATENCY_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

const CODE_CLASS_LABELS = ['1xx', '2xx', '3xx', '4xx', '5xx', 'proxy_error'] as const;

/**
 * For each exposed bound, the number of fine buckets it covers: a fine bucket counts toward `le`
 * when its upper bound is at most `le` (plus rounding), so a count is exact up to one fine bucket
 * (a 20 % wide band of latencies just below `le` may be counted in the next bound).
 */
const COVERED = EXPOSED_LATENCY_BUCKETS.map((le) => {
  let n = 0;
  while (n < HISTOGRAM_BOUNDS.length && HISTOGRAM_BOUNDS[n]! <= le * (1 + 1e-9)) n++;
  return n;
});

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The `_bucket`, `_sum` and `_count` lines of a recorder's latency histogram, pushed onto `out`. */
function histogramLines(
  out: string[],
  name: string,
  labels: string,
  rec: { histogram: Float64Array; latencySum: number },
): void {
  let total = 0;
  for (let b = 0; b < HISTOGRAM_BUCKETS; b++) total += rec.histogram[b]!;
  let cumulative = 0;
  let fine = 0;
  for (let i = 0; i < EXPOSED_LATENCY_BUCKETS.length; i++) {
    for (; fine < COVERED[i]!; fine++) cumulative += rec.histogram[fine]!;
    out.push(`${name}_bucket{${labels},le="${EXPOSED_LATENCY_BUCKETS[i]}"} ${cumulative}`);
  }
  out.push(`${name}_bucket{${labels},le="+Inf"} ${total}`);
  out.push(`${name}_sum{${labels}} ${rec.latencySum}`);
  out.push(`${name}_count{${labels}} ${total}`);
}

/** One Rollout's router state, as rendered. */
export interface RolloutMetricsView {
  rollout: string;
  targets: readonly RevisionTarget[];
  listeners: readonly ListenerSpec[];
  /** Sessions per revision of listeners with session affinity. */
  sessions?: readonly SessionCount[];
  /** Outlier detection's ejections so far; absent without outlier detection. */
  ejectionsTotal?: number;
  /** Requests cut by replicas' stops after their grace period, so far. */
  streamsCut?: number;
  /** Mirrored copies dropped (bounds, no ready replica), so far. */
  mirrorDropped?: number;
}

/**
 * The router's hot-path metrics in the Prometheus text format 0.0.4, written by hand (no client
 * library on the data path): requests by code class, latency histogram, in-flight, backend
 * weights and ready replicas.
 */
export function renderRouterMetrics(
  rollouts: readonly RolloutMetricsView[],
  connections: { open: number; max: number; rejected: number } = { open: 0, max: 0, rejected: 0 },
): string {
  const requests: string[] = [];
  const duration: string[] = [];
  const inFlight: string[] = [];
  const failedTries: string[] = [];
  const mirrorLines: string[] = [];
  const variantRequests: string[] = [];
  const variantDuration: string[] = [];
  const variantDropped: string[] = [];
  const mirrorCompared: string[] = [];
  const mirrorMismatches: string[] = [];
  const mirrorDroppedLines: string[] = [];
  const pending: string[] = [];
  const weights: string[] = [];
  const ready: string[] = [];
  const sessionLines: string[] = [];
  const ejectionLines: string[] = [];
  const cutLines: string[] = [];
  for (const {
    rollout,
    targets,
    listeners,
    sessions,
    ejectionsTotal,
    streamsCut,
    mirrorDropped,
  } of rollouts) {
    const r = escapeLabel(rollout);
    if (mirrorDropped !== undefined && mirrorDropped > 0)
      mirrorDroppedLines.push(`cutover_router_mirror_dropped_total{rollout="${r}"} ${mirrorDropped}`);
    if (streamsCut !== undefined)
      cutLines.push(`cutover_router_streams_cut_total{rollout="${r}"} ${streamsCut}`);
    if (ejectionsTotal !== undefined)
      ejectionLines.push(`cutover_router_outlier_ejections_total{rollout="${r}"} ${ejectionsTotal}`);
    for (const s of sessions ?? []) {
      sessionLines.push(
        `cutover_router_sessions{rollout="${r}",listener_port="${s.port}",revision="${s.revision}"} ${s.sessions}`,
      );
    }
    for (const target of targets) {
      // An experiment's extra replica set is told apart from its revision's own set by `set`.
      const set = target.set === undefined ? '' : `,set="${escapeLabel(target.set)}"`;
      const labels = `rollout="${r}",revision="${target.revision}"${set}`;
      const rec = target.recorder;
      for (let c = 0; c < OUTCOME_CLASSES.length; c++) {
        requests.push(
          `cutover_router_requests_total{${labels},code_class="${CODE_CLASS_LABELS[c]}"} ${rec.totals[c]}`,
        );
      }
      histogramLines(duration, 'cutover_router_request_duration_seconds', labels, rec);
      inFlight.push(`cutover_router_in_flight{${labels}} ${target.inFlight}`);
      failedTries.push(`cutover_router_failed_tries_total{${labels}} ${target.failedTries}`);
      pending.push(`cutover_router_pending_requests{${labels}} ${target.pending}`);
      const mirror = target.mirrorRecorder;
      if (mirror !== null) {
        for (let c = 0; c < OUTCOME_CLASSES.length; c++)
          mirrorLines.push(
            `cutover_router_mirror_requests_total{${labels},code_class="${CODE_CLASS_LABELS[c]}"} ${mirror.totals[c]}`,
          );
        const comparison = target.mirrorComparison!;
        mirrorCompared.push(
          `cutover_router_mirror_compared_total{${labels}} ${comparison.totals.reduce((a, b) => a + b, 0)}`,
        );
        mirrorMismatches.push(`cutover_router_mirror_mismatches_total{${labels}} ${comparison.totals[4]}`);
      }
      const variants = target.variants;
      if (variants !== null) {
        for (const { flag, variant, recorder } of variants.entries()) {
          const vl = `${labels},flag="${escapeLabel(flag)}",variant="${escapeLabel(variant)}"`;
          for (let c = 0; c < OUTCOME_CLASSES.length; c++)
            variantRequests.push(
              `cutover_router_flag_variant_requests_total{${vl},code_class="${CODE_CLASS_LABELS[c]}"} ${recorder.totals[c]}`,
            );
          histogramLines(
            variantDuration,
            'cutover_router_flag_variant_request_duration_seconds',
            vl,
            recorder,
          );
        }
        variantDropped.push(`cutover_router_flag_variant_dropped_total{${labels}} ${variants.dropped}`);
      }
      ready.push(`cutover_replica_ready{${labels}} ${target.endpoints.length}`);
    }
    for (const listener of listeners) {
      for (const b of listener.backends) {
        weights.push(
          `cutover_router_backend_weight{rollout="${r}",listener_port="${listener.port}",revision="${b.revision}"${b.set === undefined ? '' : `,set="${escapeLabel(b.set)}"`}} ${b.weight}`,
        );
      }
    }
  }
  const family = (name: string, type: string, help: string, lines: string[]): string =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.length > 0 ? `${lines.join('\n')}\n` : ''}`;
  return (
    family(
      'cutover_router_requests_total',
      'counter',
      'Requests proxied by the router, by status class (proxy_error: failures the router generated).',
      requests,
    ) +
    family(
      'cutover_router_request_duration_seconds',
      'histogram',
      'Time from request to the end of the response, seconds.',
      duration,
    ) +
    family(
      'cutover_router_flag_variant_requests_total',
      'counter',
      'Requests whose response named a feature flag variant (header x-cutover-flag-variant: flag=variant), by status class.',
      variantRequests,
    ) +
    family(
      'cutover_router_flag_variant_request_duration_seconds',
      'histogram',
      'Time from request to the end of the response, seconds, of responses that named a feature flag variant.',
      variantDuration,
    ) +
    family(
      'cutover_router_flag_variant_dropped_total',
      'counter',
      'Flag variants named by responses but not recorded (malformed, or beyond 16 distinct flag=variant pairs per revision).',
      variantDropped,
    ) +
    family('cutover_router_in_flight', 'gauge', 'Requests in flight to the revision.', inFlight) +
    family(
      'cutover_router_failed_tries_total',
      'counter',
      'Tries that failed on the revision and were retried (the request itself counts once, in requests_total).',
      failedTries,
    ) +
    family(
      'cutover_router_mirror_requests_total',
      'counter',
      'Answers to requests mirrored to the revision (setMirrorRoute), by status class; never sent to clients.',
      mirrorLines,
    ) +
    family(
      'cutover_router_mirror_compared_total',
      'counter',
      "Mirrored answers compared with the client's answer.",
      mirrorCompared,
    ) +
    family(
      'cutover_router_mirror_mismatches_total',
      'counter',
      "Mirrored answers that differed from the client's (status, or the compared JSON field).",
      mirrorMismatches,
    ) +
    family(
      'cutover_router_mirror_dropped_total',
      'counter',
      'Mirrored copies dropped (in-flight or body-size bound, no ready replica); clients are never affected.',
      mirrorDroppedLines,
    ) +
    family(
      'cutover_router_pending_requests',
      'gauge',
      "Requests waiting for a connection at the revision's connectionPool limits.",
      pending,
    ) +
    family(
      'cutover_router_backend_weight',
      'gauge',
      'Weight of the revision on the listener, percent.',
      weights,
    ) +
    family(
      'cutover_router_streams_cut_total',
      'counter',
      "Requests (open streams, long responses) cut when a stopping replica's grace period ended.",
      cutLines,
    ) +
    family(
      'cutover_router_outlier_ejections_total',
      'counter',
      'Replicas ejected by outlier detection.',
      ejectionLines,
    ) +
    family(
      'cutover_router_sessions',
      'gauge',
      'Sessions (session affinity) the listener keeps on the revision.',
      sessionLines,
    ) +
    family(
      'cutover_replica_ready',
      'gauge',
      'Replicas of the revision receiving traffic (ready, not draining).',
      ready,
    ) +
    family('cutover_router_client_connections', 'gauge', 'Client connections open across the listeners.', [
      `cutover_router_client_connections ${connections.open}`,
    ]) +
    family(
      'cutover_router_client_connections_max',
      'gauge',
      'Cap on open client connections (maxConnections).',
      [`cutover_router_client_connections_max ${connections.max}`],
    ) +
    family(
      'cutover_router_connections_rejected_total',
      'counter',
      'Connections answered 503 at the cap, with no idle connection to close for them.',
      [`cutover_router_connections_rejected_total ${connections.rejected}`],
    )
  );
}
