import type { AnalysisRun } from '../analysis/types.js';
import type { RolloutResource } from '../api/views.js';
import type { ListenerSpec, OutlierEjection, ReplicaSetStatus, SessionCount } from '../dataplane/protocol.js';
import { describeReplicaFailure, type Revision } from '../engine/index.js';
import type { HandoffRun } from '../handoff/index.js';
import type { StoredEvent } from '../store/index.js';
import { compactMeasurements } from './analysis-format.js';

/** Everything `get rollout` shows. */
export interface RolloutView {
  rollout: RolloutResource;
  replicaSets: ReplicaSetStatus[];
  listeners: ListenerSpec[];
  revisions: Revision[];
  analysisRuns: AnalysisRun[];
  /** A Rollout with a handoff: its runs, newest first. */
  handoffs?: HandoffRun[];
  /** A Rollout with session affinity: sessions per revision on its ports. */
  sessions?: SessionCount[];
  /** Outlier detection's recent ejections. */
  ejections?: OutlierEjection[];
  /** ms since the epoch (which ejections are in force). @default Date.now() */
  now?: number;
}

const ICON: Record<string, string> = {
  Healthy: '✔',
  Progressing: '◌',
  Paused: '॥',
  Degraded: '✖',
  Successful: '✔',
  Running: '◌',
  Pending: '◌',
  Failed: '✖',
  Error: '⚠',
  Inconclusive: '?',
};

function strategyName(r: RolloutResource): string {
  const s = r.spec.strategy;
  return s.canary ? 'Canary' : s.blueGreen ? 'BlueGreen' : s.rolling ? 'Rolling' : 'Recreate';
}

/** The `get rollout` view, as `kubectl argo rollouts get rollout`. */
export function formatRollout(view: RolloutView): string {
  const { rollout: r, replicaSets, listeners, revisions, analysisRuns } = view;
  const s = r.status;
  const lines: string[] = [];
  const row = (k: string, v: string | number) => lines.push(`${`${k}:`.padEnd(16)}${v}`);
  row('Name', r.metadata.name);
  row('Status', `${ICON[s.phase] ?? ''} ${s.phase}${s.message ? ` (${s.message})` : ''}`);
  row('Strategy', strategyName(r));
  const steps = r.spec.strategy.canary?.steps;
  if (steps && s.currentStepIndex !== null)
    row('  Step', `${Math.min(s.currentStepIndex, steps.length)}/${steps.length}`);
  if (r.spec.strategy.canary) {
    row('  SetWeight', s.weights.canary);
    const port = r.spec.port;
    const actual =
      listeners
        .find((l) => l.port === port)
        ?.backends.find((b) => b.revision === s.currentRevision && b.set === undefined)?.weight ?? 0;
    row('  ActualWeight', s.currentRevision === s.stableRevision ? 100 : actual);
    // setFlag ramps the update holds (served in place of the flags' targeting).
    for (const ramp of s.flagRamps ?? [])
      row('  FlagRamp', `${ramp.flag}: ${ramp.variant} for ${ramp.percentage}% of targeting keys`);
  }
  row(
    'Port',
    r.spec.strategy.blueGreen?.previewPort
      ? `${r.spec.port} (active), ${r.spec.strategy.blueGreen.previewPort} (preview)`
      : r.spec.port,
  );
  row('Replicas', `desired ${r.spec.replicas ?? 1}, ready ${s.readyReplicas}`);
  if (r.spec.sessionAffinity !== undefined) {
    const byRevision = new Map<number, number>();
    for (const c of view.sessions ?? [])
      byRevision.set(c.revision, (byRevision.get(c.revision) ?? 0) + c.sessions);
    const list = [...byRevision].sort((a, b) => b[0] - a[0]).map(([rev, n]) => `${n} on revision ${rev}`);
    row(
      'Sessions',
      `${r.spec.sessionAffinity.type} affinity: ${list.length > 0 ? list.join(', ') : 'none yet'}`,
    );
  }
  if (r.spec.handoff !== undefined) {
    const active = s.activeReplica;
    row(
      'Active',
      active
        ? `${active.id} (revision ${active.revision})${r.spec.handoff.singleton ? ', the only one receiving requests' : ''}`
        : 'none yet: requests are held',
    );
  }
  lines.push('', 'REVISION  ROLE      READY  HASH        WEIGHT');
  const shown = revisions.filter(
    (v) =>
      v.number === s.currentRevision ||
      v.number === s.stableRevision ||
      replicaSets.some(
        (rs) => rs.revision === v.number && rs.set === undefined && rs.replicaStatuses.length > 0,
      ),
  );
  for (const v of [...shown].reverse()) {
    const rs = replicaSets.find((x) => x.revision === v.number && x.set === undefined);
    const roles: string[] = [];
    if (v.number === s.stableRevision) roles.push(r.spec.strategy.blueGreen ? 'active' : 'stable');
    if (v.number === s.currentRevision && v.number !== s.stableRevision)
      roles.push(r.spec.strategy.blueGreen ? 'preview' : 'canary');
    const weight =
      listeners
        .find((l) => l.port === r.spec.port)
        ?.backends.find((b) => b.revision === v.number && b.set === undefined)?.weight ?? 0;
    lines.push(
      `${String(v.number).padEnd(10)}${(roles.join(',') || 'old').padEnd(10)}${`${rs?.readyReplicas ?? 0}/${rs?.replicas ?? 0}`.padEnd(7)}${v.hash.padEnd(12)}${weight}%`,
    );
  }
  // Absent in a status written before replica failures were tracked.
  const now = view.now ?? Date.now();
  const ejected = (view.ejections ?? []).filter((e) => e.until > now);
  if (ejected.length > 0) {
    lines.push('', 'EJECTED (outlier detection)');
    for (const e of ejected) {
      lines.push(
        `✖ ${e.replica} (revision ${e.revision}) for ${Math.ceil((e.until - now) / 1000)} s more: ${e.reason}`,
      );
    }
  }
  const failures = s.replicaFailures ?? [];
  if (failures.length > 0) {
    lines.push('', 'REPLICA FAILURES');
    for (const f of failures) lines.push(`${ICON.Degraded} ${f.reason}: ${describeReplicaFailure(f)}`);
  }
  const handoff = view.handoffs?.[0];
  if (handoff !== undefined) lines.push('', ...formatHandoff(handoff));
  const current = analysisRuns.filter((a) => s.analysisRuns.some((ref) => ref.name === a.name));
  if (current.length > 0) {
    lines.push('', 'ANALYSISRUN');
    for (const run of current) {
      lines.push(
        `${ICON[run.status.phase] ?? ''} ${run.name}  ${run.status.phase}${run.status.message ? `: ${run.status.message}` : ''}`,
      );
      for (const m of run.status.metricResults) {
        const latest = compactMeasurements(m.measurements);
        lines.push(
          `    ${m.name}: ${ICON[m.phase] ?? ''} ${m.phase}  ✔ ${m.successful}  ✖ ${m.failed}  ? ${m.inconclusive}  ⚠ ${m.error}${latest ? `  [${latest}]` : ''}`,
        );
      }
    }
  }
  return lines.join('\n');
}

/** The latest handoff run: its outcome, then each step with its replica, duration and answer. */
function formatHandoff(run: HandoffRun): string[] {
  const from = run.fromReplica ?? '(none)';
  const lines = [
    'HANDOFF',
    `${ICON[run.phase] ?? ''} ${run.name}  ${run.kind} ${run.phase}  ${from} → ${run.toReplica ?? `revision ${run.toRevision}`}${run.message ? `: ${run.message}` : ''}`,
  ];
  if (run.state !== undefined)
    lines.push(`    state: ${run.state.size} bytes, sha256 ${run.state.sha256.slice(0, 12)}`);
  for (const step of run.steps) {
    const ms = `${step.finishedAt - step.startedAt} ms`;
    lines.push(
      `    ${step.ok ? ICON.Successful : ICON.Failed} ${step.name.padEnd(9)}${(step.replica ?? '').padEnd(16)}${ms.padStart(8)}  ${step.detail ?? ''}`,
    );
  }
  for (const next of run.phase === 'Running' ? run.pending : []) lines.push(`    ${ICON.Pending} ${next}`);
  return lines;
}

/** `list rollouts` as a table. */
export function formatRolloutList(items: RolloutResource[]): string {
  const header =
    'NAME'.padEnd(20) +
    'STRATEGY'.padEnd(11) +
    'STATUS'.padEnd(13) +
    'STEP'.padEnd(7) +
    'WEIGHT'.padEnd(8) +
    'REVISION';
  const rows = items.map((r) => {
    const s = r.status;
    const steps = r.spec.strategy.canary?.steps;
    const step =
      steps && s.currentStepIndex !== null
        ? `${Math.min(s.currentStepIndex, steps.length)}/${steps.length}`
        : '-';
    return (
      r.metadata.name.padEnd(20) +
      strategyName(r).padEnd(11) +
      s.phase.padEnd(13) +
      step.padEnd(7) +
      String(s.weights.canary).padEnd(8) +
      `${s.currentRevision}${s.stableRevision !== null && s.stableRevision !== s.currentRevision ? ` (stable ${s.stableRevision})` : ''}`
    );
  });
  return [header, ...rows].join('\n');
}

/** One event per line: time, actor, reason, message. */
export function formatEvents(events: StoredEvent[]): string {
  return events
    .map(
      (e) =>
        `${new Date(e.time).toISOString()}  ${e.actor.padEnd(18)} ${e.type === 'Warning' ? '⚠ ' : ''}${e.reason.padEnd(22)} ${e.message}`,
    )
    .join('\n');
}

/** Revisions, newest first. */
export function formatRevisions(revisions: Revision[], r: RolloutResource): string {
  return [
    'REVISION      HASH        CREATED                   COMMAND',
    ...[...revisions].reverse().map((v) => {
      const mark =
        v.number === r.status.stableRevision
          ? ' (stable)'
          : v.number === r.status.currentRevision
            ? ' (current)'
            : '';
      return `${`${v.number}${mark}`.padEnd(14)}${v.hash.padEnd(12)}${new Date(v.createdAt).toISOString().padEnd(26)}${v.template.command.join(' ')}`;
    }),
  ].join('\n');
}
