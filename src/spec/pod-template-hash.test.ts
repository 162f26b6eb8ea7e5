import { describe, expect, it } from 'vitest';
import type { PodTemplateSpec } from './argo-rollout-types.js';
import { podTemplateHash, podTemplateJson } from './pod-template-hash.js';
import { canonicalQuantity } from './quantity.js';

/**
 * The template of Argo Rollouts' e2e fixture `test/e2e/functional/canary-scaledownonabort.yaml`
 * (argoproj/argo-rollouts, Apache-2.0), written here field by field; Argo's own e2e test
 * `TestCanaryScaleDownOnAbort` (`test/e2e/canary_test.go`, updated for Kubernetes 1.34 libraries)
 * expects its stable ReplicaSet's `rollouts-pod-template-hash` to be `674d8cf959`.
 */
const ARGO_E2E_TEMPLATE: PodTemplateSpec = {
  metadata: { labels: { app: 'canary-scaledowndelay' } },
  spec: {
    containers: [
      {
        name: 'canary-scaledowndelay',
        image: 'nginx:1.19-alpine',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        resources: { requests: { memory: '16Mi', cpu: '5m' } },
      },
    ],
  },
};

describe('podTemplateHash', () => {
  it("should give the hash Argo Rollouts' e2e test expects for its fixture's template", () => {
    expect(podTemplateHash(ARGO_E2E_TEMPLATE)).toBe('674d8cf959');
  });

  it('should hash the JSON Go writes: struct order, omitempty, sorted map keys, resources always', () => {
    const template: PodTemplateSpec = {
      metadata: { annotations: { b: '2', a: '1' }, labels: { app: 'web' } },
      spec: {
        containers: [{ image: 'web:1', name: 'web', env: [{ value: 'a<b', name: 'X' }], stdin: false }],
        restartPolicy: 'Always',
      },
    };
    expect(podTemplateJson(template)).toBe(
      '{"metadata":{"labels":{"app":"web"},"annotations":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"web","image":"web:1","env":[{"name":"X","value":"a\\u003cb"}],"resources":{}}],"restartPolicy":"Always"}}',
    );
  });

  it('should change with the collision count, as a ReplicaSet name taken by another template needs', () => {
    const plain = podTemplateHash(ARGO_E2E_TEMPLATE);
    expect(podTemplateHash(ARGO_E2E_TEMPLATE, 1)).not.toBe(plain);
    expect(podTemplateHash(ARGO_E2E_TEMPLATE, 1)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{8,10}$/);
  });

  it('should give one hash for quantities Kubernetes reads as the same value', () => {
    const withCpu = (cpu: string | number): PodTemplateSpec => ({
      ...ARGO_E2E_TEMPLATE,
      spec: { containers: [{ name: 'a', image: 'a', resources: { limits: { cpu } } }] },
    });
    expect(podTemplateHash(withCpu('0.5'))).toBe(podTemplateHash(withCpu('500m')));
    expect(podTemplateHash(withCpu(0.5))).toBe(podTemplateHash(withCpu('500m')));
    expect(podTemplateHash(withCpu('1'))).not.toBe(podTemplateHash(withCpu('500m')));
  });
});

describe('canonicalQuantity', () => {
  it.each([
    ['500m', '500m'],
    ['0.5', '500m'],
    [0.25, '250m'],
    ['1000m', '1'],
    ['1024Mi', '1Gi'],
    ['2048Ki', '2Mi'],
    ['1536Mi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['512', '512'],
    ['1k', '1k'],
    ['1500', '1500'],
    ['1e3', '1e3'],
    ['128974848', '128974848'],
    ['0', '0'],
  ])('should write %s as %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it.each(['', 'abc', '1.2.3', '5 m', '1Kb'])('should refuse %j', (input) => {
    expect(canonicalQuantity(input)).toBeUndefined();
  });
});
