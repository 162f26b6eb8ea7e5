/**
 * The spec module: cutover's YAML resources (Rollout, AnalysisTemplate, ClusterAnalysisTemplate, Environment, Release),
 * their schemas, and the loader that validates a spec whole before anything is applied.
 */

export { type ArgoRolloutConversion, convertArgoRollout } from './argo-rollout-convert.js';
export { type StoredArgoRollout, storedArgoRollout, storedFromWorkload } from './argo-rollout-stored.js';
export * from './argo-rollout-types.js';
export { ARGO_UNIMPLEMENTED_FIELDS } from './argo-unimplemented.js';
export { durationToMs, formatDuration, isDuration } from './duration.js';
export {
  DurationError,
  formatSpecIssue,
  SPEC_ERROR_CODES,
  SpecError,
  type SpecErrorCode,
  SpecFileError,
  type SpecIssue,
  SpecValidationError,
  SpecYamlError,
} from './errors.js';
export {
  type FeatureFlags,
  type FeatureFlagsMeta,
  type FeatureFlagsSpec,
  type FlagdFlag,
  MAX_FLAG_KEY_LENGTH,
  MAX_FLAG_SET_BYTES,
  MAX_FLAGS,
} from './feature-flags-schema.js';
export * from './kubernetes-rollout-target.js';
export {
  formatPath,
  type LoadedSpec,
  loadSpecFile,
  loadSpecFiles,
  type ParseSpecOptions,
  parseKubernetesSpecs,
  parseSpec,
  parseSpecs,
  type SpecSource,
} from './load.js';
export { locateSpecIssues, type PathIssue, specValueAt } from './locate.js';
export { podTemplateHash, podTemplateJson } from './pod-template-hash.js';
export { canonicalQuantity, isQuantity } from './quantity.js';
export type { KnownTemplate } from './references.js';
export * from './release-types.js';
export { resolveTemplate, TEMPLATE_HASH_LENGTH, templateHash } from './revision.js';
export {
  analysisTemplateSchema,
  METRIC_PROVIDERS,
  metricSchema,
  RESOURCE_KINDS,
  type ResourceKind,
  rolloutSchema,
} from './schema.js';
export * from './types.js';
export {
  type ArgoRolloutValidation,
  type FieldIssue,
  type ResourceValidation,
  validateArgoRollout,
  validateResource,
} from './validate-resource.js';
