import { CommandNotAllowedError } from './errors.js';
import type { EngineEvent, RolloutState, RolloutStatus } from './types.js';

/** Operations a person or an agent applies to a Rollout, as `kubectl argo rollouts`. */
export const ROLLOUT_COMMANDS = ['promote', 'abort', 'retry', 'pause', 'resume'] as const;
export type RolloutCommand = (typeof ROLLOUT_COMMANDS)[number];

export interface CommandOptions {
  /** For `promote`: skip the remaining steps and analyses (`promote --full`). */
  full?: boolean;
}

export interface CommandResult {
  status: RolloutStatus;
  events: EngineEvent[];
}

/**
 * Applies an operation to a rollout's status, with Argo Rollouts' meaning:
 * - `promote`: leave the current pause (pause step, blue-green pause, inconclusive analysis) and go
 *   on; on a canary step that is not a pause, skip it. `--full` skips every remaining step and analysis.
 * - `abort`: stop the update; all traffic back to stable; phase Degraded.
 * - `retry`: restart an aborted update from its first step.
 * - `pause` / `resume`: hold / release the rollout where it is.
 *
 * Pure. `undo` is not here: it changes the template, so it is an apply.
 * @throws CommandNotAllowedError when the command does not apply to the current state; nothing changes.
 */
export function applyCommand(
  state: RolloutState,
  command: RolloutCommand,
  options: CommandOptions,
  now: number,
): CommandResult {
  const s = structuredClone(state.status);
  const events: EngineEvent[] = [];
  const updating = s.currentRevision !== s.stableRevision;
  const deny = (message: string): never => {
    throw new CommandNotAllowedError(state.name, command, message);
  };
  switch (command) {
    case 'promote': {
      const strategy = state.spec.strategy;
      if (!strategy.canary && !strategy.blueGreen) deny('promote applies to canary and blueGreen rollouts');
      if (!updating) deny('no update in progress');
      if (s.abort) deny('the update was aborted; use retry');
      s.controllerPause = false;
      s.lastProgressAt = now;
      const inconclusive = s.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun');
      s.pauseConditions = [];
      // An Inconclusive run the person promoted past no longer pauses the rollout.
      for (const ref of s.analysisRuns) if (ref.phase === 'Inconclusive') ref.acknowledged = true;
      if (options.full) {
        s.promoteFull = true;
        s.promoted = true;
        events.push({
          type: 'Normal',
          reason: 'RolloutPromoted',
          message: 'Full promotion: remaining steps and analyses skipped',
        });
        break;
      }
      if (strategy.canary) {
        const steps = strategy.canary.steps ?? [];
        const index = s.currentStepIndex ?? 0;
        const step = steps[index];
        // A pause held by a background run does not belong to the current step: resume it, don't skip it.
        const onStepPause =
          step !== undefined && ('pause' in step || 'analysis' in step || 'experiment' in step);
        if (index < steps.length && (onStepPause || !inconclusive)) s.currentStepIndex = index + 1;
        s.stepStartedAt = now;
        events.push({
          type: 'Normal',
          reason: 'RolloutPromoted',
          message:
            s.currentStepIndex === index
              ? `Resumed at step ${index + 1}/${steps.length}`
              : `Promoted past step ${index + 1}/${steps.length}`,
        });
      } else {
        if (inconclusive) s.promoteFull = true;
        s.promoted = true;
        events.push({
          type: 'Normal',
          reason: 'RolloutPromoted',
          message: `Revision ${s.currentRevision} promoted`,
        });
      }
      break;
    }
    case 'abort':
      if (!state.spec.strategy.canary && !state.spec.strategy.blueGreen) {
        deny('abort applies to canary and blueGreen rollouts (as Argo Rollouts); use undo to go back');
      }
      if (!updating) deny('no update in progress');
      if (s.abort) deny('already aborted');
      s.abort = true;
      s.abortedAt = now;
      s.pauseConditions = [];
      s.weights = { canary: 0, stable: 100 };
      s.activeRevision = s.stableRevision;
      s.message = `RolloutAborted: Rollout aborted update to revision ${s.currentRevision}: aborted by command`;
      events.push({
        type: 'Warning',
        reason: 'RolloutAborted',
        message: `Rollout aborted update to revision ${s.currentRevision} by command`,
      });
      break;
    case 'retry':
      if (!s.abort) deny('only an aborted update can be retried');
      s.abort = false;
      s.abortedAt = null;
      s.attempt += 1;
      s.currentStepIndex = state.spec.strategy.canary ? 0 : null;
      s.stepStartedAt = now;
      s.lastProgressAt = now;
      s.promoteFull = false;
      s.promoted = false;
      s.previewReadyAt = null;
      s.scaleDowns = s.scaleDowns.filter((x) => x.revision !== s.currentRevision);
      s.analysisRuns = [];
      s.message = '';
      events.push({
        type: 'Normal',
        reason: 'RolloutRetried',
        message: `Retrying update to revision ${s.currentRevision}`,
      });
      break;
    case 'pause':
      if (s.controllerPause) deny('already paused');
      s.controllerPause = true;
      events.push({ type: 'Normal', reason: 'RolloutPaused', message: 'Paused by command' });
      break;
    case 'resume':
      if (!s.controllerPause) deny('not paused by command');
      s.controllerPause = false;
      s.lastProgressAt = now;
      events.push({ type: 'Normal', reason: 'RolloutResumed', message: 'Resumed by command' });
      break;
  }
  s.updatedAt = now;
  return { status: s, events };
}
