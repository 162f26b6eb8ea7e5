/**
 * The comparisons of a drift pass, pure: desired against observed, one {@link DriftFinding} per
 * field that differs.
 */
import {
  type ListenerSpec,
  type ReplicaStatus,
  type RolloutDataPlaneSpec,
  type RolloutDataPlaneStatus,
  replicaSetKey,
} from '../dataplane/protocol.js';
import type { ServedFlagSet } from '../flags/served-flags.js';
import type { DriftAspect, DriftFinding } from './types.js';
import type { DirectoryChecksum, DirectoryNotChecked } from './workdir.js';

/** How a value that does not exist reads in a finding. */
export const ABSENT = '(absent)';
/** Longest value shown in a finding, characters (a long targeting rule is cut). */
const MAX_VALUE_LENGTH = 200;
/** Most findings of one working directory named file by file; the rest are summed up in one more. */
const MAX_FILE_FINDINGS = 20;

/** A value as a finding shows it: strings as they are, the rest as JSON, absent as {@link ABSENT}. */
function show(value: unknown): string {
  if (value === undefined) return ABSENT;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function finding(
  kind: DriftFinding['kind'],
  name: string,
  aspect: DriftAspect,
  field: string,
  desired: string,
  observed: string,
): DriftFinding {
  return { kind, name, aspect, field, desired, observed };
}

/** A listener's weighted backends as `r1=90 r2=10` (positive weights only, by replica set); `none` when none. */
function weights(listener: ListenerSpec): string {
  const list = listener.backends
    .filter((b) => b.weight > 0)
    .map((b) => [replicaSetKey(b), b.weight] as const)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([key, weight]) => `${key}=${weight}`);
  return list.length === 0 ? 'none' : list.join(' ');
}

/**
 * Where the data plane's state of a Rollout differs from the desired state, field by field: the
 * replica sets (count, template hash, ordinals; one that should not run, or is missing), the active
 * replica, the traffic policy, and per listener port the weights, header routes, mirror routes and
 * session affinity. No finding exactly when the controller's `dataPlaneMatches` holds (the same
 * fields, compared the same way). Pure.
 */
export function dataPlaneDrift(
  desired: RolloutDataPlaneSpec,
  observed: RolloutDataPlaneStatus | undefined,
): DriftFinding[] {
  const f = (field: string, d: unknown, o: unknown) =>
    finding('Rollout', desired.rollout, 'dataPlane', field, show(d), show(o));
  if (observed === undefined) return [f('rollout', 'running', undefined)];
  const out: DriftFinding[] = [];
  const describe = (rs: { replicas: number; hash: string }) => `${rs.replicas} replica(s) of ${rs.hash}`;
  for (const rs of desired.replicaSets) {
    const key = replicaSetKey(rs);
    const seen = observed.replicaSets.find((o) => replicaSetKey(o) === key);
    if (rs.replicas === 0 && (!seen || seen.replicas === 0)) continue;
    if (seen === undefined) {
      out.push(f(`replicaSets[${key}]`, describe(rs), undefined));
      continue;
    }
    if (seen.hash !== rs.hash) out.push(f(`replicaSets[${key}].hash`, rs.hash, seen.hash));
    if (seen.replicas !== rs.replicas)
      out.push(f(`replicaSets[${key}].replicas`, rs.replicas, seen.replicas));
    if (JSON.stringify(seen.ordinals) !== JSON.stringify(rs.ordinals))
      out.push(f(`replicaSets[${key}].ordinals`, rs.ordinals, seen.ordinals));
  }
  for (const o of observed.replicaSets) {
    const key = replicaSetKey(o);
    if (o.replicas > 0 && !desired.replicaSets.some((rs) => replicaSetKey(rs) === key))
      out.push(f(`replicaSets[${key}]`, undefined, describe(o)));
  }
  if (desired.activeReplica !== observed.activeReplica)
    out.push(f('activeReplica', desired.activeReplica, observed.activeReplica));
  for (const field of ['outlierDetection', 'timeoutMs', 'connectionPool', 'retries'] as const) {
    if (JSON.stringify(desired[field]) !== JSON.stringify(observed[field]))
      out.push(f(field, desired[field], observed[field]));
  }
  const ports = [...new Set([...desired.listeners, ...observed.listeners].map((l) => l.port))].sort(
    (a, b) => a - b,
  );
  for (const port of ports) {
    const d = desired.listeners.find((l) => l.port === port);
    const o = observed.listeners.find((l) => l.port === port);
    if (d === undefined || o === undefined) {
      out.push(f(`listeners[${port}]`, d && `weights ${weights(d)}`, o && `weights ${weights(o)}`));
      continue;
    }
    if (weights(d) !== weights(o)) out.push(f(`listeners[${port}].weights`, weights(d), weights(o)));
    for (const field of ['headerRoutes', 'mirrorRoutes'] as const) {
      if (JSON.stringify(d[field] ?? []) !== JSON.stringify(o[field] ?? []))
        out.push(f(`listeners[${port}].${field}`, d[field] ?? [], o[field] ?? []));
    }
    if (JSON.stringify(d.sessionAffinity ?? null) !== JSON.stringify(o.sessionAffinity ?? null))
      out.push(f(`listeners[${port}].sessionAffinity`, d.sessionAffinity, o.sessionAffinity));
  }
  return out;
}

/** The desired environment of one replica set: its identity and the fingerprint of each variable. */
export interface DesiredEnvironment {
  key: string;
  hash: string;
  /** As `envFingerprints` of the template's `env` the controller computed (ConfigMaps and Secrets merged in). */
  env: Record<string, string>;
}

/** Replica states whose environment counts: a replica on its way out is not compared. */
const COMPARED_STATES: ReadonlySet<ReplicaStatus['state']> = new Set(['Starting', 'Running', 'Crashed']);

/**
 * Where a running replica was started with another environment than the one the controller
 * computed for its replica set (same set, same template hash): one finding per variable, values as
 * fingerprints. Replicas that report no fingerprints (a data plane older than drift detection) are
 * not compared. Pure.
 */
export function environmentDrift(
  rollout: string,
  desired: readonly DesiredEnvironment[],
  observed: RolloutDataPlaneStatus | undefined,
): DriftFinding[] {
  const out: DriftFinding[] = [];
  for (const d of desired) {
    const seen = observed?.replicaSets.find((o) => replicaSetKey(o) === d.key && o.hash === d.hash);
    for (const replica of seen?.replicaStatuses ?? []) {
      const env = replica.envFingerprints;
      if (env === undefined || !COMPARED_STATES.has(replica.state)) continue;
      for (const name of [...new Set([...Object.keys(d.env), ...Object.keys(env)])].sort()) {
        if (d.env[name] !== env[name])
          out.push(
            finding(
              'Rollout',
              rollout,
              'environment',
              `replicas[${replica.id}].env.${name}`,
              show(d.env[name]),
              show(env[name]),
            ),
          );
      }
    }
  }
  return out;
}

/** A checksum as a finding shows it: `sha256:<16 hex> (N files, B bytes)`. */
function summary(c: DirectoryChecksum): string {
  return `sha256:${c.sha256.slice(0, 16)} (${c.files} files, ${c.bytes} bytes)`;
}

/**
 * Where a revision's working directory differs from its checksum taken when the revision was
 * created: one finding per file added, removed or changed when both have a manifest (at most
 * {@link MAX_FILE_FINDINGS}, then one for the rest), else one for the whole directory. Pure.
 */
export function workingDirectoryDrift(
  rollout: string,
  revision: number,
  taken: DirectoryChecksum,
  now: DirectoryChecksum | DirectoryNotChecked,
): DriftFinding[] {
  const field = `revisions[${revision}].workingDirectory`;
  const f = (at: string, d: string, o: string) => finding('Rollout', rollout, 'workingDirectory', at, d, o);
  if ('error' in now) return [f(field, summary(taken), `(not checked: ${now.error})`)];
  if (now.sha256 === taken.sha256) return [];
  if (taken.manifest === undefined || now.manifest === undefined)
    return [f(field, summary(taken), summary(now))];
  const paths = [...new Set([...Object.keys(taken.manifest), ...Object.keys(now.manifest)])].sort();
  const changed = paths.filter((p) => taken.manifest![p] !== now.manifest![p]);
  const out = changed
    .slice(0, MAX_FILE_FINDINGS)
    .map((p) => f(`${field}[${JSON.stringify(p)}]`, show(taken.manifest![p]), show(now.manifest![p])));
  if (changed.length > MAX_FILE_FINDINGS)
    out.push(
      f(field, summary(taken), `${summary(now)}; ${changed.length - MAX_FILE_FINDINGS} more file(s) differ`),
    );
  // Same manifest, another total: only a hash beyond the 16 characters kept differs.
  if (out.length === 0) out.push(f(field, summary(taken), summary(now)));
  return out;
}

/** JSON with object keys sorted at every depth: equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/** The top-level fields of a flagd flag, compared one by one. */
const FLAG_FIELDS = ['state', 'defaultVariant', 'variants', 'targeting', 'metadata'] as const;

/**
 * Where the flag sets the data plane serves differ from the stored FeatureFlags resources: a set
 * missing or extra, its environment, each flag missing, extra or with another state, default
 * variant, variants, targeting or metadata, and the set's `$evaluators` and `metadata`. Pure.
 */
export function flagsDrift(
  desired: readonly ServedFlagSet[],
  observed: readonly ServedFlagSet[],
): DriftFinding[] {
  const out: DriftFinding[] = [];
  const names = [...new Set([...desired, ...observed].map((s) => s.name))].sort();
  for (const name of names) {
    const f = (field: string, d: unknown, o: unknown) =>
      finding('FeatureFlags', name, 'flags', field, show(d), show(o));
    const d = desired.find((s) => s.name === name);
    const o = observed.find((s) => s.name === name);
    const count = (s: ServedFlagSet) => `${Object.keys(s.spec.flags).length} flag(s) served`;
    if (d === undefined || o === undefined) {
      out.push(f('spec', d && count(d), o && count(o)));
      continue;
    }
    if (d.environment !== o.environment) out.push(f('metadata.environment', d.environment, o.environment));
    const keys = [...new Set([...Object.keys(d.spec.flags), ...Object.keys(o.spec.flags)])].sort();
    for (const key of keys) {
      const df = d.spec.flags[key];
      const of = o.spec.flags[key];
      if (df === undefined || of === undefined) {
        out.push(f(`spec.flags.${key}`, df && 'defined', of && 'defined'));
        continue;
      }
      for (const field of FLAG_FIELDS) {
        if (canonical(df[field]) !== canonical(of[field]))
          out.push(f(`spec.flags.${key}.${field}`, df[field], of[field]));
      }
      const extra = Object.keys({ ...df, ...of }).filter(
        (k) => !(FLAG_FIELDS as readonly string[]).includes(k) && canonical(df[k]) !== canonical(of[k]),
      );
      for (const k of extra.sort()) out.push(f(`spec.flags.${key}.${k}`, df[k], of[k]));
    }
    for (const field of ['$evaluators', 'metadata'] as const) {
      if (canonical(d.spec[field]) !== canonical(o.spec[field]))
        out.push(f(`spec.${field}`, d.spec[field], o.spec[field]));
    }
  }
  return out;
}
