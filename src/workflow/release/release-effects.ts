import type { Effect } from './effect.js';
import type { Release } from './release.js';

/**
 * The effects that must be in flight for the release's current state, for an executor that
 * resumes after a restart (level-triggered, as the controller's reconcile): the running stage,
 * the rollback, or the wait for a window. Notifications are not repeated. Pure; every effect is
 * idempotent, so issuing them again is safe.
 */
export function releaseEffects(release: Release): Effect[] {
  const r = release;
  if (r.status === 'WAITING_WINDOW')
    return [{ type: 'waitForWindow', release: r.name, until: r.waitingUntil }];
  if (r.status !== 'RUNNING') return [];
  if (r.stage === 'ROLLBACK') {
    return [
      {
        type: 'startRollback',
        release: r.name,
        rollbackType: r.rollback?.type ?? 'traffic',
        environment: r.environment,
      },
    ];
  }
  return [{ type: 'runStage', release: r.name, stage: r.stage, environment: r.environment }];
}
