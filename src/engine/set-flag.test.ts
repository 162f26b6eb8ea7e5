import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';
import { flagRampsAt } from './canary.js';

function canarySpec(steps: CanaryStep[]): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template: { command: ['node', 'server.mjs'] },
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5, scaleDownDelaySeconds: 5 } },
  };
}

const analysis = { templates: [{ templateName: 'errors-by-variant' }] };

describe('flagRampsAt', () => {
  it('should keep the last setFlag step of each flag up to the step, in the order flags were first ramped', () => {
    const steps: CanaryStep[] = [
      { setFlag: { flag: 'a', variant: 'on', percentage: 10 } },
      { setWeight: 50 },
      { setFlag: { flag: 'b', variant: 'v2', percentage: 5 } },
      { setFlag: { flag: 'a', variant: 'on', percentage: 50 } },
    ];
    expect(flagRampsAt(steps, 0)).toEqual([{ flag: 'a', variant: 'on', percentage: 10 }]);
    expect(flagRampsAt(steps, 1)).toEqual([{ flag: 'a', variant: 'on', percentage: 10 }]);
    expect(flagRampsAt(steps, 3)).toEqual([
      { flag: 'a', variant: 'on', percentage: 50 },
      { flag: 'b', variant: 'v2', percentage: 5 },
    ]);
    expect(flagRampsAt([{ setWeight: 10 }], 0)).toEqual([]);
  });
});

describe('reconcile (setFlag)', () => {
  it('should hold the ramp in the status, complete the step once the data plane serves it, and drop it when analysis aborts', () => {
    const h = new EngineHarness(
      canarySpec([
        { setWeight: 50 },
        { setFlag: { flag: 'new-planner', variant: 'on', percentage: 25 } },
        { analysis },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.flagRamps).toBeUndefined();
    h.addRevision({ V: '2' });
    h.flagsServed = false;
    h.until(() => h.status.flagRamps !== undefined);
    expect(h.status.flagRamps).toEqual([{ flag: 'new-planner', variant: 'on', percentage: 25 }]);
    // Not served: the step waits.
    h.ticks(5);
    expect(h.status.currentStepIndex).toBe(1);
    expect(h.reasons()).not.toContain('SetFlag');
    h.flagsServed = true;
    h.until(() => 'web-r2-s2' in h.runs);
    expect(h.events.find((e) => e.reason === 'SetFlag')?.message).toBe(
      'Set flag new-planner to variant on for 25% of targeting keys (the others get its defaultVariant)',
    );
    expect(
      h.events.find((e) => e.reason === 'RolloutStepCompleted' && e.message.includes('setFlag'))?.message,
    ).toBe('Rollout step 2/3 completed (setFlag new-planner on 25%)');
    h.runs['web-r2-s2'] = { phase: 'Failed', message: 'metric errors-on' };
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.status.flagRamps).toBeUndefined();
    expect(h.servedFlagRamps).toEqual([]);
    expect(h.events.find((e) => e.reason === 'FlagRampReverted')?.message).toBe(
      'Flag ramps dropped (the update was aborted); served as defined again: new-planner (was on for 25%)',
    );
    expect(h.actions.some((a) => a.type === 'promoteFlagRamps')).toBe(false);
    h.ticks(5);
    expect(h.events.filter((e) => e.reason === 'FlagRampReverted')).toHaveLength(1);
  });

  it('should drop the ramp on cutover abort, and hold it again from the first step on retry', () => {
    const h = new EngineHarness(
      canarySpec([{ setFlag: { flag: 'f', variant: 'on', percentage: 10 } }, { pause: {} }]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    expect(h.status.flagRamps).toEqual([{ flag: 'f', variant: 'on', percentage: 10 }]);
    h.command('abort');
    h.tick();
    expect(h.status.flagRamps).toBeUndefined();
    h.command('retry');
    h.until(() => h.status.phase === 'Paused');
    expect(h.status.flagRamps).toEqual([{ flag: 'f', variant: 'on', percentage: 10 }]);
  });

  it("should write each flag's last ramp into its definition when the update completes, and hold none after", () => {
    const h = new EngineHarness(
      canarySpec([
        { setFlag: { flag: 'f', variant: 'on', percentage: 10 } },
        { pause: {} },
        { setFlag: { flag: 'f', variant: 'on', percentage: 100 } },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy' && h.status.stableRevision === 2);
    expect(h.actions.filter((a) => a.type === 'promoteFlagRamps')).toEqual([
      { type: 'promoteFlagRamps', ramps: [{ flag: 'f', variant: 'on', percentage: 100 }] },
    ]);
    expect(h.reasons()).toContain('FlagRampPromoted');
    expect(h.reasons()).not.toContain('FlagRampReverted');
    expect(h.status.flagRamps).toBeUndefined();
  });

  it('should take the flags to the last ramp of the steps on promote --full', () => {
    const h = new EngineHarness(
      canarySpec([
        { setFlag: { flag: 'f', variant: 'on', percentage: 10 } },
        { pause: {} },
        { setFlag: { flag: 'f', variant: 'on', percentage: 60 } },
        { pause: {} },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    h.command('promote', true);
    h.until(() => h.status.phase === 'Healthy' && h.status.stableRevision === 2);
    expect(h.actions.filter((a) => a.type === 'promoteFlagRamps')).toEqual([
      { type: 'promoteFlagRamps', ramps: [{ flag: 'f', variant: 'on', percentage: 60 }] },
    ]);
  });
});
