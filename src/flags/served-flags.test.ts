import { describe, expect, it } from 'vitest';
import { FlagSetError } from './errors.js';
import { flagSetsHash, type ServedFlagSet, ServedFlags } from './served-flags.js';

const boolFlag = (extra: object = {}) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  ...extra,
});

const SETS: ServedFlagSet[] = [
  {
    name: 'common',
    spec: {
      flags: {
        rollout: boolFlag({
          targeting: {
            fractional: [
              ['on', 25],
              ['off', 75],
            ],
          },
        }),
        beta: boolFlag({ targeting: { if: [{ $ref: 'testers' }, 'on', 'off'] } }),
        'by-email': boolFlag({ targeting: { fractional: [{ var: 'email' }, ['on', 50], ['off', 50]] } }),
        v2: boolFlag({ targeting: { if: [{ sem_ver: [{ var: 'version' }, '>=', '2.0.0'] }, 'on', 'off'] } }),
        killed: boolFlag({ state: 'DISABLED' }),
        color: { state: 'ENABLED', variants: { red: '#f00', blue: '#00f' }, defaultVariant: 'red' },
      },
      $evaluators: { testers: { in: [{ var: 'targetingKey' }, ['alice', 'bob']] } },
    },
  },
  {
    name: 'production',
    environment: 'production',
    spec: { flags: { color: { state: 'ENABLED', variants: { blue: '#00f' }, defaultVariant: 'blue' } } },
  },
];

describe('ServedFlags', () => {
  const flags = ServedFlags.build(SETS);

  it('should answer OFREP success bodies evaluated by flagd-core', () => {
    expect(flags.evaluate('beta', { targetingKey: 'alice' })).toEqual({
      status: 200,
      body: { key: 'beta', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: {} },
    });
    expect(flags.evaluate('beta', { targetingKey: 'carol' }).body['value']).toBe(false);
    expect(flags.evaluate('color', {}).body).toMatchObject({
      value: '#f00',
      reason: 'STATIC',
      variant: 'red',
    });
    expect(flags.evaluate('v2', { targetingKey: 'x', version: '2.1.0' }).body['value']).toBe(true);
    expect(flags.evaluate('v2', { targetingKey: 'x', version: '1.9.9' }).body['value']).toBe(false);
  });

  it('should split a 25% fractional rollout at 25% +- 2 over 10,000 keys, the same key always the same way', () => {
    let on = 0;
    for (let i = 0; i < 10_000; i++)
      if (flags.evaluate('rollout', { targetingKey: `user-${i}` }).body['value']) on++;
    expect(on / 10_000).toBeGreaterThan(0.23);
    expect(on / 10_000).toBeLessThan(0.27);
    const first = flags.evaluate('rollout', { targetingKey: 'user-7' }).body['value'];
    expect(flags.evaluate('rollout', { targetingKey: 'user-7' }).body['value']).toBe(first);
  });

  it('should answer OFREP failures with their codes and statuses', () => {
    expect(flags.evaluate('nope', {})).toMatchObject({
      status: 404,
      body: { key: 'nope', errorCode: 'FLAG_NOT_FOUND' },
    });
    expect(flags.evaluate('rollout', {})).toMatchObject({
      status: 400,
      body: { key: 'rollout', errorCode: 'TARGETING_KEY_MISSING' },
    });
    // A fractional with its own bucketing value needs no targetingKey.
    expect(flags.evaluate('by-email', { email: 'a@b.c' }).status).toBe(200);
    expect(flags.evaluate('beta', [1, 2])).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_CONTEXT' },
    });
    expect(flags.evaluate('beta', { targetingKey: 5 })).toMatchObject({
      status: 400,
      body: { errorCode: 'INVALID_CONTEXT' },
    });
  });

  it("should answer a disabled flag without a value, so the caller's default applies (OFREP codeDefaultFlag)", () => {
    expect(flags.evaluate('killed', { targetingKey: 'a' })).toEqual({
      status: 200,
      body: { key: 'killed', reason: 'DISABLED', metadata: {} },
    });
  });

  it("should layer an environment's flags over the environment-less ones", () => {
    expect(flags.evaluate('color', {}, 'production').body['value']).toBe('#00f');
    expect(flags.evaluate('color', {}, 'staging').body['value']).toBe('#f00');
    expect(flags.keys('production')).toEqual(flags.keys());
    const bulk = flags.evaluateAll({ targetingKey: 'alice' }, 'production');
    expect(bulk.status).toBe(200);
    const items = bulk.body['flags'] as { key: string; value?: unknown }[];
    expect(items.map((i) => i.key)).toEqual(['beta', 'by-email', 'color', 'killed', 'rollout', 'v2']);
    expect(items.find((i) => i.key === 'color')?.value).toBe('#00f');
    expect(flags.evaluateAll('x')).toMatchObject({ status: 400, body: { errorCode: 'INVALID_CONTEXT' } });
  });

  it('should refuse a key defined twice in one scope, and what flagd refuses', () => {
    const twice: ServedFlagSet[] = [
      { name: 'a', spec: { flags: { x: boolFlag() } } },
      { name: 'b', spec: { flags: { x: boolFlag() } } },
    ];
    expect(() => ServedFlags.build(twice)).toThrow(FlagSetError);
    expect(() =>
      ServedFlags.build([{ name: 'a', spec: { flags: { x: boolFlag({ state: 'ON' }) } } }]),
    ).toThrow(/feature flags a: flagd refuses it/);
  });

  it('should identify a flag set by its content', () => {
    expect(flags.hash).toBe(flagSetsHash(SETS));
    expect(ServedFlags.empty().hash).not.toBe(flags.hash);
  });
});
