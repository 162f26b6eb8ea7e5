import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SpecValidationError } from './errors.js';
import { parseKubernetesSpecs, parseSpec } from './load.js';
import { validateArgoRollout } from './validate-resource.js';

type Json = Record<string, unknown>;

const NPA = readFileSync(new URL('../../test/fixtures/argo/npa-rollout.yaml', import.meta.url), 'utf8');

function rollout(strategy: Json = { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } }): Json {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }] },
      },
      strategy,
    },
  };
}

/** The issues of a document, as `file:line:column path: message` lines. */
function issuesOf(doc: unknown): string[] {
  try {
    parseKubernetesSpecs([{ text: stringify(doc), file: 'r.yaml' }]);
  } catch (error) {
    if (error instanceof SpecValidationError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('validateArgoRollout', () => {
  it("should accept the seed's NPA Rollout and its four AnalysisTemplates unchanged", () => {
    const [docs] = parseKubernetesSpecs([{ text: NPA, file: 'npa-rollout.yaml' }]);
    expect(docs?.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Rollout/npa',
      'AnalysisTemplate/npa-error-rate',
      'AnalysisTemplate/npa-latency',
      'AnalysisTemplate/npa-coordination-ready',
      'AnalysisTemplate/npa-plan-quality',
    ]);
  });

  it.each([
    ['a canary by replica ratio', { canary: { steps: [{ setWeight: 50 }, { pause: { duration: '1m' } }] } }],
    [
      'a canary with Gateway API HTTPRoute weights',
      {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          trafficRouting: {
            plugins: { 'argoproj-labs/gatewayAPI': { httpRoute: 'web', namespace: 'shop' } },
          },
          steps: [{ setWeight: 10 }],
        },
      },
    ],
    [
      'a canary with NGINX canary annotations',
      {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          trafficRouting: {
            nginx: { stableIngress: 'web', additionalIngressAnnotations: { 'canary-by-header': 'X-Canary' } },
          },
        },
      },
    ],
    [
      'a canary with Istio VirtualServices and a header route',
      {
        canary: {
          canaryService: 'web-canary',
          stableService: 'web-stable',
          trafficRouting: {
            istio: { virtualServices: [{ name: 'web', routes: ['primary'] }, { name: 'web-internal' }] },
            managedRoutes: [{ name: 'beta' }],
          },
          steps: [
            {
              setHeaderRoute: {
                name: 'beta',
                match: [{ headerName: 'x-beta', headerValue: { exact: '1' } }],
              },
            },
          ],
        },
      },
    ],
    [
      'a blue-green with promotion analyses',
      {
        blueGreen: {
          activeService: 'web',
          previewService: 'web-preview',
          autoPromotionEnabled: false,
          prePromotionAnalysis: { templates: [{ templateName: 'smoke', clusterScope: true }] },
        },
      },
    ],
  ])('should accept %s', (_name, strategy) => {
    const result = validateArgoRollout(rollout(strategy));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('should list every unimplemented field in one issue, and still report the other problems', () => {
    const doc = rollout({
      canary: {
        canaryService: 'web-canary',
        stableService: 'web-stable',
        antiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} },
        canaryMetadata: { labels: { role: 'canary' } },
        dynamicStableScale: true,
        trafficRouting: { smi: { trafficSplitName: 'web' }, plugins: { 'example/other': {} } },
        steps: [{ setCanaryScale: { replicas: 1 } }, { setWeigth: 10 }],
      },
    });
    (doc['spec'] as Json)['rollbackWindow'] = { revisions: 2 };
    const issues = issuesOf(doc);
    const unimplemented = issues.filter((i) => i.includes('not implemented by cutover'));
    expect(unimplemented).toHaveLength(1);
    for (const path of [
      'spec.rollbackWindow',
      'spec.strategy.canary.antiAffinity',
      'spec.strategy.canary.canaryMetadata',
      'spec.strategy.canary.dynamicStableScale',
      'spec.strategy.canary.steps[0].setCanaryScale',
      'spec.strategy.canary.trafficRouting.smi',
      'spec.strategy.canary.trafficRouting.plugins["example/other"]',
    ])
      expect(unimplemented[0]).toContain(path);
    expect(
      issues.some((i) => i.startsWith('spec.strategy.canary.steps[1]') && i.includes('"setWeight"')),
    ).toBe(true);
  });

  it('should accept dynamicStableScale: false, which is Argo’s default', () => {
    const result = validateArgoRollout(rollout({ canary: { dynamicStableScale: false } }));
    expect(result.ok).toBe(true);
  });

  it('should refuse template labels the selector does not select, as Kubernetes and Argo do', () => {
    const doc = rollout();
    (doc['spec'] as Json)['selector'] = { matchLabels: { app: 'shop' } };
    expect(issuesOf(doc)).toEqual([
      expect.stringMatching(/^spec\.template\.metadata\.labels: selector does not match template labels/),
    ]);
    (doc['spec'] as Json)['selector'] = {
      matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }],
    };
    expect(issuesOf(doc)).toEqual([]);
  });

  it('should refuse a template without containers, or a container without an image', () => {
    const doc = rollout();
    const template = (doc['spec'] as Json)['template'] as Json;
    template['spec'] = { containers: [] };
    expect(issuesOf(doc)).toEqual([
      expect.stringMatching(/^spec\.template\.spec\.containers: .*at least one container/),
    ]);
    template['spec'] = { containers: [{ name: 'web' }] };
    expect(issuesOf(doc)).toEqual([
      expect.stringMatching(/^spec\.template\.spec\.containers\[0\]\.image: required field is missing/),
    ]);
  });

  it('should refuse a misspelt pod field that Kubernetes would drop, with its path', () => {
    const doc = rollout();
    const template = (doc['spec'] as Json)['template'] as Json;
    template['spec'] = {
      containers: [
        { name: 'web', image: 'web:1', resources: { limit: { cpu: '1' } }, ports: [{ containerPort: '80' }] },
      ],
    };
    expect(issuesOf(doc)).toEqual([
      expect.stringMatching(
        /^spec\.template\.spec\.containers\[0\]\.resources\.limit: unknown field "limit"/,
      ),
      expect.stringMatching(
        /^spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: expected an integer/,
      ),
    ]);
  });

  it('should apply Argo’s rules across fields: services with trafficRouting, routes in managedRoutes, one strategy', () => {
    expect(issuesOf(rollout({ canary: { trafficRouting: { nginx: { stableIngress: 'web' } } } }))).toEqual([
      expect.stringMatching(/^spec\.strategy\.canary\.stableService: required field is missing/),
      expect.stringMatching(/^spec\.strategy\.canary\.canaryService: required field is missing/),
    ]);
    expect(
      issuesOf(
        rollout({
          canary: {
            trafficRouting: {
              istio: {
                virtualService: { name: 'web' },
                destinationRule: { name: 'web', canarySubsetName: 'c', stableSubsetName: 's' },
              },
            },
            steps: [{ setMirrorRoute: { name: 'shadow', match: [{ method: { exact: 'GET' } }] } }],
          },
        }),
      ),
    ).toEqual([
      expect.stringMatching(
        /steps\[0\]\.setMirrorRoute\.name: route "shadow" is not in trafficRouting\.managedRoutes/,
      ),
    ]);
    expect(issuesOf(rollout({ canary: {}, blueGreen: { activeService: 'web' } }))).toEqual([
      expect.stringMatching(/^spec\.strategy: a strategy must have exactly one of canary, blueGreen/),
    ]);
  });

  it('should refuse an Argo Rollout on the local platform, naming the kubernetes platform, with its other problems', () => {
    const doc = rollout({ canary: { trafficRouting: { alb: { ingress: 'web' } } } });
    let error: unknown;
    try {
      parseSpec(stringify(doc), 'argo.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecValidationError);
    const issues = (error as SpecValidationError).issues;
    expect(issues[0]).toMatchObject({ file: 'argo.yaml', line: 1, column: 1, path: 'apiVersion' });
    expect(issues[0]?.message).toMatch(
      /an Argo Rollout runs on the kubernetes platform \(cutover server --platform kubernetes\), not on the local platform; write a cutover\.dev\/v1alpha1 Rollout/,
    );
    expect(issues[1]?.message).toMatch(
      /not implemented by cutover: spec\.strategy\.canary\.trafficRouting\.alb/,
    );
  });
});
