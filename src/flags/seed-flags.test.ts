import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSpec } from '../spec/index.js';
import { SeedFlagsError } from './errors.js';
import { convertSeedFlags } from './seed-flags.js';
import { ServedFlags } from './served-flags.js';

const SEED = {
  flags: {
    new_planner: {
      enabled: true,
      rollout_percentage: 25,
      target_users: ['alice', 'bob'],
      environments: ['staging', 'production'],
      description: 'the new planner',
    },
    tool_use: { enabled: true, rollout_percentage: 100 },
    legacy_mode: { enabled: false, rollout_percentage: 100 },
    beta_ui: { enabled: true, rollout_percentage: 0, target_users: ['carol'] },
    half: { rollout_percentage: 12.5 },
  },
  killswitches: { tool_use: false, legacy_mode: true },
};

const convert = (input: unknown, name = 'agent-flags') =>
  convertSeedFlags(input, { name, file: 'flags.json' });

/** Evaluates `key` for `targetingKey` as the data plane would serve the converted resources. */
function evaluator(input: unknown) {
  const { resources } = convert(input);
  const served = ServedFlags.build(
    resources.map((r) => ({
      name: r.metadata.name,
      ...(r.metadata.environment !== undefined ? { environment: r.metadata.environment } : {}),
      spec: r.spec,
    })),
  );
  return (key: string, targetingKey: string, environment?: string) =>
    served.evaluate(key, { targetingKey }, environment).body;
}

describe('convertSeedFlags', () => {
  it('should make an environment-less resource and one per environment, valid for apply', () => {
    const { resources, warnings } = convert(SEED);
    expect(warnings).toEqual([]);
    expect(resources.map((r) => [r.metadata.name, r.metadata.environment])).toEqual([
      ['agent-flags', undefined],
      ['agent-flags-production', 'production'],
      ['agent-flags-staging', 'staging'],
    ]);
    expect(resources[1]!.spec.flags).toEqual({
      new_planner: {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: {
          if: [
            { in: [{ var: 'targetingKey' }, ['alice', 'bob']] },
            'on',
            {
              fractional: [
                ['on', 25],
                ['off', 75],
              ],
            },
          ],
        },
        metadata: { description: 'the new planner' },
      },
    });
    // Restricted to environments: off where no environment (or another one) is named.
    expect(resources[0]!.spec.flags['new_planner']).toEqual({
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      metadata: { description: 'the new planner' },
    });
    // The apply's own checks (flagd's schema and parser) take every document.
    const yaml = resources.map((r) => stringify(r)).join('---\n');
    expect(parseSpec(yaml, 'flags.yaml')).toHaveLength(3);
  });

  it('should evaluate as the seed meant: target users, the percentage, environments, kill switches', () => {
    const evaluate = evaluator(SEED);
    expect(evaluate('new_planner', 'alice', 'production')).toMatchObject({ value: true, variant: 'on' });
    expect(evaluate('new_planner', 'alice')).toMatchObject({ value: false });
    expect(evaluate('new_planner', 'alice', 'dev')).toMatchObject({ value: false });
    let on = 0;
    for (let i = 0; i < 4000; i++)
      if (evaluate('new_planner', `user-${i}`, 'staging')['value'] === true) on++;
    expect(on / 4000).toBeGreaterThan(0.22);
    expect(on / 4000).toBeLessThan(0.28);
    expect(evaluate('tool_use', 'x')).toMatchObject({ value: true, reason: 'STATIC' });
    expect(evaluate('legacy_mode', 'x')).toEqual({ key: 'legacy_mode', reason: 'DISABLED', metadata: {} });
    expect(evaluate('beta_ui', 'carol')).toMatchObject({ value: true });
    expect(evaluate('beta_ui', 'dave')).toMatchObject({ value: false });
  });

  it('should keep a percentage with decimals exact with integer weights', () => {
    const { resources } = convert(SEED);
    expect(resources[0]!.spec.flags['half']!['targeting']).toEqual({
      fractional: [
        ['on', 125],
        ['off', 875],
      ],
    });
  });

  it('should take a list of flags with name, a list of kill switches, and warn about unknown fields', () => {
    const { resources, warnings } = convert({
      flags: [
        { name: 'a', enabled: true, owner: 'team-x' },
        { key: 'b', rollout_percentage: 50 },
      ],
      killswitches: ['b'],
      version: 3,
    });
    expect(Object.keys(resources[0]!.spec.flags)).toEqual(['a', 'b']);
    expect(resources[0]!.spec.flags['a']!['defaultVariant']).toBe('on');
    expect(resources[0]!.spec.flags['b']!['state']).toBe('DISABLED');
    expect(warnings).toEqual([
      'flags.json: version: unknown field, ignored',
      'flags.json: flags[0].owner: unknown field, ignored',
    ]);
  });

  it('should refuse wrong types and values with the file and every field path, converting nothing', () => {
    let error: unknown;
    try {
      convert({
        flags: {
          a: { enabled: 'yes', rollout_percentage: 120, target_users: 'alice', environments: ['Prod'] },
          b: [],
        },
        killswitches: { a: 'on', ghost: true },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SeedFlagsError);
    expect((error as SeedFlagsError).code).toBe('CUTOVER_E_FLAGS_IMPORT');
    expect((error as SeedFlagsError).message.split('\n')).toEqual([
      'flags.json: cannot import feature flags:',
      '  flags.json: flags.a.enabled: expected true or false, got string "yes"',
      '  flags.json: flags.a.rollout_percentage: expected a number 0..100, got number 120',
      '  flags.json: flags.a.target_users: expected a list of user ids (strings), got string "alice"',
      '  flags.json: flags.a.environments[0]: expected an environment name (a DNS-1123 label: lower-case letters, digits, -), got "Prod"',
      '  flags.json: flags.b: expected a flag (a mapping of enabled, rollout_percentage, target_users, environments, description), got a list',
      '  flags.json: killswitches.a: expected true or false, got string "on"',
      '  flags.json: killswitches.ghost: kill switch "ghost" names no flag of "flags"',
    ]);
    expect(() => convert([1, 2])).toThrow(
      'flags.json: expected a mapping {"flags": ..., "killswitches": ...}, got a list',
    );
    expect(() => convert({})).toThrow('flags.json: flags: required');
    expect(() => convert(SEED, 'Bad Name')).toThrow('is not a DNS-1123 label (use --name)');
  });
});
