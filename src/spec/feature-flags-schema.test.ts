import { describe, expect, it } from 'vitest';
import { SpecValidationError } from './errors.js';
import { parseSpec } from './load.js';

const doc = (spec: object, metadata: object = { name: 'planner' }) =>
  JSON.stringify({ apiVersion: 'cutover.dev/v1alpha1', kind: 'FeatureFlags', metadata, spec });

const boolFlag = (extra: object = {}) => ({
  state: 'ENABLED',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  ...extra,
});

/** The issues of a refused input as `path: message`. */
function issuesOf(text: string): string[] {
  try {
    parseSpec(text, 'flags.yaml');
  } catch (error) {
    if (error instanceof SpecValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('FeatureFlags', () => {
  it('should accept flagd definitions with fractional, sem_ver, $evaluators and an environment', () => {
    const [resource] = parseSpec(
      doc(
        {
          flags: {
            'new-planner': boolFlag({
              targeting: {
                fractional: [
                  ['on', 25],
                  ['off', 75],
                ],
              },
            }),
            'beta-users': boolFlag({ targeting: { if: [{ $ref: 'beta' }, 'on', 'off'] } }),
            'min-version': boolFlag({
              targeting: { if: [{ sem_ver: [{ var: 'version' }, '>=', '2.0.0'] }, 'on'] },
            }),
            color: { state: 'DISABLED', variants: { red: 'red', blue: 'blue' }, defaultVariant: 'red' },
          },
          $evaluators: { beta: { in: [{ var: 'targetingKey' }, ['alice', 'bob']] } },
          metadata: { team: 'agents' },
        },
        { name: 'planner', environment: 'production' },
      ),
      'flags.yaml',
    );
    expect(resource?.kind).toBe('FeatureFlags');
    expect(resource?.metadata).toEqual({ name: 'planner', environment: 'production' });
  });

  it('should refuse what flagd refuses, with the field path', () => {
    expect(issuesOf(doc({ flags: { a: boolFlag({ state: 'ON' }) } }))).toEqual([
      'spec.flags.a.state: expected one of "ENABLED", "DISABLED" (flagd\'s schema)',
    ]);
    expect(issuesOf(doc({ flags: { a: boolFlag({ variants: { on: true, off: 'no' } }) } }))).toEqual([
      expect.stringMatching(/^spec\.flags\.a\.variants: expected variants all of one type/),
    ]);
    expect(issuesOf(doc({ flags: { a: boolFlag({ defaultVariant: 'maybe' }) } }))).toEqual([
      'spec.flags.a.defaultVariant: defaultVariant "maybe" is not one of the flag\'s variants',
    ]);
    expect(issuesOf(doc({ flags: { a: boolFlag({ targeting: { sometimes: [1] } }) } }))).toEqual([
      expect.stringMatching(/^spec\.flags\.a\.targeting: unknown targeting operator "sometimes"/),
    ]);
    expect(issuesOf(doc({ flags: { a: { variants: { on: true }, defaultVariant: 'on' } } }))).toEqual([
      'spec.flags.a: required field "state" is missing (flagd\'s schema)',
    ]);
  });

  it("should report every bad flag of a set, and the kind's own fields", () => {
    const issues = issuesOf(
      doc(
        { flags: { a: boolFlag({ state: 'ON' }), b: 5, c: boolFlag() }, extra: true },
        { name: 'Bad Name' },
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^metadata\.name: /),
        expect.stringMatching(/^spec\.extra: unknown field "extra"/),
        expect.stringMatching(/^spec\.flags\.a\.state: /),
        expect.stringMatching(/^spec\.flags\.b: expected a flagd flag definition/),
      ]),
    );
    expect(issues.some((i) => i.startsWith('spec.flags.c'))).toBe(false);
  });
});
