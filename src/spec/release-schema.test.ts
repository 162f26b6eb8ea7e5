import { describe, expect, it } from 'vitest';
import { validateResource } from './index.js';

const release = (spec: Record<string, unknown>) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Release',
  metadata: { name: 'shop-1' },
  spec: {
    version: '1',
    environments: ['staging', 'production'],
    rollouts: [
      {
        name: 'shop',
        spec: { port: 8080, template: { command: ['node', 'server.js'] }, strategy: { recreate: {} } },
        environments: { staging: { port: 8081 } },
      },
    ],
    ...spec,
  },
});

const issues = (value: unknown) => {
  const result = validateResource(value);
  return result.ok ? [] : result.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('Release schema', () => {
  it('should accept a layered release with its own port per environment', () => {
    expect(issues(release({}))).toEqual([]);
  });

  it('should report two environments sharing a port, an override of an unlisted environment and a smoke test of an unknown Rollout', () => {
    const doc = release({
      rollouts: [
        {
          name: 'shop',
          spec: { port: 8080, template: { command: ['node'] }, strategy: { recreate: {} } },
          environments: { dev: { replicas: 1 } },
        },
      ],
      smokeTests: [{ name: 'hz', rollout: 'cart', http: { path: '/healthz' } }],
    });
    const found = issues(doc);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^spec\.rollouts\.0\.spec\.port: port 8080 of shop in production is also the port of shop in staging/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(
        /^spec\.rollouts\.0\.environments\.dev: expected one of the release's environments/,
      ),
    );
    expect(found).toContainEqual(
      expect.stringMatching(/^spec\.smokeTests\.0\.rollout: expected a Rollout of the release/),
    );
  });

  it('should accept a plan with a readiness gate, and name a bad gate and a bad parallelism by path', () => {
    const rollout = (name: string, extra: object) => ({
      name,
      spec: {
        port: name === 'mca' ? 8080 : 8090,
        template: { command: ['node'] },
        strategy: { recreate: {} },
      },
      environments: { staging: { port: name === 'mca' ? 8081 : 8091 } },
      ...extra,
    });
    const gate = {
      httpGet: { url: 'http://127.0.0.1:{{port}}/health/coordination-ready' },
      jsonPath: '{$.ready}',
      successCondition: 'result == true',
      timeoutSeconds: 180,
    };
    expect(
      issues(
        release({
          rollouts: [
            rollout('mca', { priority: 1, readinessGate: gate }),
            rollout('npa', { dependsOn: ['mca'] }),
          ],
          plan: {
            maxParallelism: 1,
            minHealthy: 1,
            quorum: 2,
            afterEach: [{ name: 'register-agent', http: { path: '/register' } }],
            connectivityTest: { name: 'test-mesh', rollout: 'mca', job: { command: ['node', 'mesh.mjs'] } },
          },
        }),
      ),
    ).toEqual([]);
    expect(
      issues(
        release({
          rollouts: [
            rollout('mca', {
              readinessGate: {
                httpGet: { url: 'http://example.com/' },
                jsonPath: 'ready',
                successCondition: 'result ==',
              },
            }),
          ],
          plan: { maxParallelism: 0 },
        }),
      ).map((i) => i.split(':')[0]),
    ).toEqual([
      'spec.rollouts.0.readinessGate.httpGet.url',
      'spec.rollouts.0.readinessGate.jsonPath',
      'spec.rollouts.0.readinessGate.successCondition',
      'spec.plan.maxParallelism',
    ]);
  });

  it('should name a bad failureMode, a minHealthy or quorum above the Rollouts, and a plan test naming a Rollout', () => {
    const found = issues(
      release({
        rollouts: [
          {
            name: 'shop',
            spec: { port: 8080, template: { command: ['node'] }, strategy: { recreate: {} } },
            environments: { staging: { port: 8081 } },
            failureMode: 'ignore',
          },
        ],
        plan: {
          minHealthy: 2,
          quorum: 3,
          afterEach: [{ name: 'a', rollout: 'shop', http: { path: '/' } }],
          connectivityTest: { name: 'mesh', rollout: 'cart', http: { path: '/mesh' } },
        },
      }),
    );
    expect(found).toEqual([
      'spec.rollouts.0.failureMode: expected immediateEscalation or gracefulDegradation, got "ignore"',
      'spec.plan.afterEach.0.rollout: unknown field "rollout"; expected one of name, http, job',
      expect.stringMatching(
        /^spec\.plan\.connectivityTest\.rollout: expected a Rollout of the release \(shop\)/,
      ),
      "spec.plan.minHealthy: minHealthy 2 is more than the release's 1 Rollout(s)",
      "spec.plan.quorum: quorum 3 is more than the release's 1 Rollout(s)",
    ]);
  });

  it('should refuse a rollback error rate below the investigate one, and a bad window policy by its path', () => {
    expect(issues(release({ monitor: { investigateErrorRate: 0.1, rollbackErrorRate: 0.05 } }))).toEqual([
      'spec.monitor.rollbackErrorRate: expected a ratio >= investigateErrorRate (0.1), got 0.05',
    ]);
    const env = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'Environment',
      metadata: { name: 'production' },
      spec: { order: 1, windows: { timeZone: 'Mars/Olympus' } },
    };
    expect(issues(env)).toEqual([
      expect.stringMatching(/^spec\.windows\.timeZone: expected an IANA time zone/),
    ]);
  });
});
