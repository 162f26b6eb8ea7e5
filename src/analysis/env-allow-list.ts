/**
 * The operator's allow-list for AnalysisTemplate args `valueFrom.env`: without it an AnalysisTemplate
 * could read any variable of the server (cloud credentials included) into a metric.
 */

/** The server's environment variable holding the allow-list: names separated by commas. */
export const ANALYSIS_ENV_ALLOW_VARIABLE = 'CUTOVER_ANALYSIS_ENV_ALLOW';

/**
 * Parses `CUTOVER_ANALYSIS_ENV_ALLOW`: variable names separated by commas, blanks ignored.
 * Unset or empty: no variable is allowed. Pure.
 *
 * @example parseAnalysisEnvAllow('REGION, PROM_URL') // ['REGION', 'PROM_URL']
 */
export function parseAnalysisEnvAllow(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

/** Why a `valueFrom.env` is refused, and how the operator allows it. Pure. */
export function envNotAllowedMessage(variable: string): string {
  return `environment variable ${variable} is not in the operator's allow-list: start the server with ${ANALYSIS_ENV_ALLOW_VARIABLE}=${variable} (names separated by commas) to allow it`;
}

/** One refused `valueFrom.env`: its field path inside the resource and the message. */
export interface EnvArgIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Every `valueFrom.env` in a resource (AnalysisTemplate args, a Rollout's analysis args in steps,
 * background and blue-green analyses, a Release's rollouts) whose variable is not in `allow`.
 * Pure; walks the whole value, so a new place for args is covered without a change here.
 */
export function envArgIssues(resource: unknown, allow: readonly string[]): EnvArgIssue[] {
  const issues: EnvArgIssue[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, [...path, i]);
      });
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, item] of Object.entries(value)) {
      const env =
        key === 'valueFrom' && typeof item === 'object' && item !== null
          ? (item as { env?: unknown }).env
          : undefined;
      if (typeof env === 'string' && !allow.includes(env)) {
        issues.push({ path: [...path, 'valueFrom', 'env'], message: envNotAllowedMessage(env) });
      }
      walk(item, [...path, key]);
    }
  };
  walk(resource, []);
  return issues;
}
