/**
 * Fields of Argo Rollouts' Rollout that cutover does not implement. An Argo Rollout holding any of
 * them is refused with one issue that lists them all (never silently ignored); the rest of the
 * Rollout is still validated, so one pass reports every problem.
 */
import { GATEWAY_API_PLUGIN } from './argo-rollout-types.js';

type Path = (string | number)[];

const C = 'spec.strategy.canary';
const BG = 'spec.strategy.blueGreen';
const STEP = `${C}.steps[*]`;
const ISTIO = `${C}.trafficRouting.istio`;
const GATEWAY = `${C}.trafficRouting.plugins["${GATEWAY_API_PLUGIN}"]`;

/**
 * Every field Argo Rollouts defines (`pkg/apis/rollouts/v1alpha1/types.go`) that cutover does not
 * implement, as field paths; `[*]` stands for any list index, `plugins[*]` for any plugin other than
 * `argoproj-labs/gatewayAPI`. `dynamicStableScale` counts only when `true`.
 */
export const ARGO_UNIMPLEMENTED_FIELDS = [
  'spec.rollbackWindow',
  'spec.analysis',
  `${C}.antiAffinity`,
  `${C}.canaryMetadata`,
  `${C}.stableMetadata`,
  `${C}.pingPong`,
  `${C}.minPodsPerReplicaSet`,
  `${C}.replicaProgressThreshold`,
  `${C}.scaleDownDelayRevisionLimit`,
  `${C}.dynamicStableScale`,
  `${C}.analysis.analysisRunMetadata`,
  `${STEP}.setCanaryScale`,
  `${STEP}.plugin`,
  `${STEP}.analysis.analysisRunMetadata`,
  `${STEP}.experiment.dryRun`,
  `${STEP}.experiment.analysisRunMetadata`,
  `${STEP}.experiment.scaleDownDelaySeconds`,
  `${STEP}.experiment.templates[*].metadata`,
  `${STEP}.experiment.templates[*].selector`,
  `${STEP}.experiment.templates[*].service`,
  `${C}.trafficRouting.alb`,
  `${C}.trafficRouting.smi`,
  `${C}.trafficRouting.ambassador`,
  `${C}.trafficRouting.appMesh`,
  `${C}.trafficRouting.traefik`,
  `${C}.trafficRouting.apisix`,
  `${C}.trafficRouting.maxTrafficWeight`,
  `${C}.trafficRouting.plugins[*]`,
  `${ISTIO}.virtualService.tlsRoutes`,
  `${ISTIO}.virtualService.tcpRoutes`,
  `${ISTIO}.virtualServices[*].tlsRoutes`,
  `${ISTIO}.virtualServices[*].tcpRoutes`,
  `${ISTIO}.destinationRule.additionalSubsetNames`,
  `${C}.trafficRouting.nginx.stableIngresses`,
  `${C}.trafficRouting.nginx.canaryIngressAnnotations`,
  `${GATEWAY}.grpcRoute`,
  `${GATEWAY}.grpcRoutes`,
  `${GATEWAY}.tcpRoute`,
  `${GATEWAY}.tcpRoutes`,
  `${GATEWAY}.tlsRoute`,
  `${GATEWAY}.tlsRoutes`,
  `${GATEWAY}.configMap`,
  `${BG}.antiAffinity`,
  `${BG}.previewMetadata`,
  `${BG}.activeMetadata`,
  `${BG}.maxUnavailable`,
  `${BG}.scaleDownDelayRevisionLimit`,
  `${BG}.prePromotionAnalysis.analysisRunMetadata`,
  `${BG}.postPromotionAnalysis.analysisRunMetadata`,
] as const;

/** `a.b[*].c["x/y"]` to segments; `*` stays a wildcard. */
function segments(pattern: string): string[] {
  return [...pattern.matchAll(/([A-Za-z]+)|\[(\*)\]|\["([^"]+)"\]/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const PATTERNS = ARGO_UNIMPLEMENTED_FIELDS.map(segments);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The paths of `value` that `pattern` names and that are present. */
function matches(value: unknown, pattern: readonly string[], path: Path): Path[] {
  const [head, ...rest] = pattern;
  if (head === undefined) return [path];
  if (head === '*') {
    if (Array.isArray(value)) return value.flatMap((item, index) => matches(item, rest, [...path, index]));
    if (!isRecord(value) || path.at(-1) !== 'plugins') return [];
    // plugins[*]: every plugin but the one cutover implements.
    return Object.keys(value)
      .filter((key) => key !== GATEWAY_API_PLUGIN)
      .map((key) => [...path, key]);
  }
  if (!isRecord(value) || value[head] === undefined) return [];
  // `false` is Argo's default: only `true` asks for what cutover lacks.
  if (head === 'dynamicStableScale' && rest.length === 0 && value[head] === false) return [];
  return matches(value[head], rest, [...path, head]);
}

/**
 * Finds the unimplemented fields an Argo Rollout (as parsed, not yet validated) holds, and the
 * Rollout without them (so the strict schema reports only the other problems). Pure: `value` is
 * not changed.
 *
 * @returns the paths found, in {@link ARGO_UNIMPLEMENTED_FIELDS} order; the rest; the mappings
 *   left empty by the removal (a step that held only `setCanaryScale`), whose own problems are not
 *   worth reporting
 */
export function findUnimplementedArgoFields(value: unknown): {
  paths: Path[];
  rest: unknown;
  emptied: Path[];
} {
  const paths = PATTERNS.flatMap((pattern) => matches(value, pattern, []));
  if (paths.length === 0) return { paths, rest: value, emptied: [] };
  const rest = structuredClone(value);
  const emptied: Path[] = [];
  for (const path of paths) {
    let parent: unknown = rest;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
    delete (parent as Record<string | number, unknown>)[path.at(-1) as string | number];
    if (Object.keys(parent as object).length === 0) emptied.push(path.slice(0, -1));
  }
  return { paths, rest, emptied };
}
