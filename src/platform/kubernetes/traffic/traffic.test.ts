import { describe, expect, it } from 'vitest';
import { type HttpRoute, httpRouteWeight, setHttpRouteWeights } from './gateway-api.js';
import {
  type DestinationRule,
  setDestinationRuleSubsets,
  setVirtualServiceWeights,
  type VirtualService,
} from './istio.js';
import { canaryIngress, type Ingress } from './nginx.js';
import type { TrafficTarget } from './traffic-provider.js';

const target: TrafficTarget = {
  rollout: 'npa',
  namespace: 'agents',
  stableService: 'npa-stable',
  canaryService: 'npa-canary',
  stableHash: '5d8f7c6b9',
  canaryHash: '7f9c8d6f4',
};

describe('Gateway API HTTPRoute weights (as argoproj-labs/gatewayAPI)', () => {
  const route = (): HttpRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'npa', namespace: 'agents' },
    spec: {
      rules: [
        {
          backendRefs: [
            { name: 'npa-stable', port: 80, weight: 100 },
            { name: 'npa-canary', port: 80, weight: 0 },
          ],
        },
        { backendRefs: [{ name: 'other', port: 80 }] },
      ],
    },
  });

  it('should give the canary the weight and stable the rest in rules naming both, and leave other rules', () => {
    const r = route();
    expect(setHttpRouteWeights(r, target, 25)).toBe(true);
    expect(r.spec?.rules?.[0]?.backendRefs).toEqual([
      { name: 'npa-stable', port: 80, weight: 75 },
      { name: 'npa-canary', port: 80, weight: 25 },
    ]);
    expect(r.spec?.rules?.[1]?.backendRefs).toEqual([{ name: 'other', port: 80 }]);
    expect(httpRouteWeight(r, target)).toBe(25);
    expect(setHttpRouteWeights(r, target, 25)).toBe(false);
  });

  it('should refuse a weight that is not an integer percent', () => {
    expect(() => setHttpRouteWeights(route(), target, 101)).toThrow(/0\.\.100/);
    expect(() => setHttpRouteWeights(route(), target, 2.5)).toThrow(/integer/);
  });
});

describe('Istio VirtualService and DestinationRule (as Argo Rollouts)', () => {
  const vs = (): VirtualService => ({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'VirtualService',
    metadata: { name: 'npa', namespace: 'agents' },
    spec: {
      hosts: ['npa'],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'npa', subset: 'stable' }, weight: 100 },
            { destination: { host: 'npa', subset: 'canary' }, weight: 0 },
          ],
        },
        { name: 'admin', route: [{ destination: { host: 'npa-admin' } }] },
      ],
    },
  });
  const rule = { name: 'npa', canarySubsetName: 'canary', stableSubsetName: 'stable' };

  it('should set the subsets of the named route only (subset-level splitting)', () => {
    const v = vs();
    expect(setVirtualServiceWeights(v, ['primary'], target, rule, 40)).toBe(true);
    expect(v.spec?.http?.[0]?.route?.map((d) => d.weight)).toEqual([60, 40]);
    expect(v.spec?.http?.[1]?.route?.[0]?.weight).toBeUndefined();
  });

  it('should split by host without a DestinationRule, FQDNs included', () => {
    const v: VirtualService = {
      spec: {
        http: [
          {
            route: [
              { destination: { host: 'npa-stable.agents.svc.cluster.local' }, weight: 100 },
              { destination: { host: 'npa-canary' }, weight: 0 },
            ],
          },
        ],
      },
    };
    expect(setVirtualServiceWeights(v, undefined, target, undefined, 10)).toBe(true);
    expect(v.spec?.http?.[0]?.route?.map((d) => d.weight)).toEqual([90, 10]);
  });

  it('should name what is missing: an unknown route, a route without the canary destination', () => {
    expect(() => setVirtualServiceWeights(vs(), ['nope'], target, rule, 10)).toThrow(
      /no HTTP route named nope/,
    );
    expect(() => setVirtualServiceWeights(vs(), ['admin'], target, rule, 10)).toThrow(
      /route admin needs a stable and a canary destination \(subsets stable and canary\)/,
    );
  });

  it("should point the DestinationRule's subsets at the revisions' pod-template hashes", () => {
    const dr: DestinationRule = {
      spec: {
        host: 'npa',
        subsets: [
          { name: 'stable', labels: { app: 'npa' } },
          { name: 'canary', labels: { app: 'npa' } },
        ],
      },
    };
    expect(setDestinationRuleSubsets(dr, rule, target)).toBe(true);
    expect(dr.spec?.subsets).toEqual([
      { name: 'stable', labels: { app: 'npa', 'rollouts-pod-template-hash': '5d8f7c6b9' } },
      { name: 'canary', labels: { app: 'npa', 'rollouts-pod-template-hash': '7f9c8d6f4' } },
    ]);
    expect(setDestinationRuleSubsets(dr, rule, target)).toBe(false);
    expect(() => setDestinationRuleSubsets({ spec: { subsets: [] } }, rule, target)).toThrow(
      /no subset named stable/,
    );
  });
});

describe('NGINX canary Ingress (as Argo Rollouts)', () => {
  const stable: Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'npa',
      namespace: 'agents',
      annotations: {
        'kubernetes.io/ingress.class': 'nginx',
        'nginx.ingress.kubernetes.io/canary-weight': '99',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        {
          host: 'npa.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'npa-stable', port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };

  it('should copy the stable Ingress towards the canary Service with the weight annotation', () => {
    const canary = canaryIngress(
      stable,
      target,
      { stableIngress: 'npa', additionalIngressAnnotations: { 'canary-by-header': 'X-Canary' } },
      30,
    );
    expect(canary.metadata?.name).toBe('npa-npa-canary');
    expect(canary.metadata?.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '30',
      'argo-rollouts.argoproj.io/managed-by-rollouts': 'npa',
    });
    expect(canary.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe('npa-canary');
    // The stable Ingress is not changed.
    expect(stable.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe('npa-stable');
  });

  it('should refuse a stable Ingress without a backend of the stable Service', () => {
    expect(() =>
      canaryIngress({ ...stable, spec: { rules: [] } }, target, { stableIngress: 'npa' }, 30),
    ).toThrow(/no backend of the stable Service npa-stable/);
  });
});
