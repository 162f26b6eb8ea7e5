import type { SuiteSpec } from '../suites/index.js';

/** Per-request limit of an HTTP smoke test when `timeoutMs` is unset, ms. */
export const DEFAULT_SMOKE_HTTP_TIMEOUT_MS = 2000;
/** Wall-clock limit of a job smoke test when `timeoutSeconds` is unset, s. */
export const DEFAULT_SMOKE_JOB_TIMEOUT_SECONDS = 60;

/** Methods an HTTP smoke test may send. */
export const SMOKE_HTTP_METHODS = ['GET', 'POST', 'HEAD'] as const;

/** One request against the revision under test; passes when the answer matches. */
export interface HttpSmokeTest {
  /** Name in the smoke report. */
  name: string;
  http: {
    /** Path (and query) appended to the base URL, e.g. `/healthz`. */
    path: string;
    /** @default "GET" */
    method?: (typeof SMOKE_HTTP_METHODS)[number];
    /** Expected status code. @default 200 */
    expectStatus?: number;
    /** A string the body must contain (compared after UTF-8 decoding). */
    bodyContains?: string;
    /** Limit of the whole exchange, ms. @default 2000 */
    timeoutMs?: number;
    headers?: Record<string, string>;
  };
}

/**
 * A command run as a sandboxed job against the revision under test (the suites' sandbox, but with
 * the host network so it can reach the revision on loopback); passes when it exits 0. Its
 * environment has `SMOKE_BASE_URL`.
 */
export interface JobSmokeTest {
  /** Name in the smoke report. */
  name: string;
  /** As {@link SuiteSpec} without `name` and `network` (always true); `timeoutSeconds` defaults to 60. */
  job: Omit<SuiteSpec, 'name' | 'network'>;
}

/** One smoke test: an HTTP check or a job. */
export type SmokeTestSpec = HttpSmokeTest | JobSmokeTest;
