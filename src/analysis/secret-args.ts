/**
 * Args whose value is a secret: `valueFrom.secretKeyRef` and `valueFrom.env`. Their values are
 * never substituted into a stored AnalysisRun: the run keeps the `{{args.name}}` placeholders and
 * the reference (`spec.args[].valueFrom`), and the runner reads the value again at each
 * measurement, as Argo Rollouts resolves a secretKeyRef when it measures.
 */

import { SecretValue } from '../secret/index.js';
import type { AnalysisArg } from '../spec/types.js';
import { envNotAllowedMessage } from './env-allow-list.js';
import { AnalysisEnvNotAllowedError, AnalysisTemplateError } from './errors.js';
import type { AnalysisRunSpec } from './types.js';

/** Where secret args are read: the server's environment and the operator's allow-list for `env`. */
export interface ArgSources {
  /** The server's environment (`process.env`). */
  env: Record<string, string | undefined>;
  /**
   * Variables `valueFrom.env` may read (from `CUTOVER_ANALYSIS_ENV_ALLOW`); any other is refused.
   * @default [] (every `valueFrom.env` refused)
   */
  envAllow?: readonly string[];
}

/** The part of an arg's `valueFrom` that makes it a secret, as recorded in a run's `spec.args`. */
export type SecretArgSource = Pick<NonNullable<AnalysisArg['valueFrom']>, 'env' | 'secretKeyRef'>;

/**
 * The environment variable a `secretKeyRef` reads: `CUTOVER_SECRET_<NAME>_<KEY>`, upper-cased, every
 * character other than A-Z and 0-9 replaced by `_`. Pure.
 *
 * @example secretEnvName('db-creds', 'api.token') // 'CUTOVER_SECRET_DB_CREDS_API_TOKEN'
 */
export function secretEnvName(name: string, key: string): string {
  return `CUTOVER_SECRET_${name}_${key}`.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Whether an arg's `valueFrom` gives a secret value (`env` or `secretKeyRef`). Pure. */
export function isSecretArgSource(valueFrom: AnalysisArg['valueFrom']): boolean {
  return valueFrom?.env !== undefined || valueFrom?.secretKeyRef !== undefined;
}

/**
 * Reads a secret arg: `valueFrom.env` (only a variable in `sources.envAllow`) or
 * `valueFrom.secretKeyRef` (the variable {@link secretEnvName}). Error messages name the variable,
 * never a value.
 *
 * @param path - field path of the arg, e.g. `spec.args[0]`
 * @throws AnalysisEnvNotAllowedError for an `env` variable outside the allow-list
 * @throws AnalysisTemplateError when the variable is not set
 */
export function readSecretArg(source: SecretArgSource, path: string, sources: ArgSources): SecretValue {
  if (source.env !== undefined) {
    if (!(sources.envAllow ?? []).includes(source.env)) {
      throw new AnalysisEnvNotAllowedError(
        `${path}.valueFrom.env`,
        source.env,
        envNotAllowedMessage(source.env),
      );
    }
    const value = sources.env[source.env];
    if (value === undefined) {
      throw new AnalysisTemplateError(
        `${path}.valueFrom.env`,
        `environment variable ${source.env} is not set`,
      );
    }
    return new SecretValue(value);
  }
  const ref = source.secretKeyRef as { name: string; key: string };
  const variable = secretEnvName(ref.name, ref.key);
  const value = sources.env[variable];
  if (value === undefined) {
    throw new AnalysisTemplateError(
      `${path}.valueFrom.secretKeyRef`,
      `secret ${ref.name}/${ref.key} not found: set environment variable ${variable}`,
    );
  }
  return new SecretValue(value);
}

/**
 * The secret args of a stored run, read again from `sources` (see {@link readSecretArg}), by arg
 * name. Empty when the run has none.
 * @throws AnalysisTemplateError | AnalysisEnvNotAllowedError as {@link readSecretArg}
 */
export function resolveRunSecrets(spec: AnalysisRunSpec, sources: ArgSources): Map<string, SecretValue> {
  const secrets = new Map<string, SecretValue>();
  (spec.args ?? []).forEach((arg, i) => {
    if (arg.valueFrom !== undefined && isSecretArgSource(arg.valueFrom)) {
      secrets.set(arg.name, readSecretArg(arg.valueFrom, `spec.args[${i}]`, sources));
    }
  });
  return secrets;
}
