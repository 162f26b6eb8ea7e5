import { describe, expect, it } from 'vitest';
import { storedArgoRollout, storedFromWorkload } from './argo-rollout-stored.js';
import type { ArgoRollout, PodTemplateSpec } from './argo-rollout-types.js';

const template = (image: string): PodTemplateSpec => ({
  metadata: { labels: { app: 'docs' } },
  spec: { containers: [{ name: 'docs', image, ports: [{ containerPort: 8080 }] }] },
});

/** A workloadRef Rollout as apply stores it: the Deployment's template and selector resolved. */
const resolved: ArgoRollout = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'docs', namespace: 'web' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'docs' } },
    template: template('registry.example.com/docs:7'),
    workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'docs' },
    strategy: { canary: { steps: [{ setWeight: 50 }] } },
  },
} as ArgoRollout;

describe('storedFromWorkload', () => {
  it("should keep the hash of an unchanged Deployment template and take a changed one's template, port and hash", () => {
    const stored = storedArgoRollout(resolved);
    expect(stored.spec.kubernetes?.workloadRef?.name).toBe('docs');
    const same = storedFromWorkload('docs', stored.spec, {
      template: template('registry.example.com/docs:7'),
      selector: { matchLabels: { app: 'docs' } },
    });
    expect(same.hash).toBe(stored.hash);
    expect(same.hash).toBe(stored.spec.kubernetes?.podTemplateHash);

    const next = storedFromWorkload('docs', stored.spec, {
      template: {
        ...template('registry.example.com/docs:8'),
        spec: {
          containers: [
            { name: 'docs', image: 'registry.example.com/docs:8', ports: [{ containerPort: 9090 }] },
          ],
        },
      },
      selector: { matchLabels: { app: 'docs' } },
    });
    expect(next.hash).not.toBe(stored.hash);
    expect(next.spec.kubernetes?.podTemplateHash).toBe(next.hash);
    expect(next.spec.port).toBe(9090);
    expect(next.spec.template.command).toEqual(['registry.example.com/docs:8']);
    expect(next.spec.strategy).toEqual(stored.spec.strategy);
    expect(next.spec.kubernetes?.workloadRef).toEqual(stored.spec.kubernetes?.workloadRef);
  });

  it('should refuse a Rollout stored without a Kubernetes binding', () => {
    const { kubernetes: _none, ...local } = storedArgoRollout(resolved).spec;
    expect(() =>
      storedFromWorkload('docs', local, {
        template: template('x'),
        selector: { matchLabels: { app: 'docs' } },
      }),
    ).toThrow(/Rollout docs has no Kubernetes binding/);
  });
});
