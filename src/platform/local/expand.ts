/**
 * Expand `$(VAR)` references as Kubernetes does for a container's command, args and env values:
 * `$(VAR)` is replaced by VAR's value when VAR is defined, left as-is otherwise; `$$` is an escaped
 * `$` (so `$$(VAR)` yields the literal `$(VAR)`). Pure.
 *
 * @example expandVars('--port=$(PORT)', { PORT: '8080' }) // '--port=8080'
 */
export function expandVars(input: string, env: Readonly<Record<string, string | undefined>>): string {
  if (!input.includes('$')) return input;
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = env[name];
      out += value === undefined ? input.slice(i, close + 1) : value;
      i = close + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Whether a variable of the server's environment stays out of replicas: cutover's own settings and
 * credentials (`CUTOVER_*`, such as `CUTOVER_TOKEN` and `CUTOVER_SECRET_<NAME>_<KEY>`) and the
 * variables analysis args may read as secrets (listed in `CUTOVER_ANALYSIS_ENV_ALLOW`): a secret
 * value reaches no process but the one that uses it. Pure.
 */
function serverOnly(name: string, base: Readonly<Record<string, string | undefined>>): boolean {
  if (name.startsWith('CUTOVER_')) return true;
  return (base.CUTOVER_ANALYSIS_ENV_ALLOW ?? '')
    .split(',')
    .map((n) => n.trim())
    .includes(name);
}

/**
 * The environment of a replica: the data plane's own (without the server's settings and secrets:
 * `CUTOVER_*` and the variables `CUTOVER_ANALYSIS_ENV_ALLOW` lists), then the template's `env` (each
 * value expanded against the variables before it, as Kubernetes does), then `extra` (PORT, ...)
 * which wins. Pure.
 */
export function replicaEnv(
  base: Readonly<Record<string, string | undefined>>,
  templateEnv: Readonly<Record<string, string>> | undefined,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !serverOnly(k, base)) env[k] = v;
  Object.assign(env, extra);
  for (const [k, v] of Object.entries(templateEnv ?? {})) env[k] = expandVars(v, env);
  Object.assign(env, extra);
  return env;
}
