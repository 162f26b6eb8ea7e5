import { API_VERSION, type FeatureFlags, type FlagdFlag, formatPath } from '../spec/index.js';
import { SeedFlagsError } from './errors.js';

/**
 * `cutover flags import`: the seed's `feature-flags.json` (agent-feature-flags' controller) as
 * FeatureFlags resources in flagd's format.
 *
 * Accepted input (JSON):
 * ```json
 * {
 *   "flags": {
 *     "new_planner": {
 *       "enabled": true,
 *       "rollout_percentage": 25,
 *       "target_users": ["alice", "bob"],
 *       "environments": ["staging", "production"],
 *       "description": "the new planner"
 *     }
 *   },
 *   "killswitches": { "new_planner": false }
 * }
 * ```
 * `flags` may also be a list of flags, each with its key in `name` (or `key`); `killswitches` may
 * also be a list of the keys killed. Every field of a flag is optional: `enabled` true,
 * `rollout_percentage` 100, `target_users` none, `environments` every environment.
 *
 * Conversion of one flag (boolean variants `on: true`, `off: false`, `defaultVariant: off`):
 * - `enabled: false`: `off` for everyone (no targeting).
 * - `rollout_percentage: 100`: `on` for everyone (`defaultVariant: on`).
 * - otherwise the targeting is `if targetingKey in target_users then on, else fractional
 *   [[on, p], [off, 100 - p]]` (the `if` only with target users, the `fractional` only with
 *   0 < p < 100; a percentage with decimals is kept exact with scaled integer weights).
 * - a kill switch set (`true`, or listed): `state: DISABLED` (every evaluation answers the
 *   caller's default, as `cutover flags kill`).
 * - `environments`: cutover scopes flags by FeatureFlags resource (`metadata.environment`,
 *   chosen by a request's `x-cutover-environment` header). The flag is `off` in the
 *   environment-less resource `<name>` and defined as above in one resource `<name>-<env>` per
 *   environment listed, whose flags override the environment-less ones for requests of that
 *   environment. A request that names no environment, or another one, gets `off`.
 * - `description`: the flag's `metadata.description`.
 */

/** Options of {@link convertSeedFlags}. */
export interface SeedFlagsOptions {
  /** Name of the environment-less resource; the per-environment ones are `<name>-<environment>`. A DNS-1123 label. */
  name: string;
  /** The input file as named on the command line (for messages). */
  file: string;
}

/** What {@link convertSeedFlags} makes. */
export interface SeedFlagsConversion {
  /** The environment-less resource first, then one per environment, by environment name. */
  resources: FeatureFlags[];
  /** Fields ignored (unknown to the seed's format), one message each, with the file and path. */
  warnings: string[];
}

type Path = (string | number)[];

const FLAG_FIELDS = ['enabled', 'rollout_percentage', 'target_users', 'environments', 'description'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Longest flag key, characters (as a FeatureFlags resource's). */
const MAX_KEY_LENGTH = 256;
/** Most target users of one flag (flagd evaluates `in` over the list at each evaluation). */
const MAX_TARGET_USERS = 10_000;

interface SeedFlag {
  key: string;
  path: Path;
  enabled: boolean;
  percentage: number;
  users: string[];
  environments: string[] | undefined;
  description: string | undefined;
  killed: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Converts the seed's feature-flags.json (parsed) into FeatureFlags resources (see the module's
 * rules). Pure.
 * @throws SeedFlagsError listing every problem (wrong types, out-of-range values, a kill switch
 *   naming no flag, a duplicate key, a resource name too long), each with the file and field path.
 */
export function convertSeedFlags(input: unknown, options: SeedFlagsOptions): SeedFlagsConversion {
  const problems: { path: Path; message: string }[] = [];
  const warnings: string[] = [];
  const fail = (path: Path, message: string) => problems.push({ path, message });
  const warn = (path: Path, message: string) =>
    warnings.push(`${options.file}: ${formatPath(path)}: ${message}`);

  if (!DNS_LABEL.test(options.name))
    fail([], `the resource name ${JSON.stringify(options.name)} is not a DNS-1123 label (use --name)`);
  if (!isRecord(input)) {
    fail([], `expected a mapping {"flags": ..., "killswitches": ...}, got ${describe(input)}`);
    throw new SeedFlagsError(options.file, problems);
  }
  for (const key of Object.keys(input)) {
    if (key !== 'flags' && key !== 'killswitches') warn([key], 'unknown field, ignored');
  }
  const flags = readFlags(input['flags'], fail, warn);
  const killed = readKillswitches(input['killswitches'], fail);
  for (const [key, path] of killed) {
    const flag = flags.find((f) => f.key === key);
    if (flag === undefined) fail(path, `kill switch ${JSON.stringify(key)} names no flag of "flags"`);
    else flag.killed = true;
  }
  const environments = [...new Set(flags.flatMap((f) => f.environments ?? []))].sort();
  for (const environment of environments) {
    const name = `${options.name}-${environment}`;
    if (name.length > 63)
      fail(
        [],
        `the resource of environment ${environment} would be named ${name}, longer than 63 characters: use a shorter --name`,
      );
  }
  if (problems.length > 0) throw new SeedFlagsError(options.file, problems);

  const resource = (name: string, entries: [string, FlagdFlag][], environment?: string): FeatureFlags => ({
    apiVersion: API_VERSION,
    kind: 'FeatureFlags',
    metadata: { name, ...(environment !== undefined ? { environment } : {}) },
    spec: { flags: Object.fromEntries(entries) },
  });
  const resources = [
    resource(
      options.name,
      flags.map((f) => [
        f.key,
        f.environments === undefined ? definition(f) : definition({ ...f, enabled: false }),
      ]),
    ),
    ...environments.map((environment) =>
      resource(
        `${options.name}-${environment}`,
        flags
          .filter((f) => f.environments?.includes(environment) === true)
          .map((f) => [f.key, definition(f)]),
        environment,
      ),
    ),
  ];
  return { resources, warnings };
}

/** The flags of `flags`, a mapping by key or a list of flags with `name` (or `key`). */
function readFlags(
  value: unknown,
  fail: (path: Path, message: string) => void,
  warn: (path: Path, message: string) => void,
): SeedFlag[] {
  const out: SeedFlag[] = [];
  const entries: [string | undefined, unknown, Path][] = [];
  if (value === undefined) {
    fail(['flags'], 'required: a mapping of flag keys to flags (or a list of flags with name)');
    return out;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const path: Path = ['flags', i];
      if (!isRecord(item)) {
        fail(path, `expected a flag (a mapping with name), got ${describe(item)}`);
        continue;
      }
      const key = item['name'] ?? item['key'];
      if (typeof key !== 'string') {
        fail(
          [...path, item['name'] !== undefined ? 'name' : 'key'],
          `expected the flag's key as a string, got ${describe(key)}`,
        );
        continue;
      }
      const { name: _n, key: _k, ...rest } = item;
      entries.push([key, rest, path]);
    }
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) entries.push([key, item, ['flags', key]]);
  } else {
    fail(['flags'], `expected a mapping of flag keys to flags (or a list of flags), got ${describe(value)}`);
    return out;
  }
  const seen = new Map<string, Path>();
  for (const [key, item, path] of entries) {
    if (key === undefined) continue;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || CONTROL.test(key)) {
      fail(
        path,
        `expected a flag key of 1..${MAX_KEY_LENGTH} characters without control characters, got ${JSON.stringify(key)}`,
      );
      continue;
    }
    const other = seen.get(key);
    if (other !== undefined) {
      fail(path, `flag ${JSON.stringify(key)} is also defined at ${formatPath(other)}`);
      continue;
    }
    seen.set(key, path);
    if (!isRecord(item)) {
      fail(path, `expected a flag (a mapping of ${FLAG_FIELDS.join(', ')}), got ${describe(item)}`);
      continue;
    }
    for (const field of Object.keys(item)) {
      if (!FLAG_FIELDS.includes(field)) warn([...path, field], 'unknown field, ignored');
    }
    const enabled = item['enabled'] ?? true;
    if (typeof enabled !== 'boolean')
      fail([...path, 'enabled'], `expected true or false, got ${describe(enabled)}`);
    const percentage = item['rollout_percentage'] ?? 100;
    if (typeof percentage !== 'number' || !Number.isFinite(percentage) || percentage < 0 || percentage > 100)
      fail([...path, 'rollout_percentage'], `expected a number 0..100, got ${describe(percentage)}`);
    const users = readStrings(item['target_users'], [...path, 'target_users'], 'user ids', fail);
    if (users !== undefined && users.length > MAX_TARGET_USERS)
      fail([...path, 'target_users'], `expected at most ${MAX_TARGET_USERS} users, got ${users.length}`);
    const environments = readStrings(
      item['environments'],
      [...path, 'environments'],
      'environment names',
      fail,
    );
    for (const [i, environment] of (environments ?? []).entries()) {
      if (!DNS_LABEL.test(environment))
        fail(
          [...path, 'environments', i],
          `expected an environment name (a DNS-1123 label: lower-case letters, digits, -), got ${JSON.stringify(environment)}`,
        );
    }
    const description = item['description'];
    if (description !== undefined && typeof description !== 'string')
      fail([...path, 'description'], `expected a string, got ${describe(description)}`);
    out.push({
      key,
      path,
      enabled: enabled === true,
      percentage: typeof percentage === 'number' ? percentage : 100,
      users: users ?? [],
      // An empty list restricts nothing: every environment, as an absent one.
      environments:
        environments === undefined || environments.length === 0 ? undefined : [...new Set(environments)],
      description: typeof description === 'string' ? description : undefined,
      killed: false,
    });
  }
  return out;
}

function readStrings(
  value: unknown,
  path: Path,
  what: string,
  fail: (path: Path, message: string) => void,
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    fail(path, `expected a list of ${what} (strings), got ${describe(value)}`);
    return undefined;
  }
  const out: string[] = [];
  for (const [i, item] of value.entries()) {
    if (typeof item === 'string') out.push(item);
    else fail([...path, i], `expected a string, got ${describe(item)}`);
  }
  return out;
}

/** The keys a kill switch is set for: a mapping of keys to true/false, or a list of keys. */
function readKillswitches(value: unknown, fail: (path: Path, message: string) => void): [string, Path][] {
  if (value === undefined) return [];
  if (Array.isArray(value)) {
    const out: [string, Path][] = [];
    for (const [i, key] of value.entries()) {
      if (typeof key === 'string') out.push([key, ['killswitches', i]]);
      else fail(['killswitches', i], `expected a flag key, got ${describe(key)}`);
    }
    return out;
  }
  if (!isRecord(value)) {
    fail(
      ['killswitches'],
      `expected a mapping of flag keys to true/false (or a list of keys), got ${describe(value)}`,
    );
    return [];
  }
  const out: [string, Path][] = [];
  for (const [key, on] of Object.entries(value)) {
    if (typeof on !== 'boolean') fail(['killswitches', key], `expected true or false, got ${describe(on)}`);
    else if (on) out.push([key, ['killswitches', key]]);
  }
  return out;
}

/** Integer weights `[on, off]` for `percentage`% on, exact to 4 decimals (flagd's weights are integers). */
function weights(percentage: number): [number, number] {
  let scale = 1;
  while (scale < 10_000 && !Number.isInteger(Number((percentage * scale).toFixed(6)))) scale *= 10;
  const on = Math.round(percentage * scale);
  return [on, 100 * scale - on];
}

/** The flagd definition of one seed flag (see the module's rules). */
function definition(f: SeedFlag): FlagdFlag {
  const flag: FlagdFlag = {
    state: f.killed ? 'DISABLED' : 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: 'off',
  };
  if (f.enabled && f.percentage >= 100) flag['defaultVariant'] = 'on';
  else if (f.enabled) {
    const [on, off] = weights(f.percentage);
    const split =
      on > 0
        ? {
            fractional: [
              ['on', on],
              ['off', off],
            ],
          }
        : undefined;
    if (f.users.length > 0)
      flag['targeting'] = { if: [{ in: [{ var: 'targetingKey' }, f.users] }, 'on', split ?? 'off'] };
    else if (split !== undefined) flag['targeting'] = split;
  }
  if (f.description !== undefined) flag['metadata'] = { description: f.description };
  return flag;
}
