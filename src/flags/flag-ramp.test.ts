import { describe, expect, it } from 'vitest';
import type { FeatureFlags, FlagdFlag } from '../spec/index.js';
import { promotedFlagSets, rampedFlag, servedFlagSets, setFlagIssues } from './flag-ramp.js';
import { ServedFlags } from './served-flags.js';

const planner: FlagdFlag = {
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  targeting: { if: [{ in: [{ var: 'targetingKey' }, ['alice']] }, 'on', 'off'] },
  metadata: { team: 'agents' },
};

function flagSet(name: string, flags: Record<string, FlagdFlag>, environment?: string): FeatureFlags {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'FeatureFlags',
    metadata: { name, ...(environment !== undefined ? { environment } : {}) },
    spec: { flags },
  };
}

describe('rampedFlag', () => {
  it('should replace the targeting with a fractional split between the variant and the defaultVariant, keeping the rest', () => {
    expect(rampedFlag(planner, { flag: 'p', variant: 'on', percentage: 25 })).toEqual({
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 25],
          ['off', 75],
        ],
      },
      metadata: { team: 'agents' },
    });
  });

  it('should be static at 0% (the defaultVariant for all) and at 100% (the variant becomes the defaultVariant)', () => {
    const { targeting: _, ...untargeted } = planner;
    expect(rampedFlag(planner, { flag: 'p', variant: 'on', percentage: 0 })).toEqual(untargeted);
    expect(rampedFlag(planner, { flag: 'p', variant: 'on', percentage: 100 })).toEqual({
      ...untargeted,
      defaultVariant: 'on',
    });
    // The defaultVariant ramped: everyone gets it, whatever the percentage.
    expect(rampedFlag(planner, { flag: 'p', variant: 'off', percentage: 30 })).toEqual(untargeted);
  });

  it('should not apply to a flag without that variant or without a defaultVariant', () => {
    expect(rampedFlag(planner, { flag: 'p', variant: 'maybe', percentage: 25 })).toBeUndefined();
    const { defaultVariant: _, ...noDefault } = planner;
    expect(rampedFlag(noDefault, { flag: 'p', variant: 'on', percentage: 25 })).toBeUndefined();
  });

  it('should keep every key that had the variant when the percentage grows (flagd evaluates the ramp)', () => {
    const at = (percentage: number) =>
      ServedFlags.build(
        servedFlagSets([flagSet('s', { p: planner })], [{ flag: 'p', variant: 'on', percentage }]),
      );
    const ten = at(10);
    const fifty = at(50);
    let on10 = 0;
    let on50 = 0;
    for (let i = 0; i < 2000; i++) {
      const context = { targetingKey: `user-${i}` };
      const a = ten.evaluate('p', context).body['value'];
      const b = fifty.evaluate('p', context).body['value'];
      if (a === true) {
        on10++;
        expect(b).toBe(true);
      }
      if (b === true) on50++;
    }
    expect(on10 / 2000).toBeGreaterThan(0.07);
    expect(on10 / 2000).toBeLessThan(0.13);
    expect(on50 / 2000).toBeGreaterThan(0.46);
    expect(on50 / 2000).toBeLessThan(0.54);
  });
});

describe('servedFlagSets and promotedFlagSets', () => {
  const sets = [
    flagSet('common', { p: planner, other: { ...planner, defaultVariant: 'on' } }),
    flagSet('prod', { p: { ...planner, state: 'DISABLED' } }, 'production'),
  ];
  const ramp = { flag: 'p', variant: 'on', percentage: 40 };

  it('should serve the ramped flag in every resource that defines it, a killed one staying DISABLED, the others as stored', () => {
    const served = servedFlagSets(sets, [ramp]);
    expect(served.map((s) => [s.name, s.environment])).toEqual([
      ['common', undefined],
      ['prod', 'production'],
    ]);
    expect(served[0]!.spec.flags['p']!['targeting']).toEqual({
      fractional: [
        ['on', 40],
        ['off', 60],
      ],
    });
    expect(served[0]!.spec.flags['other']).toBe(sets[0]!.spec.flags['other']);
    expect(served[1]!.spec.flags['p']!['state']).toBe('DISABLED');
    expect(servedFlagSets(sets, [])).toEqual(
      sets.map((s) => ({
        name: s.metadata.name,
        ...(s.metadata.environment ? { environment: s.metadata.environment } : {}),
        spec: s.spec,
      })),
    );
  });

  it('should return only the resources a completed ramp rewrites', () => {
    const promoted = promotedFlagSets(
      [...sets, flagSet('unrelated', { x: planner })],
      [{ flag: 'p', variant: 'on', percentage: 100 }],
    );
    expect(promoted.map((p) => p.metadata.name)).toEqual(['common', 'prod']);
    expect(promoted[0]!.spec.flags['p']).toEqual({
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'on',
      metadata: { team: 'agents' },
    });
    expect(promotedFlagSets(sets, [])).toEqual([]);
  });
});

describe('setFlagIssues', () => {
  const flags = [{ resource: flagSet('common', { p: planner }) }];
  const step = (flag: string, variant: string) => ({ setFlag: { flag, variant, percentage: 20 } });

  it('should refuse an unknown flag and an unknown variant at the step of a Rollout of the file', () => {
    const issues = setFlagIssues(
      [{ name: 'web', steps: [{ setWeight: 10 }, step('nope', 'on'), step('p', 'maybe')], document: 2 }],
      flags,
      flags.map((f) => f.resource),
    );
    expect(issues).toEqual([
      {
        document: 2,
        path: ['spec', 'strategy', 'canary', 'steps', 1, 'setFlag', 'flag'],
        message:
          'flag "nope" is not defined by any FeatureFlags resource; apply it first or in the same file',
      },
      {
        document: 2,
        path: ['spec', 'strategy', 'canary', 'steps', 2, 'setFlag', 'variant'],
        message: '"maybe" is not a variant of flag "p" in FeatureFlags "common" (its variants: on, off)',
      },
    ]);
    expect(setFlagIssues([{ name: 'web', steps: [step('p', 'on')], document: 0 }], flags, [])).toEqual([]);
  });

  it('should refuse a second Rollout ramping the same flag, and a FeatureFlags of the file that breaks a stored ramp', () => {
    const stored = { name: 'api', steps: [step('p', 'on')] };
    expect(
      setFlagIssues([{ name: 'web', steps: [step('p', 'on')], document: 0 }, stored], flags, []),
    ).toEqual([
      {
        document: 0,
        path: ['spec', 'strategy', 'canary', 'steps', 0, 'setFlag', 'flag'],
        message:
          'flag "p" is already ramped by the setFlag steps of Rollout "api"; a flag is ramped by one Rollout',
      },
    ]);
    const without = flagSet('common', { q: planner });
    expect(setFlagIssues([stored], [{ resource: without, document: 1 }], [flags[0]!.resource])).toEqual([
      {
        document: 1,
        path: ['spec', 'flags', 'p'],
        message:
          'Rollout "api" ramps this flag (setFlag at step 0): flag "p" is not defined by any FeatureFlags resource; apply it first or in the same file',
      },
    ]);
    // A problem the file did not cause is not its problem.
    expect(setFlagIssues([stored], [{ resource: without }], [])).toEqual([]);
  });
});
