import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { CanaryStep, RolloutExperimentStep, RolloutSpec } from '../spec/types.js';

const template = { command: ['node', 'server.mjs'] };

function canarySpec(steps: CanaryStep[]): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template,
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5, scaleDownDelaySeconds: 5 } },
  };
}

const experiment = (extra: Partial<RolloutExperimentStep> = {}): RolloutExperimentStep => ({
  templates: [
    { name: 'baseline', specRef: 'stable', weight: 10 },
    { name: 'canary', specRef: 'canary', weight: 10 },
  ],
  analyses: [{ name: 'compare', templateName: 'model-update', requiredForCompletion: true }],
  ...extra,
});

function atExperiment(steps: CanaryStep[]): EngineHarness {
  const h = new EngineHarness(canarySpec(steps));
  h.until(() => h.status.phase === 'Healthy');
  h.addRevision({ V: '2' });
  return h;
}

describe('reconcile (experiment)', () => {
  it('should run a fresh baseline and candidate with their weights, start the analysis with their sets, and continue when it succeeds', () => {
    const h = atExperiment([{ setWeight: 20 }, { experiment: experiment() }, { pause: {} }]);
    h.until(() => 'web-r2-s1-compare' in h.runs);
    // Own replica sets, distinct from the stable (r1) and canary (r2) sets.
    expect(h.setReplicas('web-r2-s1-baseline')).toBe(1);
    expect(h.setReplicas('web-r2-s1-canary')).toBe(1);
    expect(h.replicas(1)).toBe(2);
    expect(h.replicas(2)).toBe(1);
    // Their weights come out of the stable revision's share.
    expect([h.weight(8080, 1), h.weight(8080, 2)]).toEqual([60, 20]);
    expect([h.setWeight(8080, 'web-r2-s1-baseline'), h.setWeight(8080, 'web-r2-s1-canary')]).toEqual([
      10, 10,
    ]);
    const created = h.actions.find((a) => a.type === 'createAnalysisRun' && a.name === 'web-r2-s1-compare');
    expect(created?.type === 'createAnalysisRun' && created.revisions.experiment).toEqual({
      baseline: { revision: 1, set: 'web-r2-s1-baseline' },
      canary: { revision: 2, set: 'web-r2-s1-canary' },
    });
    expect(h.reasons()).toContain('ExperimentAvailable');

    h.runs['web-r2-s1-compare'] = { phase: 'Successful' };
    h.until(() => h.status.phase === 'Paused');
    expect(h.status.currentStepIndex).toBe(2);
    expect(h.reasons()).toContain('ExperimentCompleted');
    expect(h.status.experiment).toBeUndefined();
    // Traffic leaves the sets first, then they are scaled down.
    expect(h.setWeight(8080, 'web-r2-s1-baseline')).toBe(0);
    expect([h.weight(8080, 1), h.weight(8080, 2)]).toEqual([80, 20]);
    h.ticks(2);
    expect(h.setReplicas('web-r2-s1-baseline')).toBe(0);
    expect(h.setReplicas('web-r2-s1-canary')).toBe(0);
  });

  it('should abort with the run and its message when an analysis fails, and scale the sets down', () => {
    const h = atExperiment([{ experiment: experiment() }, { setWeight: 50 }]);
    h.until(() => 'web-r2-s0-compare' in h.runs);
    h.runs['web-r2-s0-compare'] = {
      phase: 'Failed',
      message: 'metric quality: value 1.01 failed condition result >= 1.02',
    };
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.status.message).toContain('Experiment web-r2-s0 AnalysisRun web-r2-s0-compare Failed');
    expect(h.status.message).toContain('metric quality: value 1.01');
    h.ticks(3);
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.setReplicas('web-r2-s0-baseline')).toBe(0);
    expect(h.setReplicas('web-r2-s0-canary')).toBe(0);
  });

  it('should pause on an Inconclusive analysis, keep the sets, and go on after promote', () => {
    const h = atExperiment([{ experiment: experiment() }, { pause: {} }]);
    h.until(() => 'web-r2-s0-compare' in h.runs);
    h.runs['web-r2-s0-compare'] = { phase: 'Inconclusive' };
    h.tick();
    expect(h.status.phase).toBe('Paused');
    expect(h.status.pauseConditions.map((p) => p.reason)).toEqual(['InconclusiveAnalysisRun']);
    h.ticks(3);
    expect(h.setReplicas('web-r2-s0-canary')).toBe(1);
    h.command('promote');
    h.until(() => h.status.currentStepIndex === 1 && h.status.phase === 'Paused');
    h.ticks(3);
    expect(h.setReplicas('web-r2-s0-canary')).toBe(0);
  });

  it('should end after its duration, terminating analyses still running', () => {
    const h = atExperiment([
      { experiment: experiment({ duration: '5s', analyses: [{ name: 'watch', templateName: 't' }] }) },
      { pause: {} },
    ]);
    h.until(() => 'web-r2-s0-watch' in h.runs);
    h.ticks(6); // 3 s
    expect(h.status.currentStepIndex).toBe(0);
    h.until(() => h.status.currentStepIndex === 1);
    h.tick(); // the next reconcile no longer wants the run
    expect(h.actions).toContainEqual({ type: 'terminateAnalysisRun', name: 'web-r2-s0-watch' });
    expect(h.events.find((e) => e.reason === 'ExperimentCompleted')?.message).toContain('duration 5s passed');
  });

  it('should fill {{templates.<name>.set|revision|podTemplateHash}} in the analyses args', () => {
    const args = [
      { name: 'candidate', value: '{{templates.canary.set}}' },
      { name: 'control', value: 'set="{{ templates.baseline.set }}",r={{templates.baseline.revision}}' },
      { name: 'hash', value: '{{templates.canary.podTemplateHash}}' },
      { name: 'other', value: '{{templates.nope.set}}' },
    ];
    const h = atExperiment([
      { experiment: experiment({ analyses: [{ name: 'compare', templateName: 't', args }] }) },
    ]);
    h.until(() => 'web-r2-s0-compare' in h.runs);
    const created = h.actions.find((a) => a.type === 'createAnalysisRun');
    expect(created?.type === 'createAnalysisRun' && created.analysis.args).toEqual([
      { name: 'candidate', value: 'web-r2-s0-canary' },
      { name: 'control', value: 'set="web-r2-s0-baseline",r=1' },
      { name: 'hash', value: 'h2' },
      { name: 'other', value: '{{templates.nope.set}}' },
    ]);
  });
});
