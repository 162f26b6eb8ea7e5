/** Smoke tests against a revision, and checks of the monitoring endpoints. */
export { checkMonitoringEndpoints, type MonitoringEndpointCheck } from './check-monitoring-endpoints.js';
export {
  type RunSmokeTestsOptions,
  runSmokeTests,
  type SmokeReport,
  type SmokeResult,
} from './run-smoke-tests.js';
export {
  DEFAULT_SMOKE_HTTP_TIMEOUT_MS,
  DEFAULT_SMOKE_JOB_TIMEOUT_SECONDS,
  type HttpSmokeTest,
  type JobSmokeTest,
  SMOKE_HTTP_METHODS,
  type SmokeTestSpec,
} from './smoke-test-spec.js';
