/**
 * Errors of the analysis module. Every error has a stable `code` (`CUTOVER_E_...`) so callers and
 * the docs' error table can match on it rather than on the message.
 */

/** Stable codes of the analysis module's errors (see docs/analysis.md, "Error codes"). */
export const ANALYSIS_ERROR_CODES = [
  'CUTOVER_E_EXPRESSION_SYNTAX',
  'CUTOVER_E_EXPRESSION_EVALUATION',
  'CUTOVER_E_ANALYSIS_TEMPLATE',
  'CUTOVER_E_ANALYSIS_ENV_NOT_ALLOWED',
  'CUTOVER_E_ANALYSIS_METRIC_INVALID',
  'CUTOVER_E_ANALYSIS_UNKNOWN_METRIC',
  'CUTOVER_E_METRIC_PROVIDER',
  'CUTOVER_E_PROVIDER_HTTP',
  'CUTOVER_E_PROVIDER_RESPONSE',
  'CUTOVER_E_JOB_SANDBOX',
  'CUTOVER_E_MEASUREMENT_TIMEOUT',
] as const;
/** One of {@link ANALYSIS_ERROR_CODES}. */
export type AnalysisErrorCode = (typeof ANALYSIS_ERROR_CODES)[number];

/** Base class of every error thrown by the analysis module. */
export class AnalysisError extends Error {
  /** Stable machine-readable code. */
  readonly code: AnalysisErrorCode;
  /** Whether repeating the same operation later may succeed (a provider outage) or not (bad input). */
  readonly retryable: boolean;

  constructor(code: AnalysisErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}

/**
 * A condition expression that does not parse, as expr-lang's compile error (Argo Rollouts compiles
 * `successCondition` / `failureCondition` with expr). Not retryable: the spec must be fixed.
 */
export class ExpressionSyntaxError extends AnalysisError {
  /** The expression as written. */
  readonly source: string;
  /** 1-based column of the offending character (source.length + 1 for "end of input"). */
  readonly column: number;

  constructor(source: string, column: number, message: string) {
    super('CUTOVER_E_EXPRESSION_SYNTAX', `${message} (column ${column} of ${JSON.stringify(source)})`);
    this.source = source;
    this.column = column;
  }
}

/**
 * An expression that parsed but could not be evaluated against the given environment (unknown name,
 * index out of range, mismatched types), as expr-lang's runtime error. Argo Rollouts turns it into a
 * measurement in phase Error.
 */
export class ExpressionEvaluationError extends AnalysisError {
  /** The expression as written. */
  readonly source: string;

  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super('CUTOVER_E_EXPRESSION_EVALUATION', message, options);
    this.source = source;
  }
}

/**
 * An AnalysisTemplate (or the RolloutAnalysis referencing it) that cannot be turned into an
 * AnalysisRun: duplicate metric name, missing required arg, unresolvable `valueFrom`, an arg
 * substituted into a field that then is not a valid number.
 */
export class AnalysisTemplateError extends AnalysisError {
  /** Field path of the offending value, e.g. `spec.args[1].value` or `templates[0]`. */
  readonly fieldPath: string;
  /** Name of the template concerned, when known. */
  readonly template: string | undefined;

  constructor(
    fieldPath: string,
    message: string,
    options?: {
      template?: string;
      cause?: unknown;
      code?: Extract<AnalysisErrorCode, 'CUTOVER_E_ANALYSIS_TEMPLATE' | 'CUTOVER_E_ANALYSIS_ENV_NOT_ALLOWED'>;
    },
  ) {
    const where = options?.template === undefined ? fieldPath : `${options.template}: ${fieldPath}`;
    super(options?.code ?? 'CUTOVER_E_ANALYSIS_TEMPLATE', `${where}: ${message}`, options);
    this.fieldPath = fieldPath;
    this.template = options?.template;
  }
}

/**
 * An arg's `valueFrom.env` names a server environment variable that the operator has not allowed
 * (`CUTOVER_ANALYSIS_ENV_ALLOW`): refused at apply, and again when a run is built or measured (a
 * template stored before the allow-list changed).
 */
export class AnalysisEnvNotAllowedError extends AnalysisTemplateError {
  /** The environment variable the arg asked for. */
  readonly variable: string;

  constructor(fieldPath: string, variable: string, message: string) {
    super(fieldPath, message, { code: 'CUTOVER_E_ANALYSIS_ENV_NOT_ALLOWED' });
    this.variable = variable;
  }
}

/** A metric whose spec breaks Argo's rules (see `validateMetric`), raised when a run is built. */
export class MetricValidationError extends AnalysisError {
  /** Every problem found, each prefixed with its field path. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CUTOVER_E_ANALYSIS_METRIC_INVALID', `invalid metric: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** A metric provider could not take a measurement (unreachable data plane, unknown revision role). */
export class MetricProviderError extends AnalysisError {
  /** Provider type, e.g. `builtin`. */
  readonly provider: string;

  constructor(
    provider: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean; code?: ProviderErrorCode },
  ) {
    super(options?.code ?? 'CUTOVER_E_METRIC_PROVIDER', `${provider}: ${message}`, options);
    this.provider = provider;
  }
}

/** Codes of {@link MetricProviderError} and its subclasses. */
type ProviderErrorCode = Extract<
  AnalysisErrorCode,
  | 'CUTOVER_E_METRIC_PROVIDER'
  | 'CUTOVER_E_PROVIDER_HTTP'
  | 'CUTOVER_E_PROVIDER_RESPONSE'
  | 'CUTOVER_E_JOB_SANDBOX'
>;

/**
 * A provider's HTTP request failed: the backend was unreachable, timed out, or answered with a status
 * other than 2xx (as Argo Rollouts' web and prometheus providers, a measurement in phase Error).
 * Retryable unless the status is 4xx.
 */
export class ProviderHttpError extends MetricProviderError {
  /** The URL requested (without credentials). */
  readonly url: string;
  /** HTTP status, when the backend answered. */
  readonly status: number | undefined;

  constructor(
    provider: string,
    url: string,
    message: string,
    options?: { status?: number; cause?: unknown },
  ) {
    const status = options?.status;
    super(provider, message, {
      code: 'CUTOVER_E_PROVIDER_HTTP',
      cause: options?.cause,
      retryable: status === undefined || status >= 500 || status === 429,
    });
    this.url = url;
    this.status = status;
  }
}

/**
 * A provider's backend answered, but the answer cannot be used: Prometheus returned `status: error`
 * or an unsupported result type, a web response has no value at `jsonPath`.
 */
export class ProviderResponseError extends MetricProviderError {
  constructor(provider: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(provider, message, { ...options, code: 'CUTOVER_E_PROVIDER_RESPONSE' });
  }
}

/**
 * A job metric cannot run as its `sandbox` setting requires: `sandbox: required` without bubblewrap,
 * or the sandbox failed to start. Not retryable until the host is fixed.
 */
export class JobSandboxError extends MetricProviderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('job', message, { ...options, code: 'CUTOVER_E_JOB_SANDBOX' });
  }
}

/** A measurement did not finish within the runner's timeout; it is recorded as phase Error. */
export class MeasurementTimeoutError extends AnalysisError {
  /** Name of the metric being measured. */
  readonly metric: string;
  /** The timeout that elapsed, ms. */
  readonly timeoutMs: number;

  constructor(metric: string, timeoutMs: number) {
    super(
      'CUTOVER_E_MEASUREMENT_TIMEOUT',
      `measurement of metric ${metric} timed out after ${timeoutMs} ms`,
      {
        retryable: true,
      },
    );
    this.metric = metric;
    this.timeoutMs = timeoutMs;
  }
}

/** A measurement was recorded for a metric the run does not have. A programming error of the caller. */
export class UnknownMetricError extends AnalysisError {
  /** Name of the run. */
  readonly run: string;
  /** The metric name given. */
  readonly metric: string;

  constructor(run: string, metric: string) {
    super('CUTOVER_E_ANALYSIS_UNKNOWN_METRIC', `analysis run ${run} has no metric ${JSON.stringify(metric)}`);
    this.run = run;
    this.metric = metric;
  }
}
