/**
 * zod schema of Argo Rollouts' Rollout (`argoproj.io/v1alpha1`) as cutover accepts it: strict as
 * cutover's own schemas (an unknown field is refused, with the allowed ones), with Argo's
 * validation rules (`pkg/apis/rollouts/validation`) that span fields. Fields cutover does not
 * implement are removed before it runs and reported apart (`argo-unimplemented.ts`). Use it
 * through `validateArgoRollout`, which words its issues.
 */
import { z } from 'zod';
import {
  type ArgoBlueGreenStrategy,
  type ArgoCanaryStrategy,
  type ArgoRollout,
  type ArgoRolloutSpec,
  type ArgoTrafficRouting,
  GATEWAY_API_PLUGIN,
  type LabelSelector,
  type PodTemplateSpec,
  type WorkloadRef,
} from './argo-rollout-types.js';
import { checkPodSpec } from './pod-template-check.js';
import {
  ALWAYS,
  type Ctx,
  durationSchema,
  exactlyOneOf,
  expect,
  experimentStepSchema,
  int,
  intOrPercent,
  isRecord,
  isZero,
  nameSchema,
  nonEmptyString,
  PAUSE_EXPECTED,
  problem,
  rolloutAnalysisBackgroundSchema,
  rolloutAnalysisSchema,
  seconds,
  setHeaderRouteSchema,
  setMirrorRouteSchema,
  strict,
  stringMap,
} from './schema.js';
import { ARGO_API_VERSION } from './types.js';

const bool = () => z.boolean({ error: 'true or false' });
const MAX_INT32 = 2_147_483_647;

const selectorSchema = strict({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(
      strict({
        key: nonEmptyString('a label key'),
        operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
          error: 'In, NotIn, Exists or DoesNotExist',
        }),
        values: z.array(z.string({ error: 'a string' }), { error: 'a list of strings' }).optional(),
      }),
      { error: 'a list of {key, operator, values}' },
    )
    .optional(),
});

const containerSchema = z.looseObject(
  { name: nameSchema, image: nonEmptyString('an image reference such as nginx:1.27') },
  { error: 'a mapping with name and image' },
);

const podTemplateSchema = strict({
  metadata: strict({
    creationTimestamp: z.null({ error: 'null (as kubectl writes it) or nothing' }).optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  }).optional(),
  spec: z
    .looseObject(
      {
        containers: z
          .array(containerSchema, { error: 'a list of containers' })
          .min(1, { error: 'at least one container {name, image}' }),
      },
      { error: 'a mapping (a Kubernetes PodSpec)' },
    )
    .superRefine((spec: unknown, ctx) => {
      for (const issue of checkPodSpec(spec)) problem(ctx, issue.path, issue.message, issue.expected);
    }, ALWAYS),
});

const workloadRefSchema = strict({
  apiVersion: z.literal('apps/v1', { error: 'apps/v1' }).optional(),
  kind: z.literal('Deployment', { error: 'Deployment' }),
  name: nonEmptyString('a Deployment name'),
  scaleDown: z
    .enum(['never', 'onsuccess', 'progressively'], { error: 'never, onsuccess or progressively' })
    .optional(),
});

const STEP_FIELDS = 'setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, experiment';
const stepSchema = z.union(
  [
    strict({ setWeight: int(0, 100) }),
    strict({ pause: strict({ duration: durationSchema.optional() }, PAUSE_EXPECTED) }),
    strict({ analysis: rolloutAnalysisSchema }),
    strict({ setHeaderRoute: setHeaderRouteSchema }),
    strict({ setMirrorRoute: setMirrorRouteSchema }),
    strict({ experiment: experimentStepSchema }),
  ],
  { error: `a step with exactly one of ${STEP_FIELDS}` },
);

const virtualServiceSchema = strict({
  name: nonEmptyString('a VirtualService name'),
  routes: z.array(nonEmptyString('a route name'), { error: 'a list of HTTP route names' }).optional(),
});

const PROVIDERS = ['istio', 'nginx', 'plugins'] as const;
const trafficRoutingSchema = strict({
  istio: strict({
    virtualService: virtualServiceSchema.optional(),
    virtualServices: z
      .array(virtualServiceSchema, { error: 'a list of {name, routes}' })
      .min(1, { error: 'at least one {name, routes}' })
      .optional(),
    destinationRule: strict({
      name: nonEmptyString('a DestinationRule name'),
      canarySubsetName: nonEmptyString('a subset name'),
      stableSubsetName: nonEmptyString('a subset name'),
    }).optional(),
  })
    .superRefine(exactlyOneOf(['virtualService', 'virtualServices'], 'istio'), ALWAYS)
    .optional(),
  nginx: strict({
    stableIngress: nonEmptyString('an Ingress name'),
    annotationPrefix: nonEmptyString().optional(),
    additionalIngressAnnotations: stringMap.optional(),
  }).optional(),
  plugins: strict({
    [GATEWAY_API_PLUGIN]: strict({
      httpRoute: nonEmptyString('an HTTPRoute name').optional(),
      httpRoutes: z
        .array(strict({ name: nonEmptyString('an HTTPRoute name'), useHeaderRoutes: bool().optional() }), {
          error: 'a list of {name, useHeaderRoutes}',
        })
        .min(1, { error: 'at least one {name}' })
        .optional(),
      namespace: nameSchema.optional(),
    }).superRefine(exactlyOneOf(['httpRoute', 'httpRoutes'], `the ${GATEWAY_API_PLUGIN} plugin`), ALWAYS),
  }).optional(),
  managedRoutes: z
    .array(strict({ name: nonEmptyString('a route name') }), { error: 'a list of {name}' })
    .optional(),
}).superRefine((value: unknown, ctx) => {
  if (!isRecord(value)) return;
  const present = PROVIDERS.filter((key) => value[key] !== undefined);
  if (present.length > 1)
    problem(
      ctx,
      [],
      `trafficRouting must have at most one of ${PROVIDERS.join(', ')} (none: traffic by replica ratio), got ${present.join(' and ')}`,
      `at most one of ${PROVIDERS.join(', ')}`,
    );
}, ALWAYS);

const canarySchema = strict({
  canaryService: nonEmptyString('a Service name').optional(),
  stableService: nonEmptyString('a Service name').optional(),
  steps: z.array(stepSchema, { error: 'a list of steps' }).optional(),
  trafficRouting: trafficRoutingSchema.optional(),
  analysis: rolloutAnalysisBackgroundSchema.optional(),
  maxSurge: intOrPercent(1000).optional(),
  maxUnavailable: intOrPercent(100).optional(),
  scaleDownDelaySeconds: seconds(0).optional(),
  abortScaleDownDelaySeconds: seconds(0).optional(),
  dynamicStableScale: bool().optional(),
}).superRefine(checkCanary, ALWAYS);

/** Argo's rules of a canary that span fields (`ValidateRolloutStrategyCanary`). */
function checkCanary(value: unknown, ctx: Ctx): void {
  if (!isRecord(value)) return;
  const steps = Array.isArray(value['steps']) ? value['steps'] : [];
  const routing = isRecord(value['trafficRouting']) ? value['trafficRouting'] : undefined;
  const analysis = value['analysis'];
  const startingStep = isRecord(analysis) ? analysis['startingStep'] : undefined;
  if (typeof startingStep === 'number' && startingStep > 0 && startingStep >= steps.length)
    expect(ctx, ['analysis', 'startingStep'], `a step index below ${steps.length}`, startingStep);
  if (isZero(value['maxSurge'] ?? '25%') && isZero(value['maxUnavailable'] ?? '25%'))
    problem(ctx, ['maxSurge'], 'maxSurge and maxUnavailable cannot both be 0 (both default to 25%)');
  if (value['canaryService'] !== undefined && value['canaryService'] === value['stableService'])
    problem(ctx, ['stableService'], 'stableService and canaryService must be two different Services');
  if (routing === undefined) {
    if (value['scaleDownDelaySeconds'] !== undefined)
      problem(
        ctx,
        ['scaleDownDelaySeconds'],
        'scaleDownDelaySeconds applies with trafficRouting only (as Argo)',
      );
  } else if (servicesRequired(routing)) {
    for (const field of ['stableService', 'canaryService'])
      if (value[field] === undefined)
        problem(
          ctx,
          [field],
          `required field is missing: trafficRouting routes between the canary and stable Services`,
          'a Service name',
        );
  }
  const managed = new Set(
    (Array.isArray(routing?.['managedRoutes']) ? routing['managedRoutes'] : []).map((r: unknown) =>
      isRecord(r) ? r['name'] : undefined,
    ),
  );
  steps.forEach((step: unknown, index) => {
    if (!isRecord(step)) return;
    for (const kind of ['setHeaderRoute', 'setMirrorRoute'] as const) {
      const route = step[kind];
      if (!isRecord(route)) continue;
      if (routing?.['istio'] === undefined && routing?.['plugins'] === undefined)
        problem(
          ctx,
          ['steps', index, kind],
          `${kind} needs trafficRouting with istio or the ${GATEWAY_API_PLUGIN} plugin (as Argo)`,
        );
      else if (typeof route['name'] === 'string' && !managed.has(route['name']))
        problem(
          ctx,
          ['steps', index, kind, 'name'],
          `route ${JSON.stringify(route['name'])} is not in trafficRouting.managedRoutes (Argo requires it there)`,
          'a name of trafficRouting.managedRoutes',
        );
    }
  });
}

/** As Argo's `requireCanaryStableServices`, and the Gateway API plugin, which routes to both Services. */
function servicesRequired(routing: Record<string, unknown>): boolean {
  const istio = routing['istio'];
  return (
    routing['nginx'] !== undefined ||
    routing['plugins'] !== undefined ||
    (isRecord(istio) && istio['destinationRule'] === undefined)
  );
}

const blueGreenSchema = strict({
  activeService: nonEmptyString('a Service name'),
  previewService: nonEmptyString('a Service name').optional(),
  autoPromotionEnabled: bool().optional(),
  autoPromotionSeconds: seconds(0).optional(),
  previewReplicaCount: int(1, MAX_INT32).optional(),
  scaleDownDelaySeconds: seconds(0).optional(),
  abortScaleDownDelaySeconds: seconds(0).optional(),
  prePromotionAnalysis: rolloutAnalysisSchema.optional(),
  postPromotionAnalysis: rolloutAnalysisSchema.optional(),
}).superRefine((value: unknown, ctx) => {
  if (
    isRecord(value) &&
    value['previewService'] !== undefined &&
    value['previewService'] === value['activeService']
  )
    problem(ctx, ['previewService'], 'activeService and previewService must be two different Services');
}, ALWAYS);

const specSchema = strict({
  replicas: int(0, MAX_INT32).optional(),
  selector: selectorSchema.optional(),
  template: podTemplateSchema.optional(),
  workloadRef: workloadRefSchema.optional(),
  minReadySeconds: int(0, MAX_INT32).optional(),
  revisionHistoryLimit: int(0, MAX_INT32).optional(),
  progressDeadlineSeconds: seconds(1).optional(),
  progressDeadlineAbort: bool().optional(),
  paused: bool().optional(),
  restartAt: z
    .string({ error: 'an RFC 3339 time such as 2026-01-02T15:04:05Z' })
    .refine((text) => !Number.isNaN(Date.parse(text)), {
      error: 'an RFC 3339 time such as 2026-01-02T15:04:05Z',
    })
    .optional(),
  strategy: strict({ canary: canarySchema.optional(), blueGreen: blueGreenSchema.optional() }).superRefine(
    exactlyOneOf(['canary', 'blueGreen'], 'a strategy'),
    ALWAYS,
  ),
}).superRefine(checkTemplateAndSelector, ALWAYS);

/** As Kubernetes (and Argo): a template or a workloadRef, and a non-empty selector that selects the template's labels. */
function checkTemplateAndSelector(value: unknown, ctx: Ctx): void {
  if (!isRecord(value)) return;
  if ((value['template'] === undefined) === (value['workloadRef'] === undefined)) {
    problem(
      ctx,
      value['template'] === undefined ? ['template'] : ['workloadRef'],
      value['template'] === undefined
        ? 'required field is missing: a Rollout runs the pods of its template (or of a workloadRef)'
        : 'a Rollout has a template or a workloadRef, not both',
      'template or workloadRef',
    );
  }
  const selector = value['selector'];
  if (selector === undefined) {
    if (value['workloadRef'] === undefined)
      problem(
        ctx,
        ['selector'],
        'required field is missing; expected {matchLabels} selecting the template labels',
        'a selector',
      );
    return;
  }
  if (!isRecord(selector)) return;
  const matchLabels = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  if (Object.keys(matchLabels).length + expressions.length === 0) {
    problem(
      ctx,
      ['selector'],
      'an empty selector selects every pod; expected matchLabels or matchExpressions',
      'a non-empty selector',
    );
    return;
  }
  const template = value['template'];
  const metadata = isRecord(template) ? template['metadata'] : undefined;
  const labels = isRecord(metadata) && isRecord(metadata['labels']) ? metadata['labels'] : {};
  if (isRecord(template) && !selects(matchLabels, expressions, labels)) {
    problem(
      ctx,
      ['template', 'metadata', 'labels'],
      `selector does not match template labels (Kubernetes refuses such a ReplicaSet): the template's labels ${JSON.stringify(labels)} must satisfy spec.selector`,
      'labels that spec.selector selects',
    );
  }
}

/** Kubernetes' label selector semantics: every matchLabels entry and every expression holds. */
function selects(
  matchLabels: Record<string, unknown>,
  expressions: unknown[],
  labels: Record<string, unknown>,
): boolean {
  if (!Object.entries(matchLabels).every(([key, v]) => labels[key] === v)) return false;
  return expressions.every((e) => {
    if (!isRecord(e) || typeof e['key'] !== 'string') return true;
    const label = labels[e['key']];
    const values = Array.isArray(e['values']) ? e['values'] : [];
    switch (e['operator']) {
      case 'In':
        return label !== undefined && values.includes(label);
      case 'NotIn':
        return label === undefined || !values.includes(label);
      case 'Exists':
        return label !== undefined;
      case 'DoesNotExist':
        return label === undefined;
      default:
        return true;
    }
  });
}

/** Schema of {@link ArgoRollout}. */
export const argoRolloutSchema = strict({
  apiVersion: z.literal(ARGO_API_VERSION, { error: ARGO_API_VERSION }),
  kind: z.literal('Rollout', { error: 'Rollout' }),
  metadata: strict({
    name: nameSchema,
    namespace: nameSchema.optional(),
    labels: stringMap.optional(),
    annotations: stringMap.optional(),
  }),
  spec: specSchema,
});

// argo-rollout-types.ts stays the source of truth: each schema must infer exactly its interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const shapesMatchTypes: [
  Same<z.infer<typeof selectorSchema>, LabelSelector>,
  Same<z.infer<typeof podTemplateSchema>, PodTemplateSpec>,
  Same<z.infer<typeof workloadRefSchema>, WorkloadRef>,
  Same<z.infer<typeof trafficRoutingSchema>, ArgoTrafficRouting>,
  Same<z.infer<typeof canarySchema>, ArgoCanaryStrategy>,
  Same<z.infer<typeof blueGreenSchema>, ArgoBlueGreenStrategy>,
  Same<z.infer<typeof specSchema>, ArgoRolloutSpec>,
  Same<z.infer<typeof argoRolloutSchema>, ArgoRollout>,
] = [true, true, true, true, true, true, true, true];
void shapesMatchTypes;
