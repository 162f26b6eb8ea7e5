/**
 * The spec module: cutover's YAML resources (Rollout, AnalysisTemplate, ClusterAnalysisTemplate),
 * their schemas, and the loader that validates a spec whole before anything is applied.
 */

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
  formatPath,
  type LoadedSpec,
  loadSpecFile,
  loadSpecFiles,
  type ParseSpecOptions,
  parseSpec,
  parseSpecs,
  type SpecSource,
} from './load.js';
export { locateSpecIssues, type PathIssue } from './locate.js';
export type { KnownTemplate } from './references.js';
export { resolveTemplate, TEMPLATE_HASH_LENGTH, templateHash } from './revision.js';
export {
  analysisTemplateSchema,
  type FieldIssue,
  METRIC_PROVIDERS,
  metricSchema,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceValidation,
  rolloutSchema,
  validateResource,
} from './schema.js';
export * from './types.js';
