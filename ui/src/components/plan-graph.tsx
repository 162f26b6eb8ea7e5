import type { PlanProgress, PlanRolloutProgress } from '../types.js';
import { PhaseBadge } from './phase-badge.js';

/** Size of one agent's box and the gaps between them, px. */
const W = 190;
const H = 74;
const GAP_X = 56;
const GAP_Y = 18;

const revision = (n: number | null) => (n === null ? '-' : String(n));

/** Column of each Rollout: 0 without predecessors, else one after its last predecessor. */
function columns(rollouts: readonly PlanRolloutProgress[]): Map<string, number> {
  const out = new Map<string, number>();
  const byName = new Map(rollouts.map((r) => [r.name, r]));
  const column = (name: string, seen: Set<string>): number => {
    const known = out.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle cannot be stored; never loop on bad data
    seen.add(name);
    const after = byName.get(name)?.after ?? [];
    const c = after.length === 0 ? 0 : 1 + Math.max(...after.map((a) => column(a, seen)));
    out.set(name, c);
    return c;
  };
  for (const r of rollouts) column(r.name, new Set());
  return out;
}

/** What a Rollout's box says under its name: its step and weight, or the revisions. */
function detail(r: PlanRolloutProgress): string {
  if (r.state === 'Progressing' || r.state === 'Verifying')
    return `${r.step === null ? '' : `step ${r.step.index}/${r.step.count} · `}${r.weight}% on ${revision(r.revision)}`;
  return `rev ${revision(r.fromRevision)} → ${revision(r.revision)} · runs ${revision(r.runningRevision)}`;
}

/**
 * The plan of a release in one environment as a graph (issue 13): one box per agent in columns by
 * dependency (an arrow from each Rollout it waits for), coloured by its state, with its canary
 * step and weight while it rolls out and its revisions once settled; then the same as a table for
 * screen readers and copying, and the plan's smoke tests.
 */
export function PlanGraph({ progress }: { progress: PlanProgress }) {
  const col = columns(progress.rollouts);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const r of progress.rollouts) {
    const c = col.get(r.name) ?? 0;
    const row = rows.get(c) ?? 0;
    rows.set(c, row + 1);
    at.set(r.name, { x: 8 + c * (W + GAP_X), y: 8 + row * (H + GAP_Y) });
  }
  const width = 16 + (Math.max(0, ...col.values()) + 1) * (W + GAP_X) - GAP_X;
  const height = 16 + Math.max(1, ...rows.values()) * (H + GAP_Y) - GAP_Y;
  const id = `plan-arrow-${progress.environment}`;
  return (
    <div class="plan" data-environment={progress.environment}>
      <h3>
        Plan in {progress.environment}: <span class="plan-percent">{progress.percent}%</span>
        <span class="muted"> · {progress.phases.length} phase(s) started</span>
      </h3>
      <progress max={100} value={progress.percent} aria-label={`plan progress in ${progress.environment}`} />
      <svg
        class="plan-graph"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`plan graph: ${progress.rollouts.map((r) => `${r.name} ${r.state}`).join(', ')}`}
      >
        <defs>
          <marker
            id={id}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" class="plan-arrow" />
          </marker>
        </defs>
        {progress.rollouts.flatMap((r) =>
          r.after.map((a) => {
            const from = at.get(a);
            const to = at.get(r.name);
            if (from === undefined || to === undefined) return null;
            const x1 = from.x + W;
            const y1 = from.y + H / 2;
            const x2 = to.x;
            const y2 = to.y + H / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${a}-${r.name}`}
                class="plan-edge"
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
                marker-end={`url(#${id})`}
              />
            );
          }),
        )}
        {progress.rollouts.map((r) => {
          const p = at.get(r.name)!;
          return (
            <g
              key={r.name}
              class={`plan-node plan-${r.state.toLowerCase()}`}
              data-rollout={r.name}
              data-state={r.state}
            >
              <title>{`${r.rollout}: ${r.state}${r.message ? ` (${r.message})` : ''}`}</title>
              <rect x={p.x} y={p.y} width={W} height={H} rx={8} />
              <text x={p.x + 10} y={p.y + 20} class="plan-name">
                {r.name}
                {r.phase === null ? '' : ` · phase ${r.phase}`}
              </text>
              <text x={p.x + 10} y={p.y + 40} class="plan-state">
                {r.state}
              </text>
              <text x={p.x + 10} y={p.y + 60} class="plan-detail">
                {detail(r)}
              </text>
            </g>
          );
        })}
      </svg>
      <table class="plan-table">
        <caption>Agents of the plan in {progress.environment}</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Rollout</th>
            <th scope="col">State</th>
            <th scope="col">Waits for</th>
            <th scope="col">Step</th>
            <th scope="col">Weight</th>
            <th scope="col">Revision (before → release)</th>
            <th scope="col">Running</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {progress.rollouts.map((r) => (
            <tr key={r.name} data-rollout={r.name}>
              <td>{r.name}</td>
              <td>
                <a href={`#/rollouts/${encodeURIComponent(r.rollout)}`}>{r.rollout}</a>
              </td>
              <td>
                <PhaseBadge phase={r.state} />
              </td>
              <td>{r.after.join(', ') || '-'}</td>
              <td>{r.step === null ? '-' : `${r.step.index}/${r.step.count}`}</td>
              <td>{r.weight}%</td>
              <td>
                {revision(r.fromRevision)} → {revision(r.revision)}
              </td>
              <td>{revision(r.runningRevision)}</td>
              <td>{r.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {progress.smokeTests.length > 0 && (
        <ul class="checklist">
          {progress.smokeTests.map((t, i) => (
            <li key={i} data-ok={String(t.passed)}>
              {t.passed ? '✓' : '✗'} {t.kind} {t.name} ({t.rollout}): {t.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
