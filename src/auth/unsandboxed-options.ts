import type { AnalysisTemplate, Release } from '../spec/index.js';
import type { Role } from './roles.js';

/**
 * A caller below admin asked for a command outside the job sandbox (`CUTOVER_E_UNSANDBOXED_FORBIDDEN`,
 * HTTP 403); `path` is the first offending field.
 */
export class UnsandboxedForbiddenError extends Error {
  readonly code = 'CUTOVER_E_UNSANDBOXED_FORBIDDEN';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'UnsandboxedForbiddenError';
  }
}

/**
 * Operator setting: when `1`, any deployer may use the options that run a command outside the job
 * sandbox (read by the server at each request).
 */
const ALLOW_UNSANDBOXED_ENV = 'CUTOVER_ALLOW_UNSANDBOXED';

/**
 * Field paths of the options that run a command outside the job sandbox or give it the host's
 * network: a job metric's `sandbox: none` or `network: true`, a release job's (prepare test,
 * validation suite) `network: true`, and a release's migrations (`prepare.migrations`, run as the
 * server's user to write its database). Smoke-test jobs keep the host network by design (they call
 * the revision on loopback) and are not listed. Pure.
 */
function unsandboxedOptions(resource: AnalysisTemplate | Release): string[] {
  const paths: string[] = [];
  if (resource.kind === 'Release') {
    const spec = resource.spec;
    spec.prepare?.tests?.forEach((job, i) => {
      if (job.network === true) paths.push(`spec.prepare.tests[${i}].network`);
    });
    spec.validation?.suites.forEach((job, i) => {
      if (job.network === true) paths.push(`spec.validation.suites[${i}].network`);
    });
    if (spec.prepare?.migrations !== undefined) paths.push('spec.prepare.migrations');
    return paths;
  }
  resource.spec.metrics.forEach((metric, i) => {
    const job = metric.provider.job as { sandbox?: unknown; network?: unknown } | undefined;
    if (job === undefined) return;
    if (job.sandbox === 'none') paths.push(`spec.metrics[${i}].provider.job.sandbox`);
    if (job.network === true || job.network === 'true') paths.push(`spec.metrics[${i}].provider.job.network`);
  });
  return paths;
}

/**
 * Refuses ({@link UnsandboxedForbiddenError}, 403 `CUTOVER_E_UNSANDBOXED_FORBIDDEN`) the unsandboxed options of `resources` to a caller
 * below admin, unless the operator allowed them ({@link ALLOW_UNSANDBOXED_ENV}): such a command can
 * read the data directory, and with it the tokens (design: "unsandboxed jobs need admin").
 * @throws UnsandboxedForbiddenError naming the file, the document and the field paths; nothing has been stored.
 */
export function refuseUnsandboxed(
  resources: readonly { resource: AnalysisTemplate | Release; document: number }[],
  file: string,
  role: Role,
): void {
  if (role === 'admin' || process.env[ALLOW_UNSANDBOXED_ENV] === '1') return;
  const found = resources.flatMap(({ resource, document }) =>
    unsandboxedOptions(resource).map((path) => ({ document, path, name: resource.metadata.name })),
  );
  if (found.length === 0) return;
  throw new UnsandboxedForbiddenError(
    `${file}: ${found
      .map((f) => `document ${f.document + 1} (${f.name}) ${f.path}`)
      .join(
        ', ',
      )}: runs a command outside the job sandbox or with the host's network, which needs the admin role (a ${role} may not), or ${ALLOW_UNSANDBOXED_ENV}=1 on the server`,
    found[0]!.path,
  );
}
