import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { canaryWeights, requiresAttention, stepProgress, strategyName } from '../rollout-view.js';
import { ROLLOUT_PHASES, type RolloutPhase, type RolloutResource } from '../types.js';
import { PhaseBadge } from './phase-badge.js';

interface RolloutListProps {
  /** Bumped by the live stream: refetch. */
  tick: number;
  onError: (error: unknown) => void;
}

/** All rollouts, filterable by phase and by "requires attention". */
export function RolloutList({ tick, onError }: RolloutListProps) {
  const [rollouts, setRollouts] = useState<RolloutResource[] | null>(null);
  const [phases, setPhases] = useState<Set<RolloutPhase>>(new Set());
  const [attention, setAttention] = useState(false);

  const load = useCallback(() => {
    api.rollouts().then(setRollouts, onError);
  }, [onError]);
  useEffect(load, [load, tick]);

  const shown = (rollouts ?? []).filter(
    (r) => (phases.size === 0 || phases.has(r.status.phase)) && (!attention || requiresAttention(r)),
  );
  const togglePhase = (phase: RolloutPhase) => {
    const next = new Set(phases);
    if (next.has(phase)) next.delete(phase);
    else next.add(phase);
    setPhases(next);
  };

  return (
    <main>
      <h1>Rollouts</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <fieldset>
          <legend>Phase</legend>
          {ROLLOUT_PHASES.map((phase) => (
            <label key={phase}>
              <input type="checkbox" checked={phases.has(phase)} onChange={() => togglePhase(phase)} />
              {phase}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Show</legend>
          <label title="Degraded, or paused for a reason other than a pause step">
            <input type="checkbox" checked={attention} onChange={() => setAttention(!attention)} />
            Requires attention only
          </label>
        </fieldset>
      </form>
      {rollouts === null ? (
        <p>Loading…</p>
      ) : (
        <table class="rollouts">
          <caption class="visually-hidden">Rollouts</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Strategy</th>
              <th scope="col">Phase</th>
              <th scope="col">Step</th>
              <th scope="col">Canary weight</th>
              <th scope="col">Revision</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={r.metadata.name} data-rollout={r.metadata.name}>
                <td>
                  <a href={`#/rollouts/${encodeURIComponent(r.metadata.name)}`}>{r.metadata.name}</a>
                  {requiresAttention(r) && <span class="attention"> requires attention</span>}
                </td>
                <td>{strategyName(r)}</td>
                <td>
                  <PhaseBadge phase={r.status.phase} />
                </td>
                <td>{stepProgress(r)}</td>
                <td>{r.spec.strategy.canary ? `${canaryWeights(r).canary}%` : '-'}</td>
                <td>
                  {r.status.currentRevision}
                  {r.status.stableRevision !== null && r.status.stableRevision !== r.status.currentRevision
                    ? ` (stable ${r.status.stableRevision})`
                    : ''}
                </td>
              </tr>
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={6}>
                  {rollouts.length === 0 ? 'No rollouts yet.' : 'No rollout matches the filters.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </main>
  );
}
