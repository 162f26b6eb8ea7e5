import type { HeaderRouteSpec, MirrorRouteSpec } from '../dataplane/protocol.js';
import { durationToMs } from '../spec/duration.js';
import type { CanaryStep, CanaryStrategy, SetFlag } from '../spec/types.js';
import type { Decision } from './decision.js';
import { experimentStepDone, holdExperiment } from './experiment.js';
import { abortForAnalysis, completeUpdate, dropFlagRamps, runName } from './lifecycle.js';
import { canaryReplicasFor } from './replica-math.js';

/** @default 30 s, as Argo Rollouts' `abortScaleDownDelaySeconds`. */
export const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30;
/** @default 30 s, as Argo Rollouts' `scaleDownDelaySeconds` with traffic routing. */
export const DEFAULT_SCALE_DOWN_DELAY_SECONDS = 30;

/**
 * One reconcile of a canary update, as Argo Rollouts' canary with traffic routing: the stable
 * revision stays at full scale; the canary is scaled to its weight's share; a weight is sent to
 * the router only once the canary replicas for it are ready, and a step completes only when the
 * router is observed applying it. Steps: setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, experiment,
 * setFlag; background analysis from `startingStep`. Header and mirror routes are removed when the
 * update completes or aborts, as Argo removes its managed routes; flag ramps are dropped on abort
 * (the flags are served as defined) and become the flags' definitions on completion. Requires
 * `status.currentRevision !== status.stableRevision`.
 */
export function reconcileCanary(d: Decision, canary: CanaryStrategy): void {
  const s = d.status;
  const stable = s.stableRevision!;
  const current = s.currentRevision;
  const port = d.state.spec.port;
  const steps = canary.steps ?? [];
  d.scale(stable, d.replicas);

  if (s.abort) {
    delete s.experiment;
    dropFlagRamps(d, 'the update was aborted');
    s.weights = { canary: 0, stable: 100 };
    d.route(port, { [stable]: 100 });
    const delay = (canary.abortScaleDownDelaySeconds ?? DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS) * 1000;
    d.scaleDownAt(current, (s.abortedAt ?? d.now) + delay);
    return;
  }

  // Background analysis, from startingStep on (as Argo's canary.analysis).
  const background = canary.analysis;
  if (background && (s.currentStepIndex ?? 0) >= (background.startingStep ?? 0) && !s.promoteFull) {
    const name = runName(d, 'bg');
    const phase = d.ensureRun(name, 'background', background, current);
    if (phase === 'Failed' || phase === 'Error') {
      abortForAnalysis(d, 'Background AnalysisRun', name, phase);
      reconcileCanary(d, canary);
      return;
    }
    const acknowledged = s.analysisRuns.find((r) => r.name === name)?.acknowledged === true;
    if (phase === 'Inconclusive' && !acknowledged) {
      d.addPause('InconclusiveAnalysisRun', `AnalysisRun ${name} is Inconclusive`);
    }
  }

  // Advance through as many steps as the observed state allows in this reconcile.
  for (let guard = 0; guard <= steps.length; guard++) {
    const index = s.currentStepIndex ?? 0;
    const step = steps[index];
    if (s.promoteFull || step === undefined) {
      promoteToFull(d, canary, steps.length);
      return;
    }
    holdWeight(d, s.weights.canary);
    holdRoutes(d, steps, index);
    holdFlagRamps(d, steps, index);
    // An experiment lives only while its step is current (promote skips the step and ends it),
    // and a pause on its step keeps it running.
    if ('experiment' in step) holdExperiment(d, step.experiment, index);
    else delete s.experiment;
    if (d.paused || s.pauseConditions.some((p) => p.reason === 'InconclusiveAnalysisRun')) return;
    if (!stepDone(d, step, index)) {
      if (s.abort) reconcileCanary(d, canary);
      return;
    }
    s.currentStepIndex = index + 1;
    s.stepStartedAt = d.now;
    s.lastProgressAt = d.now;
    d.event(
      'Normal',
      'RolloutStepCompleted',
      `Rollout step ${index + 1}/${steps.length} completed (${describeStep(step)})`,
    );
  }
}

/** Scales the canary for `weight` and routes that share of the main port to it. */
function holdWeight(d: Decision, weight: number): void {
  const s = d.status;
  const stable = s.stableRevision!;
  d.scale(
    s.currentRevision,
    Math.max(canaryReplicasFor(d.replicas, weight), d.desiredReplicas(s.currentRevision)),
  );
  d.route(d.state.spec.port, { [stable]: 100 - weight, [s.currentRevision]: weight });
}

/**
 * The header routes in force at step `index`: every `setHeaderRoute` step up to and including it, in
 * order, a later step of the same name replacing (or, without `match`, removing) an earlier one, as
 * Argo Rollouts' managed routes. Pure; derived from the spec, so nothing extra is persisted.
 */
export function headerRoutesAt(
  steps: readonly CanaryStep[],
  index: number,
  revision: number,
): HeaderRouteSpec[] {
  const routes = new Map<string, HeaderRouteSpec>();
  for (const step of steps.slice(0, index + 1)) {
    if (!('setHeaderRoute' in step)) continue;
    const { name, match } = step.setHeaderRoute;
    routes.delete(name);
    if (match !== undefined) routes.set(name, { name, match: structuredClone(match), revision });
  }
  return [...routes.values()];
}

/**
 * The mirror routes in force at step `index`: every `setMirrorRoute` step up to and including it,
 * as {@link headerRoutesAt} (Argo Rollouts' managed routes). Pure.
 */
export function mirrorRoutesAt(
  steps: readonly CanaryStep[],
  index: number,
  revision: number,
): MirrorRouteSpec[] {
  const routes = new Map<string, MirrorRouteSpec>();
  for (const step of steps.slice(0, index + 1)) {
    if (!('setMirrorRoute' in step)) continue;
    const { name, match, percentage, compare } = step.setMirrorRoute;
    routes.delete(name);
    if (match !== undefined)
      routes.set(name, {
        name,
        revision,
        percentage: percentage ?? 100,
        match: structuredClone(match),
        ...(compare !== undefined ? { compare: { ...compare } } : {}),
      });
  }
  return [...routes.values()];
}

/**
 * The feature flag ramps in force at step `index`: the last `setFlag` step of each flag up to and
 * including it, in the order the flags were first ramped. Pure; derived from the spec.
 */
export function flagRampsAt(steps: readonly CanaryStep[], index: number): SetFlag[] {
  const ramps = new Map<string, SetFlag>();
  for (const step of steps.slice(0, index + 1)) {
    if ('setFlag' in step) ramps.set(step.setFlag.flag, { ...step.setFlag });
  }
  return [...ramps.values()];
}

/** Holds the flag ramps in force at step `index` in the status (the controller serves them). */
function holdFlagRamps(d: Decision, steps: readonly CanaryStep[], index: number): void {
  const ramps = flagRampsAt(steps, index);
  if (ramps.length === 0) dropFlagRamps(d, `step ${index + 1} holds none`);
  else d.status.flagRamps = ramps;
}

/**
 * Holds the header and mirror routes in force at step `index` (after {@link holdWeight}, which
 * clears them): header-matched requests go to the canary, matching ones are mirrored to it; with any
 * route the canary keeps at least one replica (weight 0 included).
 */
function holdRoutes(d: Decision, steps: readonly CanaryStep[], index: number): void {
  const current = d.status.currentRevision;
  const routes = headerRoutesAt(steps, index, current);
  const mirrors = mirrorRoutesAt(steps, index, current);
  d.headerRoutes(d.state.spec.port, routes);
  d.mirrorRoutes(d.state.spec.port, mirrors);
  if (routes.length > 0 || mirrors.length > 0) d.scale(current, Math.max(1, d.desiredReplicas(current)));
}

/** Works on one step; true once it is complete. */
function stepDone(d: Decision, step: CanaryStep, index: number): boolean {
  const s = d.status;
  const current = s.currentRevision;
  if ('setWeight' in step) {
    const target = step.setWeight;
    const needed = canaryReplicasFor(d.replicas, target);
    d.scale(current, Math.max(needed, canaryReplicasFor(d.replicas, s.weights.canary)));
    if (d.ready(current) < needed) return false;
    if (s.weights.canary !== target) {
      s.weights = { canary: target, stable: 100 - target };
      s.lastProgressAt = d.now;
      d.event('Normal', 'SetWeight', `Set canary weight to ${target}%`);
      holdWeight(d, target);
      // Regression: the new weight must not drop the routes for a reconcile (the router would
      // briefly send header-routed clients by weight and stop mirroring).
      holdRoutes(d, d.state.spec.strategy.canary?.steps ?? [], index);
    }
    return d.observedWeight(d.state.spec.port, current) === target;
  }
  if ('setHeaderRoute' in step) {
    const port = d.state.spec.port;
    const desired = headerRoutesAt(d.state.spec.strategy.canary?.steps ?? [], index, current);
    // A route to a canary without a ready replica would fall back to the weights: wait for one.
    if (desired.length > 0 && d.ready(current) < 1) return false;
    if (JSON.stringify(d.observedHeaderRoutes(port)) !== JSON.stringify(desired)) return false;
    const { name, match } = step.setHeaderRoute;
    d.event(
      'Normal',
      'SetHeaderRoute',
      match === undefined
        ? `Removed header route ${name}`
        : `Set header route ${name} to revision ${current}`,
    );
    return true;
  }
  if ('setMirrorRoute' in step) {
    const port = d.state.spec.port;
    const desired = mirrorRoutesAt(d.state.spec.strategy.canary?.steps ?? [], index, current);
    // Copies to a canary without a ready replica would be dropped: wait for one.
    if (desired.length > 0 && d.ready(current) < 1) return false;
    if (JSON.stringify(d.observedMirrorRoutes(port)) !== JSON.stringify(desired)) return false;
    const { name, match, percentage } = step.setMirrorRoute;
    d.event(
      'Normal',
      'SetMirrorRoute',
      match === undefined
        ? `Removed mirror route ${name}`
        : `Set mirror route ${name} to revision ${current} (${percentage ?? 100}%)`,
    );
    return true;
  }
  if ('experiment' in step) return experimentStepDone(d, step.experiment, index);
  if ('setFlag' in step) {
    // Done once the data plane serves the flags with the ramps this step holds.
    const served = d.observed.flagRamps;
    if (served === undefined || JSON.stringify(served) !== JSON.stringify(s.flagRamps ?? [])) return false;
    const { flag, variant, percentage } = step.setFlag;
    s.lastProgressAt = d.now;
    d.event(
      'Normal',
      'SetFlag',
      `Set flag ${flag} to variant ${variant} for ${percentage}% of targeting keys (the others get its defaultVariant)`,
    );
    return true;
  }
  if ('pause' in step) {
    const condition = s.pauseConditions.find((p) => p.reason === 'CanaryPauseStep');
    if (!condition) {
      d.addPause(
        'CanaryPauseStep',
        `Paused at step ${index + 1}${step.pause.duration !== undefined ? ` for ${step.pause.duration}` : ''}`,
      );
      return false;
    }
    if (step.pause.duration === undefined) return false;
    if (d.now < condition.startTime + durationToMs(step.pause.duration)) return false;
    d.removePause('CanaryPauseStep');
    d.event('Normal', 'RolloutResumed', `Pause of ${step.pause.duration} at step ${index + 1} ended`);
    return true;
  }
  const name = runName(d, `s${index}`);
  const phase = d.ensureRun(name, 'step', step.analysis, current);
  if (phase === 'Successful') return true;
  if (phase === 'Failed' || phase === 'Error') {
    abortForAnalysis(d, 'AnalysisRun', name, phase);
    return false;
  }
  if (phase === 'Inconclusive') d.addPause('InconclusiveAnalysisRun', `AnalysisRun ${name} is Inconclusive`);
  return false;
}

/** All steps done (or promote --full): scale the canary to full, shift 100%, then make it stable. */
function promoteToFull(d: Decision, canary: CanaryStrategy, stepCount: number): void {
  const s = d.status;
  const current = s.currentRevision;
  const stable = s.stableRevision!;
  s.currentStepIndex = stepCount;
  delete s.experiment;
  d.scale(current, d.replicas);
  if (d.ready(current) < d.replicas) {
    holdWeight(d, s.weights.canary);
    d.scale(current, d.replicas);
    return;
  }
  if (s.weights.canary !== 100) {
    s.weights = { canary: 100, stable: 0 };
    s.lastProgressAt = d.now;
    d.event('Normal', 'SetWeight', 'Set canary weight to 100%');
  }
  d.route(d.state.spec.port, { [current]: 100 });
  if (d.observedWeight(d.state.spec.port, current) !== 100) {
    // Keep the stable up until the router has moved every request off it.
    d.scale(stable, d.replicas);
    return;
  }
  // The flags keep their final ramp: it becomes their definition (as Flagger copies the canary
  // into the primary). A full promotion takes them to the last ramp of the steps, as it takes the
  // weight to 100%.
  const ramps = flagRampsAt(canary.steps ?? [], stepCount - 1);
  if (ramps.length > 0) {
    d.actions.push({ type: 'promoteFlagRamps', ramps });
    d.event(
      'Normal',
      'FlagRampPromoted',
      `Flag ramps written into the flags' definitions: ${ramps.map(describeRamp).join(', ')}`,
    );
  }
  delete s.flagRamps;
  completeUpdate(d, stable, (canary.scaleDownDelaySeconds ?? DEFAULT_SCALE_DOWN_DELAY_SECONDS) * 1000);
}

function describeRamp(r: SetFlag): string {
  return `${r.flag} ${r.variant} ${r.percentage}%`;
}

function describeStep(step: CanaryStep): string {
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('setFlag' in step) return `setFlag ${describeRamp(step.setFlag)}`;
  if ('pause' in step) return step.pause.duration === undefined ? 'pause' : `pause ${step.pause.duration}`;
  if ('setHeaderRoute' in step) return `setHeaderRoute ${step.setHeaderRoute.name}`;
  if ('setMirrorRoute' in step) return `setMirrorRoute ${step.setMirrorRoute.name}`;
  if ('experiment' in step) return `experiment ${step.experiment.templates.map((t) => t.name).join(', ')}`;
  return `analysis ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
}
