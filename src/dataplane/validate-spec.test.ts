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

  it('should validate header routes and name the path of a bad one', () => {
    const listener = (headerRoutes: unknown): unknown => ({
      ...valid,
      listeners: [{ port: 8080, backends: [{ revision: 1, weight: 100 }], headerRoutes }],
    });
    const match = [{ headerName: 'x-canary', headerValue: { exact: 'yes' } }];
    expect(pathOf(listener([{ name: 'a', match, revision: 2 }]))).toBe('(valid)');
    expect(pathOf(listener([{ name: 'a', match: [], revision: 2 }]))).toBe(
      'listeners[0].headerRoutes[0].match',
    );
    expect(
      pathOf(
        listener([
          { name: 'a', match, revision: 2 },
          { name: 'a', match, revision: 2 },
        ]),
      ),
    ).toBe('listeners[0].headerRoutes[1].name');
    expect(
      pathOf(
        listener([{ name: 'a', match: [{ headerName: 'x', headerValue: { regex: '(' } }], revision: 2 }]),
      ),
    ).toBe('listeners[0].headerRoutes[0].match[0].headerValue.regex');
    expect(
      pathOf(
        listener([
          { name: 'a', match: [{ headerName: 'x', headerValue: { exact: 'a', prefix: 'b' } }], revision: 2 },
        ]),
      ),
    ).toBe('listeners[0].headerRoutes[0].match[0].headerValue');
    expect(
      pathOf(
        listener([{ name: 'a', match: [{ headerName: 'x y', headerValue: { exact: 'a' } }], revision: 2 }]),
      ),
    ).toBe('listeners[0].headerRoutes[0].match[0].headerName');
  });

  it('should validate mirror routes, connection pools and retries, and name the path of a bad one', () => {
    const listener = (mirrorRoutes: unknown): unknown => ({
      ...valid,
      listeners: [{ port: 8080, backends: [{ revision: 1, weight: 100 }], mirrorRoutes }],
    });
    const route = { name: 'm', revision: 2, percentage: 100, match: [{ path: { prefix: '/' } }] };
    expect(pathOf(listener([{ ...route, compare: { jsonPath: '{$.a}' } }]))).toBe('(valid)');
    expect(pathOf(listener([{ ...route, percentage: 101 }]))).toBe('listeners[0].mirrorRoutes[0].percentage');
    expect(pathOf(listener([{ ...route, match: [{}] }]))).toBe('listeners[0].mirrorRoutes[0].match[0]');
    expect(pathOf(listener([{ ...route, match: [{ headers: { 'x y': { exact: 'a' } } }] }]))).toBe(
      'listeners[0].mirrorRoutes[0].match[0].headers',
    );
    expect(pathOf(listener([{ ...route, match: [{ method: { regex: '(' } }] }]))).toBe(
      'listeners[0].mirrorRoutes[0].match[0].method.regex',
    );
    expect(pathOf(listener([{ ...route, compare: { jsonPath: 'a' } }]))).toBe(
      'listeners[0].mirrorRoutes[0].compare.jsonPath',
    );
    expect(pathOf({ ...valid, connectionPool: { maxConnections: 0 } })).toBe('connectionPool.maxConnections');
    expect(pathOf({ ...valid, retries: { attempts: 2, retryOn: 'sometimes' } })).toBe('retries.retryOn');
    expect(
      pathOf({ ...valid, retries: { attempts: 2, retryOn: '5xx,503' }, connectionPool: { maxRetries: 3 } }),
    ).toBe('(valid)');
  });

  it('should accept extra replica sets of a revision by set name and reject a duplicate or a bare number', () => {
    const template = { command: ['node', 'server.mjs'] };
    const body = (sets: unknown[], backends: unknown[]): unknown => ({
      rollout: 'web',
      replicaSets: sets,
      listeners: [{ port: 8080, backends }],
    });
    const own = { revision: 1, hash: 'a', replicas: 1, template };
    const baseline = { ...own, set: 'web-r2-s0-baseline' };
    const backends = [
      { revision: 1, weight: 75 },
      { revision: 1, set: 'web-r2-s0-baseline', weight: 25 },
    ];
    expect(pathOf(body([own, baseline], backends))).toBe('(valid)');
    expect(pathOf(body([own, baseline, baseline], backends))).toBe('replicaSets[2].set');
    expect(pathOf(body([own, { ...own, set: '12' }], backends))).toBe('replicaSets[1].set');
    expect(pathOf(body([own], [...backends, backends[1]]))).toBe('listeners[0].backends[2].set');
  });
});
