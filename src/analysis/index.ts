/**
 * The analysis module: Argo Rollouts' AnalysisTemplate / AnalysisRun semantics as pure functions,
 * the condition language, metric providers and the runner that takes measurements.
 * See docs/analysis.md.
 */

export {
  assessRun,
  type CreateAnalysisRunOptions,
  createAnalysisRun,
  dueMetrics,
  emptyResult,
  isDryRunMetric,
  isRunCompleted,
  isTerminating,
  measurementRetentionLimit,
  nextMeasurementAt,
  nextMetricMeasurementAt,
  type RunAssessment,
  reassessRun,
  recordMeasurement,
  terminateRun,
} from './analysis-run.js';
export {
  AnalysisRunner,
  type AnalysisRunnerOptions,
  DEFAULT_MEASUREMENT_TIMEOUT_MS,
} from './analysis-runner.js';
export {
  DEFAULT_CONSECUTIVE_ERROR_LIMIT,
  DEFAULT_CONSECUTIVE_SUCCESS_LIMIT,
  DEFAULT_ERROR_RETRY_INTERVAL_MS,
  DEFAULT_FAILURE_LIMIT,
  DEFAULT_INCONCLUSIVE_LIMIT,
  DEFAULT_MEASUREMENT_RETENTION,
  effectiveCount,
  type MetricLimits,
  metricLimits,
} from './defaults.js';
export {
  ANALYSIS_ENV_ALLOW_VARIABLE,
  type EnvArgIssue,
  envArgIssues,
  parseAnalysisEnvAllow,
} from './env-allow-list.js';
export * from './errors.js';
export { type CompiledExpression, compileExpression, evaluateExpression } from './expression/index.js';
export { judgeJson } from './json-condition.js';
export {
  assessMeasurement,
  formatMeasurementValue,
  type MeasurementAssessment,
  measurementFromError,
  measurementFromValue,
} from './measurement.js';
export {
  type AssessMetricOptions,
  assessMetric,
  isCompletedPhase,
  isWorsePhase,
  type LimitBreach,
  metricLimitBreach,
} from './metric-assessment.js';
export { type ValidateMetricOptions, validateMetric, validateMetrics } from './metric-validation.js';
export {
  BUILTIN_METRICS,
  BUILTIN_REVISION_ROLES,
  builtinProvider,
  createProviderRegistry,
  DEFAULT_BUILTIN_QUANTILE,
  DEFAULT_BUILTIN_REVISION,
  DEFAULT_BUILTIN_WINDOW,
  DEFAULT_PROVIDER_REGISTRY,
  type MeasureContext,
  type MetricProviderPlugin,
  type MetricProviderRegistry,
  providerConfig,
  providerTypes,
  verdict,
} from './providers/index.js';
export { jobProvider } from './providers/job/job-provider.js';
export {
  DEFAULT_BACKOFF_LIMIT,
  expandDependentVars,
  isKubernetesJob,
  type JobImageNotPulled,
  jobImagesNotPulled,
} from './providers/job/kubernetes-job.js';
export { OutputScrubber, scrubOutput } from './providers/job/output-scrubber.js';
export {
  type JobSandboxMode,
  protectFromSandbox,
  type RunSandboxedOptions,
  runSandboxed,
  type SandboxedRun,
  sandboxInputProblem,
} from './providers/job/run-sandboxed.js';
export { parseMemory } from './providers/job/sandbox.js';
export { compileJsonPath, findJsonPath, type JsonPath } from './providers/web/json-path.js';
export {
  type ArgSources,
  resolveRunSecrets,
  type SecretArgSource,
  secretEnvName,
} from './secret-args.js';
export {
  ARG_PLACEHOLDER,
  type BuildAnalysisRunOptions,
  type BuildAnalysisRunSpecOptions,
  buildAnalysisRun,
  buildAnalysisRunSpec,
  METRIC_INTEGER_FIELDS,
  revealSecretArgs,
} from './template.js';
export * from './types.js';
