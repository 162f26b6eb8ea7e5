import { formatTime } from '../rollout-view.js';
import type { HandoffRun } from '../types.js';
import { PhaseBadge } from './phase-badge.js';

/**
 * The Rollout's coordination handoffs, newest first (at most 3): who handed the active role to
 * whom, each step with its replica, duration and answer, and the state's size and sha256.
 */
export function Handoffs({ runs }: { runs: HandoffRun[] }) {
  if (runs.length === 0) return <p>No handoff yet.</p>;
  return (
    <div>
      {runs.slice(0, 3).map((run) => (
        <article key={run.name} class="card handoff" aria-label={`handoff ${run.name}`}>
          <h3>
            {run.name} <PhaseBadge phase={run.phase} />
          </h3>
          <p>
            {run.kind}: {run.fromReplica ?? '(none)'} → {run.toReplica ?? `revision ${run.toRevision}`},
            started {formatTime(run.createdAt)}
            {run.finishedAt !== undefined ? `, ${run.finishedAt - run.createdAt} ms` : ''}
            {run.state !== undefined
              ? `; state ${run.state.size} bytes, sha256 ${run.state.sha256.slice(0, 12)}`
              : ''}
          </p>
          {run.message !== undefined && <p role="alert">{run.message}</p>}
          <table>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Replica</th>
                <th scope="col">Duration</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {run.steps.map((step, i) => (
                <tr key={`${step.name}-${i}`} class={step.ok ? '' : 'failed'}>
                  <td>
                    {step.ok ? '✔' : '✖'} {step.name}
                  </td>
                  <td>{step.replica ?? ''}</td>
                  <td>{step.finishedAt - step.startedAt} ms</td>
                  <td>{step.detail ?? ''}</td>
                </tr>
              ))}
              {run.phase === 'Running' &&
                run.pending.map((step) => (
                  <tr key={`pending-${step}`}>
                    <td>◌ {step}</td>
                    <td />
                    <td />
                    <td>pending</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </article>
      ))}
    </div>
  );
}
