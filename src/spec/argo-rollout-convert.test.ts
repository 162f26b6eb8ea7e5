import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argoRollout } from './argo-rollout.test-helper.js';
import { convertArgoRollout } from './argo-rollout-convert.js';
import type { ArgoRollout } from './argo-rollout-types.js';
import { parseKubernetesSpecs } from './load.js';
import { podTemplateHash } from './pod-template-hash.js';

const NPA = readFileSync(new URL('../../test/fixtures/argo/npa-rollout.yaml', import.meta.url), 'utf8');

const rollout = argoRollout;

describe('convertArgoRollout', () => {
  it("should carry the NPA Rollout's steps, background analysis and Istio subsets over unchanged", () => {
    const npa = parseKubernetesSpecs([{ text: NPA, file: 'npa-rollout.yaml' }])[0]?.[0] as ArgoRollout;
    const { spec, kubernetes } = convertArgoRollout(npa);
    expect(spec.strategy.canary?.steps).toEqual(npa.spec.strategy.canary?.steps);
    expect(spec.strategy.canary?.analysis).toEqual(npa.spec.strategy.canary?.analysis);
    expect(spec).toMatchObject({ replicas: 4, progressDeadlineSeconds: 900, progressDeadlineAbort: true });
    expect(spec.strategy.canary).toMatchObject({
      maxSurge: '25%',
      maxUnavailable: 0,
      scaleDownDelaySeconds: 30,
    });
    expect(kubernetes).toMatchObject({
      name: 'npa',
      namespace: 'agent-mesh',
      replicas: 4,
      revisionHistoryLimit: 5,
      minReadySeconds: 0,
      services: { strategy: 'canary', canaryService: 'npa-canary', stableService: 'npa-stable' },
      trafficRouting: {
        provider: 'istio',
        virtualServices: [{ name: 'npa', routes: ['primary'] }],
        destinationRule: { name: 'npa', canarySubsetName: 'canary', stableSubsetName: 'stable' },
      },
    });
    expect(kubernetes.podTemplateHash).toBe(podTemplateHash(npa.spec.template as never));
  });

  it("should apply Argo's canary defaults where cutover's differ (maxUnavailable 25%)", () => {
    const { spec, kubernetes } = convertArgoRollout(rollout({ canary: { steps: [{ setWeight: 50 }] } }));
    expect(spec.strategy).toEqual({
      canary: { steps: [{ setWeight: 50 }], maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(kubernetes).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      trafficRouting: { provider: 'replicaRatio' },
      managedRoutes: [],
    });
  });

  it('should name NGINX canary annotations with the default prefix', () => {
    const { kubernetes } = convertArgoRollout(
      rollout({
        canary: {
          canaryService: 'c',
          stableService: 's',
          trafficRouting: { nginx: { stableIngress: 'web' } },
        },
      }),
    );
    expect(kubernetes.trafficRouting).toEqual({
      provider: 'nginx',
      stableIngress: 'web',
      annotationPrefix: 'nginx.ingress.kubernetes.io',
      additionalIngressAnnotations: {},
    });
  });

  it('should give Gateway API HTTPRoutes and the managed routes as lists', () => {
    const { kubernetes } = convertArgoRollout(
      rollout({
        canary: {
          canaryService: 'c',
          stableService: 's',
          trafficRouting: {
            plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web', namespace: 'edge' } },
            managedRoutes: [{ name: 'beta' }, { name: 'shadow' }],
          },
        },
      }),
    );
    expect(kubernetes.trafficRouting).toEqual({
      provider: 'gatewayAPI',
      httpRoutes: [{ name: 'web' }],
      namespace: 'edge',
    });
    expect(kubernetes.managedRoutes).toEqual(['beta', 'shadow']);
  });

  it('should take the blue-green Services out of the strategy, leaving cutover’s blue-green fields', () => {
    const { spec, kubernetes } = convertArgoRollout(
      rollout({
        blueGreen: { activeService: 'web', previewService: 'web-preview', autoPromotionEnabled: false },
      }),
    );
    expect(spec.strategy).toEqual({ blueGreen: { autoPromotionEnabled: false } });
    expect(kubernetes.services).toEqual({
      strategy: 'blueGreen',
      activeService: 'web',
      previewService: 'web-preview',
    });
  });

  it('should hash the template at the Rollout’s collision count', () => {
    const argo = rollout({ canary: {} });
    expect(convertArgoRollout(argo, { collisionCount: 2 }).kubernetes.podTemplateHash).toBe(
      podTemplateHash(argo.spec.template as never, 2),
    );
    expect(convertArgoRollout(argo, { collisionCount: 2 }).kubernetes.podTemplateHash).not.toBe(
      convertArgoRollout(argo).kubernetes.podTemplateHash,
    );
  });
});
