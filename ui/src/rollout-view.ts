/** Pure helpers that turn API documents into what the pages show. */
import type { CanaryStep, RolloutResource } from './types.js';

export function strategyName(r: RolloutResource): string {
  const s = r.spec.strategy;
  return s.canary ? 'Canary' : s.blueGreen ? 'BlueGreen' : s.rolling ? 'Rolling' : 'Recreate';
}

/** "k/n" for a canary with steps, else "-". */
export function stepProgress(r: RolloutResource): string {
  const steps = r.spec.strategy.canary?.steps;
  const index = r.status.currentStepIndex;
  if (!steps || index === null) return '-';
  return `${Math.min(index, steps.length)}/${steps.length}`;
}

/**
 * Whether a person should look at the rollout: it is Degraded, or it is paused for a reason other
 * than a canary pause step (an inconclusive analysis, a blue-green waiting for promotion, or a
 * manual `pause`).
 */
export function requiresAttention(r: RolloutResource): boolean {
  const s = r.status;
  if (s.phase === 'Degraded') return true;
  if (s.controllerPause) return true;
  return s.pauseConditions.some((c) => c.reason !== 'CanaryPauseStep');
}

/**
 * Share of traffic, percent, on the stable and the canary revision. A rollout whose current
 * revision is the stable one has no canary: all traffic is stable (the status keeps the last
 * setWeight, as `get rollout` shows ActualWeight 100).
 */
export function canaryWeights(r: RolloutResource): { stable: number; canary: number } {
  const s = r.status;
  if (s.stableRevision === null || s.currentRevision === s.stableRevision) return { stable: 100, canary: 0 };
  return s.weights;
}

/** One line per canary step kind (every kind of the spec, so none shows as another). */
export function stepLabel(step: CanaryStep): string {
  if ('setWeight' in step) return `Set weight ${step.setWeight}%`;
  if ('setFlag' in step) {
    const { flag, variant, percentage } = step.setFlag;
    return `Flag ${flag}: ${variant} for ${percentage}%`;
  }
  if ('pause' in step) {
    const d = step.pause.duration;
    return d === undefined ? 'Pause (until promoted)' : `Pause ${typeof d === 'number' ? `${d}s` : d}`;
  }
  if ('setHeaderRoute' in step) {
    const { name, match } = step.setHeaderRoute;
    return match === undefined ? `Remove header route ${name}` : `Header route ${name} to canary`;
  }
  if ('setMirrorRoute' in step) {
    const { name, match, percentage } = step.setMirrorRoute;
    return match === undefined
      ? `Remove mirror route ${name}`
      : `Mirror route ${name}: ${percentage ?? 100}% copied to canary`;
  }
  if ('experiment' in step) return `Experiment: ${step.experiment.templates.map((t) => t.name).join(', ')}`;
  return `Analysis: ${step.analysis.templates.map((t) => t.templateName).join(', ')}`;
}

/** Role of a revision in the rollout, as `get rollout` prints it. */
export function revisionRole(r: RolloutResource, revision: number): string {
  const s = r.status;
  const blueGreen = r.spec.strategy.blueGreen !== undefined;
  if (blueGreen) {
    if (revision === (s.activeRevision ?? s.stableRevision)) return 'active';
    if (revision === s.previewRevision) return 'preview';
  } else {
    if (revision === s.stableRevision) return 'stable';
    if (revision === s.currentRevision) return 'canary';
  }
  return '';
}

/** A threshold parsed from a simple condition: `result < 0.05`, `result >= 2`, `0.9 <= result`. */
export interface Threshold {
  op: '<' | '<=' | '>' | '>=';
  value: number;
}

const NUMBER = '(-?\\d+(?:\\.\\d+)?(?:e-?\\d+)?)';

/**
 * The numeric bound of a condition on a scalar `result`, to draw as a line; undefined when the
 * condition is not that simple (e.g. it indexes `result[0]` or compares two results).
 */
export function parseThreshold(condition: string | undefined): Threshold | undefined {
  if (!condition) return undefined;
  const left = new RegExp(`\\bresult\\s*(<=|>=|<|>)\\s*${NUMBER}`).exec(condition);
  if (left) return { op: left[1] as Threshold['op'], value: Number(left[2]) };
  const right = new RegExp(`${NUMBER}\\s*(<=|>=|<|>)\\s*result\\b`).exec(condition);
  if (right) {
    const flip = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const;
    return { op: flip[right[2] as Threshold['op']], value: Number(right[1]) };
  }
  return undefined;
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}
