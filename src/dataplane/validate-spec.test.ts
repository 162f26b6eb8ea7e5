import { describe, expect, it } from 'vitest';
import { InvalidDataPlaneSpecError } from './errors.js';
import { validateRolloutSpec } from './validate-spec.js';

const valid = {
  rollout: 'web',
  replicaSets: [
    { revision: 1, hash: 'abc', replicas: 2, template: { command: ['node', 'server.mjs'], cwd: '/srv' } },
  ],
  listeners: [{ port: 8080, backends: [{ revision: 1, weight: 100 }] }],
};

function pathOf(body: unknown, name = 'web'): string {
  try {
    validateRolloutSpec(body, name);
  } catch (err) {
    if (err instanceof InvalidDataPlaneSpecError) return err.path;
    throw err;
  }
  return '(valid)';
}

describe('validateRolloutSpec', () => {
  it('should accept a whole valid desired state', () => {
    expect(validateRolloutSpec(valid, 'web')).toEqual(valid);
  });

  it('should name the field path of what is wrong', () => {
    expect(pathOf({ ...valid, listeners: [{ port: 8080, backends: [{ revision: 1, weight: 60 }] }] })).toBe(
      'listeners[0].backends',
    );
    expect(pathOf({ ...valid, listeners: [{ port: 70000, backends: [] }] })).toBe('listeners[0].port');
    expect(pathOf({ ...valid, replicaSets: [{ ...valid.replicaSets[0], template: { command: [] } }] })).toBe(
      'replicaSets[0].template.command',
    );
    expect(
      pathOf({
        ...valid,
        replicaSets: [{ ...valid.replicaSets[0], template: { command: ['x'], cwd: 'rel' } }],
      }),
    ).toBe('replicaSets[0].template.cwd');
    expect(
      pathOf({
        ...valid,
        replicaSets: [
          {
            ...valid.replicaSets[0],
            template: { command: ['x'], readinessProbe: { httpGet: {}, exec: { command: ['true'] } } },
          },
        ],
      }),
    ).toBe('replicaSets[0].template.readinessProbe');
    expect(pathOf(valid, 'other')).toBe('rollout');
    expect(pathOf(valid, 'Bad_Name')).toBe('rollout');
  });
});
