import type { BlueGreenStrategy } from '../spec/types.js';
import type { Decision } from './decision.js';
import { activeRevision, handoffEnabled, handoffGate } from './handoff.js';
import { abortForAnalysis, abortUpdate, completeUpdate, runName } from './lifecycle.js';

/** @default 30 s, as Argo Rollouts' blue-green `scaleDownDelaySeconds`. */
export const DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS = 30;
/** @default 30 s, as Argo Rollouts' blue-green `abortScaleDownDelaySeconds`. */
export const DEFAULT_BLUE_GREEN_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;

/**
 * One reconcile of a blue-green update, as Argo Rollouts' blueGreen: the new revision comes up as
 * preview (on `previewPort`) while the active revision keeps the main port; prePromotionAnalysis,
 * then promotion (manual, or automatic after `autoPromotionSeconds`), the switch of the main port,
 * postPromotionAnalysis, and the old active scaled down after `scaleDownDelaySeconds`.
 * Requires `status.currentRevision !== status.stableRevision`.
 */
export function reconcileBlueGreen(d: Decision, bg: BlueGreenStrategy): void {
  const s = d.status;
  const stable = s.stableRevision!;
  const current = s.currentRevision;
  const port = d.state.spec.port;
  const previewCount = bg.previewReplicaCount ?? d.replicas;
  d.scale(stable, d.replicas);

  if (s.abort) {
    // The active role went to the new revision before the abort: it is handed back first, and
    // the main port follows the active replica meanwhile.
    if (handoffEnabled(d) && activeRevision(d) === current) {
      const gate = handoffGate(d, stable, false, 'handoff-abort');
      if (gate === 'running' || gate === 'failed') {
        d.route(port, { [current]: 100 });
        d.scale(current, d.replicas);
        return;
      }
    }
    d.route(port, { [stable]: 100 });
    if (bg.previewPort !== undefined) d.route(bg.previewPort, { [stable]: 100 });
    s.weights = { canary: 0, stable: 100 };
    const delay = (bg.abortScaleDownDelaySeconds ?? DEFAULT_BLUE_GREEN_ABORT_SCALE_DOWN_DELAY_SECONDS) * 1000;
    d.scaleDownAt(current, (s.abortedAt ?? d.now) + delay);
    return;
  }

  if (bg.previewPort !== undefined) d.route(bg.previewPort, { [current]: 100 });

  if (s.activeRevision !== current) {
    d.route(port, { [stable]: 100 });
    s.weights = { canary: 0, stable: 100 };
    const promoting = s.promoted || s.promoteFull;
    d.scale(current, promoting ? d.replicas : previewCount);
    if (d.ready(current) < previewCount) return;
    if (s.previewReadyAt === null) {
      s.previewReadyAt = d.now;
      s.lastProgressAt = d.now;
      d.event('Normal', 'PreviewReady', `Preview revision ${current} is ready (${previewCount} replicas)`);
    }
    if (bg.prePromotionAnalysis && !s.promoteFull) {
      const name = runName(d, 'pre');
      const phase = d.ensureRun(name, 'prePromotion', bg.prePromotionAnalysis, current);
      if (phase === 'Failed' || phase === 'Error') {
        abortForAnalysis(d, 'PrePromotionAnalysis', name, phase);
        reconcileBlueGreen(d, bg);
        return;
      }
      if (phase === 'Inconclusive') {
        d.addPause('InconclusiveAnalysisRun', `AnalysisRun ${name} is Inconclusive`);
        return;
      }
      if (phase !== 'Successful') return;
    }
    if (!promoting) {
      if (d.paused) return;
      const auto = bg.autoPromotionEnabled !== false;
      const waitMs = (bg.autoPromotionSeconds ?? 0) * 1000;
      if (!auto || d.now < s.previewReadyAt + waitMs) {
        d.addPause(
          'BlueGreenPause',
          `Preview revision ${current} awaits promotion${auto ? ` (automatic in ${bg.autoPromotionSeconds}s)` : ''}`,
        );
        return;
      }
      s.promoted = true;
      d.removePause('BlueGreenPause');
      d.event('Normal', 'RolloutPromoted', `Revision ${current} auto-promoted`);
      d.scale(current, d.replicas);
    }
    if (d.ready(current) < d.replicas) return;
    if (handoffEnabled(d)) {
      // The switch is the handoff: the router holds requests until the new replica is active.
      const gate = handoffGate(d, current, false);
      if (gate === 'failed') {
        abortUpdate(d, `Handoff ${s.handoff?.name} failed: ${s.handoff?.message ?? 'unknown'}`);
        reconcileBlueGreen(d, bg);
        return;
      }
      if (gate === 'running') return;
    }
    s.activeRevision = current;
    s.lastProgressAt = d.now;
    d.event(
      'Normal',
      'SwitchService',
      `Switched port ${port} from revision ${stable} to revision ${current}`,
    );
  }

  // Switched: the new revision serves the main port.
  d.scale(current, d.replicas);
  d.route(port, { [current]: 100 });
  s.weights = { canary: 100, stable: 0 };
  if (d.observedWeight(port, current) !== 100) return;
  if (bg.postPromotionAnalysis && !s.promoteFull) {
    const name = runName(d, 'post');
    const phase = d.ensureRun(name, 'postPromotion', bg.postPromotionAnalysis, current);
    if (phase === 'Failed' || phase === 'Error') {
      abortForAnalysis(d, 'PostPromotionAnalysis', name, phase);
      reconcileBlueGreen(d, bg);
      return;
    }
    if (phase === 'Inconclusive') {
      d.addPause('InconclusiveAnalysisRun', `AnalysisRun ${name} is Inconclusive`);
      return;
    }
    if (phase === 'Running' || phase === 'Pending') return;
  }
  // The old active replica is shut down by the handoff before its revision may go.
  if (handoffEnabled(d) && ['running', 'released'].includes(handoffGate(d, current, false))) return;
  completeUpdate(d, stable, (bg.scaleDownDelaySeconds ?? DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS) * 1000);
}
