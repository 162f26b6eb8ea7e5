import type { JobSandboxMode } from '../../analysis/index.js';

/** Wall-clock limit of a suite when `timeoutSeconds` is unset, s. */
export const DEFAULT_SUITE_TIMEOUT_SECONDS = 300;
/**
 * Address-space limit (RLIMIT_AS) of a suite when `resources.memory` is unset: 16 GiB, far more than
 * the job provider's 1 GiB because it limits reserved, not used, memory: V8 reserves about 10 GiB
 * for each WebAssembly memory (Node's `fetch` parses HTTP with one), and test runners start workers.
 */
export const DEFAULT_SUITE_MEMORY = '16Gi';

/**
 * A test suite run as a sandboxed job, configured as the analysis module's `job` metric provider
 * (same field names, same sandbox). Print TAP (`node --test --test-reporter=tap`, `tap`,
 * `pytest --tap`) to get per-test counts and failure names in the report.
 *
 * @example
 * ```ts
 * const suite: SuiteSpec = { name: 'unit', command: ['node', '--test', '--test-reporter=tap'], cwd: '/srv/app' };
 * ```
 */
export interface SuiteSpec {
  /** Name in the validation report. */
  name: string;
  /** argv; resolved on `$PATH`. */
  command: string[];
  /** Absolute directory the suite starts in (read-only under the sandbox). @default a private work directory */
  cwd?: string;
  /** Absolute paths the suite may read besides `cwd` (bound read-only); nothing else of the host. */
  inputs?: string[];
  /** Extra environment variables; only these and `PATH` reach the suite. */
  env?: Record<string, string>;
  /** Wall-clock limit, s; the suite is killed and reported as Error when reached. @default 300 */
  timeoutSeconds?: number;
  /** Keep the host's network. @default false */
  network?: boolean;
  /** As the job provider: `auto` sandboxes when bubblewrap is installed, `required` refuses to run without it. @default "auto" */
  sandbox?: JobSandboxMode;
  resources?: {
    /** Address-space limit, a Kubernetes quantity (`512Mi`, `16Gi`) or bytes. @default "16Gi" */
    memory?: string | number;
    /** CPU-time limit, s. @default timeoutSeconds */
    cpu?: number;
  };
}
