import { createHash } from 'node:crypto';
import type { EvaluationContext } from '@openfeature/core';
import { type FeatureFlag, MemoryStorage } from '@openfeature/flagd-core';
import type { FeatureFlagsSpec } from '../spec/index.js';
import { FlagSetError } from './errors.js';

/**
 * One FeatureFlags resource as the data plane serves it: its name, its environment (absent = every
 * environment) and its flagd flag set.
 */
export interface ServedFlagSet {
  name: string;
  environment?: string;
  spec: FeatureFlagsSpec;
}

/** The header an OFREP request names its environment with (absent: the environment-less flags only). */
export const ENVIRONMENT_HEADER = 'x-cutover-environment';

/** An OFREP evaluation context (`targetingKey` and any attribute). */
type Context = Record<string, unknown>;

/** An OFREP answer: the HTTP status and the JSON body (OFREP 0.3, `service/openapi.yaml`). */
export interface OfrepAnswer {
  status: 200 | 400 | 404;
  body: Record<string, unknown>;
}

/** OFREP's evaluation failure codes (the `evaluationFailure` and `flagNotFound` schemas). */
type OfrepErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'PARSE_ERROR'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'GENERAL';

interface IndexedFlag {
  flag: FeatureFlag;
  /** Its targeting buckets by `targetingKey` (a `fractional` without its own bucketing value). */
  needsTargetingKey: boolean;
  /** The FeatureFlags resource that defines it. */
  set: string;
}

const QUIET_LOGGER = { error() {}, warn() {}, info() {}, debug() {} };

/** Longest chain of `$ref`s followed when looking for `fractional` (a cycle ends there). */
const MAX_REF_DEPTH = 16;

/**
 * The flags the data plane serves, evaluated by `@openfeature/flagd-core` (flagd's own evaluator:
 * JsonLogic, `fractional`, `sem_ver`, `starts_with`, `ends_with`), answered in OFREP's shapes.
 *
 * Scopes: the environment-less flag sets serve every request; a request naming an environment
 * (header `x-cutover-environment`) also sees that environment's sets, whose flags override the
 * environment-less flag of the same key. Immutable: a new flag set is a new `ServedFlags`.
 */
export class ServedFlags {
  /** sha256 (hex) of the flag sets as given ({@link flagSetsHash}). */
  readonly hash: string;
  readonly sets: readonly ServedFlagSet[];
  /** Flags by environment (`''` = every environment), then by key. */
  readonly #scopes = new Map<string, Map<string, IndexedFlag>>();

  private constructor(sets: readonly ServedFlagSet[]) {
    this.sets = sets;
    this.hash = flagSetsHash(sets);
  }

  /** No flag at all. */
  static empty(): ServedFlags {
    return new ServedFlags([]);
  }

  /**
   * Parses every flag set with flagd-core in strict mode (flagd's schema).
   * @throws FlagSetError naming the set (and flag) that flagd refuses, or a flag key defined twice
   *   in one scope.
   */
  static build(sets: readonly ServedFlagSet[]): ServedFlags {
    const served = new ServedFlags(sets);
    const names = new Set<string>();
    for (const set of sets) {
      if (names.has(set.name)) throw new FlagSetError(set.name, 'two flag sets have this name');
      names.add(set.name);
      const storage = new MemoryStorage(QUIET_LOGGER);
      try {
        storage.setConfigurations(
          JSON.stringify({
            flags: set.spec.flags,
            ...(set.spec.$evaluators !== undefined ? { $evaluators: set.spec.$evaluators } : {}),
            ...(set.spec.metadata !== undefined ? { metadata: set.spec.metadata } : {}),
          }),
          true,
        );
      } catch (error) {
        throw new FlagSetError(set.name, `flagd refuses it: ${(error as Error).message}`, { cause: error });
      }
      const scopeName = set.environment ?? '';
      let scope = served.#scopes.get(scopeName);
      if (scope === undefined) {
        scope = new Map();
        served.#scopes.set(scopeName, scope);
      }
      for (const [key, flag] of storage.getFlags()) {
        const other = scope.get(key);
        if (other !== undefined)
          throw new FlagSetError(
            set.name,
            `flag ${JSON.stringify(key)} is also defined by ${other.set}${scopeName === '' ? '' : ` (environment ${scopeName})`}`,
          );
        const targeting = set.spec.flags[key]?.['targeting'];
        scope.set(key, {
          flag,
          set: set.name,
          needsTargetingKey: bucketsByTargetingKey(targeting, set.spec.$evaluators ?? {}, 0),
        });
      }
    }
    return served;
  }

  /** Flag keys a request of `environment` sees, sorted. */
  keys(environment?: string): string[] {
    const keys = new Set(this.#scopes.get('')?.keys());
    if (environment !== undefined)
      for (const key of this.#scopes.get(environment)?.keys() ?? []) keys.add(key);
    return [...keys].sort();
  }

  #lookup(key: string, environment: string | undefined): IndexedFlag | undefined {
    return (
      (environment === undefined ? undefined : this.#scopes.get(environment)?.get(key)) ??
      this.#scopes.get('')?.get(key)
    );
  }

  /**
   * `POST /ofrep/v1/evaluate/flags/{key}`: 200 with `{key, value, reason, variant, metadata}`; a
   * disabled flag (or one without a default variant that no rule matched) is 200 without `value`
   * (OFREP's `codeDefaultFlag`: the caller's default applies); 404 `FLAG_NOT_FOUND`; 400 with
   * `errorCode` `INVALID_CONTEXT`, `TARGETING_KEY_MISSING`, `PARSE_ERROR` or `GENERAL`.
   *
   * Pure (but for the clock flagd's `$flagd.timestamp` reads).
   * @param context - the request's `context` (anything: it is checked here).
   */
  evaluate(key: string, context: unknown, environment?: string): OfrepAnswer {
    const invalid = contextProblem(context);
    if (invalid !== undefined) return failure(key, 'INVALID_CONTEXT', invalid);
    const indexed = this.#lookup(key, environment);
    if (indexed === undefined)
      return {
        status: 404,
        body: {
          key,
          errorCode: 'FLAG_NOT_FOUND',
          errorDetails: `flag '${key}' was not found${environment === undefined ? '' : ` (environment ${environment})`}`,
        },
      };
    return evaluateFlag(key, indexed, context as Context);
  }

  /**
   * `POST /ofrep/v1/evaluate/flags`: every flag the request's environment sees, each as
   * {@link evaluate} answers it (failures included, as `evaluationFailure` items); 400
   * `INVALID_CONTEXT` for the whole request when the context is not an object.
   */
  evaluateAll(context: unknown, environment?: string): OfrepAnswer {
    const invalid = contextProblem(context);
    if (invalid !== undefined)
      return { status: 400, body: { errorCode: 'INVALID_CONTEXT', errorDetails: invalid } };
    const flags = this.keys(environment).map((key) => {
      const indexed = this.#lookup(key, environment) as IndexedFlag;
      return evaluateFlag(key, indexed, context as Context).body;
    });
    return { status: 200, body: { flags } };
  }
}

function contextProblem(context: unknown): string | undefined {
  if (typeof context !== 'object' || context === null || Array.isArray(context))
    return 'context must be an object (e.g. {"targetingKey": "user-1"})';
  const targetingKey = (context as Context)['targetingKey'];
  if (targetingKey !== undefined && typeof targetingKey !== 'string')
    return 'context.targetingKey must be a string';
  return undefined;
}

function failure(
  key: string,
  errorCode: OfrepErrorCode,
  errorDetails: string,
  metadata?: object,
): OfrepAnswer {
  return { status: 400, body: { key, errorCode, errorDetails, ...(metadata ? { metadata } : {}) } };
}

function evaluateFlag(key: string, indexed: IndexedFlag, context: Context): OfrepAnswer {
  const { flag } = indexed;
  const metadata = flag.metadata;
  if (flag.state === 'DISABLED') return { status: 200, body: { key, reason: 'DISABLED', metadata } };
  if (indexed.needsTargetingKey && (context['targetingKey'] === undefined || context['targetingKey'] === ''))
    return failure(
      key,
      'TARGETING_KEY_MISSING',
      `flag '${key}' splits by targetingKey (fractional): the context must have one`,
      metadata,
    );
  const result = flag.evaluate(context as EvaluationContext, QUIET_LOGGER);
  if (result.reason === 'ERROR') {
    const code = result.errorCode === 'PARSE_ERROR' ? 'PARSE_ERROR' : 'GENERAL';
    return failure(key, code, result.errorMessage ?? 'evaluation failed', metadata);
  }
  if (result.value === undefined) return { status: 200, body: { key, reason: result.reason, metadata } };
  return {
    status: 200,
    body: { key, value: result.value, reason: result.reason, variant: result.variant, metadata },
  };
}

/**
 * Whether a targeting rule holds a `fractional` that buckets by the `targetingKey` (its first
 * argument is a bucket, not a bucketing value of its own), following `$ref`s into the set's
 * `$evaluators`.
 */
function bucketsByTargetingKey(rule: unknown, evaluators: Record<string, unknown>, depth: number): boolean {
  if (depth > MAX_REF_DEPTH || typeof rule !== 'object' || rule === null) return false;
  if (Array.isArray(rule)) return rule.some((item) => bucketsByTargetingKey(item, evaluators, depth));
  for (const [operator, args] of Object.entries(rule)) {
    if (operator === '$ref' && typeof args === 'string')
      return bucketsByTargetingKey(evaluators[args], evaluators, depth + 1);
    if (operator === 'fractional' && Array.isArray(args) && Array.isArray(args[0])) return true;
    if (bucketsByTargetingKey(args, evaluators, depth)) return true;
  }
  return false;
}

/** The identity of a list of flag sets: sha256 (hex) of their JSON, in the order given. */
export function flagSetsHash(sets: readonly ServedFlagSet[]): string {
  return createHash('sha256').update(JSON.stringify(sets)).digest('hex');
}
