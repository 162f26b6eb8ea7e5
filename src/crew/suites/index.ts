/** The release workflow's VALIDATE stage: test suites run as sandboxed jobs, and their report. */
export {
  type RunSuitesOptions,
  runSuites,
  SUITE_RESULTS,
  type SuiteReport,
  type SuiteResult,
  type ValidationReport,
} from './run-suites.js';
export { DEFAULT_SUITE_MEMORY, DEFAULT_SUITE_TIMEOUT_SECONDS, type SuiteSpec } from './suite-spec.js';
export { parseTapSummary, type TapSummary, type TestCounts } from './tap-summary.js';
export { validationReportMarkdown } from './validation-report-markdown.js';
