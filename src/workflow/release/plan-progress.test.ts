import { describe, expect, it } from 'vitest';
import { type PlanProgress, type PlanRolloutProgress, planPercent, progressEvents } from './plan-progress.js';

const rollout = (name: string, extra: Partial<PlanRolloutProgress> = {}): PlanRolloutProgress => ({
  name,
  rollout: `${name}-production`,
  after: [],
  state: 'Waiting',
  phase: null,
  fromRevision: 1,
  revision: null,
  runningRevision: 1,
  step: null,
  weight: 0,
  message: '',
  ...extra,
});
const progress = (
  rollouts: PlanRolloutProgress[],
  smokeTests: PlanProgress['smokeTests'] = [],
): PlanProgress => ({
  environment: 'production',
  percent: planPercent(rollouts),
  rollouts,
  phases: [],
  smokeTests,
  updatedAt: 0,
});

describe('planPercent', () => {
  it('should count each canary step and the completion of each Rollout', () => {
    // mca: 4 steps + completion, done; npa: at step 2 of 4 (2 of 5 units); wpa: waiting (1 unit).
    const rollouts = [
      rollout('mca', { state: 'Healthy', step: { index: 4, count: 4 } }),
      rollout('npa', { state: 'Progressing', step: { index: 2, count: 4 } }),
      rollout('wpa'),
    ];
    expect(planPercent(rollouts)).toBe(Math.floor((7 * 100) / 11));
  });

  it('should reach 100 only when every Rollout is settled', () => {
    const verifying = [rollout('mca', { state: 'Verifying', step: { index: 2, count: 2 } })];
    expect(planPercent(verifying)).toBe(66);
    expect(
      planPercent([rollout('mca', { state: 'Degraded' }), rollout('npa', { state: 'RolledBack' })]),
    ).toBe(100);
    expect(planPercent([])).toBe(100);
  });

  it('should not count a step index past the last step as the completion', () => {
    expect(planPercent([rollout('mca', { state: 'Progressing', step: { index: 9, count: 2 } })])).toBe(66);
  });
});

describe('progressEvents', () => {
  it('should record a change of state with its revision and phase, and nothing for a step or weight', () => {
    const before = progress([rollout('mca', { state: 'Progressing', revision: 2, phase: 1, weight: 20 })]);
    const moved = progress([rollout('mca', { state: 'Progressing', revision: 2, phase: 1, weight: 50 })]);
    expect(progressEvents(before, moved)).toEqual([]);
    const after = progress([rollout('mca', { state: 'Healthy', revision: 2, runningRevision: 2, phase: 1 })]);
    expect(progressEvents(before, after)).toEqual([
      { type: 'Normal', reason: 'PlanRolloutHealthy', message: 'mca-production revision 2 (phase 1)' },
    ]);
  });

  it('should name the revision running after a degradation, as a Warning with its reason', () => {
    const before = progress([rollout('npa', { state: 'Progressing', revision: 3, phase: 2 })]);
    const after = progress([
      rollout('npa', {
        state: 'Degraded',
        revision: 3,
        runningRevision: 4,
        phase: 2,
        message: 'afterEach failed',
      }),
    ]);
    expect(progressEvents(before, after)).toEqual([
      {
        type: 'Warning',
        reason: 'PlanRolloutDegraded',
        message: 'npa-production revision 4 (phase 2): afterEach failed',
      },
    ]);
  });

  it('should record new smoke test results once, before the state they lead to', () => {
    const test = {
      kind: 'afterEach' as const,
      name: 'register-agent',
      rollout: 'mca',
      passed: true,
      detail: '200',
      at: 1,
    };
    const first = progress([rollout('mca', { state: 'Healthy', revision: 2, phase: 1 })], [test]);
    expect(progressEvents(null, first).map((e) => e.reason)).toEqual([
      'PlanSmokeTestPassed',
      'PlanRolloutHealthy',
    ]);
    expect(progressEvents(first, first)).toEqual([]);
  });
});
