import type { CanaryStep, FeatureFlags, FlagdFlag, SetFlag } from '../spec/index.js';
import type { ServedFlagSet } from './served-flags.js';

/**
 * Progressive flags (issue 14, part 3): the canary step `setFlag: {flag, variant, percentage}`.
 *
 * The rule, chosen for being simple to reason about and to judge by analysis: while a Rollout's
 * update holds a ramp, the flag's **targeting is replaced** by a split of the targeting keys,
 * `percentage`% to `variant` and the rest to the flag's `defaultVariant` (flagd's `fractional`,
 * `variant` listed first so that a growing percentage keeps every key that already had `variant`).
 * Everything else of the definition stays: `state` (a kill switch still wins), `variants`,
 * `metadata`. The definition itself is not touched while the ramp lasts: an abort only drops the
 * ramp, and the flag is served as defined again. When the update completes, the last ramp of each
 * flag becomes its definition (as Flagger copies the canary into the primary on promotion).
 *
 * 0% and 100% are static (no targeting, 100% makes `variant` the `defaultVariant`), so a request
 * without a `targetingKey` is answered then; in between the flag needs one (OFREP's
 * `TARGETING_KEY_MISSING` otherwise), as any `fractional` flag.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The definition a ramp serves in place of `definition` (see the module's rule), or undefined when
 * the ramp cannot apply to it (`variant` is not one of its variants, or it has no `defaultVariant`):
 * the definition is then served unchanged. Pure.
 * @example
 * rampedFlag({ state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' },
 *   { flag: 'f', variant: 'on', percentage: 25 })
 * // { state: 'ENABLED', variants: {...}, defaultVariant: 'off', targeting: { fractional: [['on', 25], ['off', 75]] } }
 */
export function rampedFlag(definition: FlagdFlag, ramp: SetFlag): FlagdFlag | undefined {
  const variants = definition['variants'];
  const base = definition['defaultVariant'];
  if (!isRecord(variants) || !Object.hasOwn(variants, ramp.variant) || typeof base !== 'string')
    return undefined;
  const { targeting: _replaced, ...rest } = definition;
  if (ramp.percentage >= 100) return { ...rest, defaultVariant: ramp.variant };
  if (ramp.percentage <= 0 || ramp.variant === base) return rest;
  return {
    ...rest,
    targeting: {
      fractional: [
        [ramp.variant, ramp.percentage],
        [base, 100 - ramp.percentage],
      ],
    },
  };
}

/** The resources with every ramp applied to each flag it names; resources and flags otherwise as given. */
function withRamps(resources: readonly FeatureFlags[], ramps: readonly SetFlag[]): FeatureFlags[] {
  if (ramps.length === 0) return [...resources];
  const byFlag = new Map<string, SetFlag>();
  for (const ramp of ramps) if (!byFlag.has(ramp.flag)) byFlag.set(ramp.flag, ramp);
  return resources.map((resource) => {
    let flags: Record<string, FlagdFlag> | undefined;
    for (const [key, definition] of Object.entries(resource.spec.flags)) {
      const ramp = byFlag.get(key);
      const ramped = ramp === undefined ? undefined : rampedFlag(definition, ramp);
      if (ramped === undefined) continue;
      flags ??= { ...resource.spec.flags };
      flags[key] = ramped;
    }
    return flags === undefined ? resource : { ...resource, spec: { ...resource.spec, flags } };
  });
}

/**
 * The flag sets the data plane serves: the FeatureFlags resources as stored (by name), each flag
 * that a Rollout's update ramps (`status.flagRamps`) served as {@link rampedFlag} makes it. A flag
 * is ramped by one Rollout at a time (checked at apply); should two ramp it, the first given wins.
 * Pure.
 */
export function servedFlagSets(
  resources: readonly FeatureFlags[],
  ramps: readonly SetFlag[],
): ServedFlagSet[] {
  return withRamps(resources, ramps).map((r) => ({
    name: r.metadata.name,
    ...(r.metadata.environment !== undefined ? { environment: r.metadata.environment } : {}),
    spec: r.spec,
  }));
}

/**
 * The FeatureFlags resources a completed update rewrites: each flag of `ramps` takes the ramped
 * definition for good (the definition becomes the ramp's final state). Only the resources that
 * change are returned. Pure.
 */
export function promotedFlagSets(
  resources: readonly FeatureFlags[],
  ramps: readonly SetFlag[],
): FeatureFlags[] {
  const ramped = withRamps(resources, ramps);
  return ramped.filter((r, i) => r !== resources[i]);
}

/** A problem of a `setFlag` step found at apply, located in the applied file. */
export interface SetFlagIssue {
  /** Index of the document of the applied file at fault. */
  document: number;
  path: (string | number)[];
  message: string;
}

/** A Rollout as the apply sees it: from the file (`document` set) or stored. */
export interface SetFlagRollout {
  name: string;
  steps: readonly CanaryStep[];
  /** Its index in the applied file; absent for a stored Rollout the file does not change. */
  document?: number;
}

/**
 * Checks every `setFlag` step against the FeatureFlags resources as they will be after the apply
 * (stored ones replaced by the file's of the same name): the flag is defined by at least one
 * resource, `variant` is one of its variants and it has a `defaultVariant` in each resource that
 * defines it, and no other Rollout ramps the same flag. A Rollout of the file is reported at its
 * step; a stored Rollout the file's FeatureFlags would break is reported at that resource's flag.
 * Pure.
 *
 * @param flags - every FeatureFlags resource after the apply, with the file's document index for
 *   those of the file.
 * @param storedFlags - the FeatureFlags resources before the apply (to tell which file resource
 *   removed a flag a stored Rollout ramps).
 */
export function setFlagIssues(
  rollouts: readonly SetFlagRollout[],
  flags: readonly { resource: FeatureFlags; document?: number }[],
  storedFlags: readonly FeatureFlags[],
): SetFlagIssue[] {
  const issues: SetFlagIssue[] = [];
  // Stored Rollouts first: a Rollout of the file that ramps their flag is the one refused.
  const rampedBy = new Map<string, string>();
  const ordered = [
    ...rollouts.filter((r) => r.document === undefined),
    ...rollouts.filter((r) => r.document !== undefined),
  ];
  for (const rollout of ordered) {
    for (const step of rollout.steps) {
      if ('setFlag' in step && !rampedBy.has(step.setFlag.flag))
        rampedBy.set(step.setFlag.flag, rollout.name);
    }
  }
  for (const rollout of rollouts) {
    for (const [index, step] of rollout.steps.entries()) {
      if (!('setFlag' in step)) continue;
      const { flag, variant } = step.setFlag;
      const at = ['spec', 'strategy', 'canary', 'steps', index, 'setFlag'];
      const defining = flags.filter((f) => f.resource.spec.flags[flag] !== undefined);
      const problems: { path: (string | number)[]; message: string; resource?: (typeof flags)[number] }[] =
        [];
      if (defining.length === 0) {
        problems.push({
          path: [...at, 'flag'],
          message: `flag ${JSON.stringify(flag)} is not defined by any FeatureFlags resource; apply it first or in the same file`,
        });
      }
      for (const f of defining) {
        const definition = f.resource.spec.flags[flag]!;
        const variants = isRecord(definition['variants']) ? Object.keys(definition['variants']) : [];
        const name = f.resource.metadata.name;
        if (!variants.includes(variant)) {
          problems.push({
            resource: f,
            path: [...at, 'variant'],
            message: `${JSON.stringify(variant)} is not a variant of flag ${JSON.stringify(flag)} in FeatureFlags ${JSON.stringify(name)} (its variants: ${variants.join(', ')})`,
          });
        }
        if (typeof definition['defaultVariant'] !== 'string') {
          problems.push({
            resource: f,
            path: [...at, 'flag'],
            message: `flag ${JSON.stringify(flag)} in FeatureFlags ${JSON.stringify(name)} has no defaultVariant: a setFlag ramp gives it to the keys outside the percentage`,
          });
        }
      }
      const owner = rampedBy.get(flag);
      if (owner !== undefined && owner !== rollout.name && rollout.document !== undefined) {
        problems.push({
          path: [...at, 'flag'],
          message: `flag ${JSON.stringify(flag)} is already ramped by the setFlag steps of Rollout ${JSON.stringify(owner)}; a flag is ramped by one Rollout`,
        });
      }
      for (const p of problems) {
        if (rollout.document !== undefined) {
          issues.push({ document: rollout.document, path: p.path, message: p.message });
          continue;
        }
        // A stored Rollout: report at the file's FeatureFlags that broke it, if any did.
        const culprit =
          p.resource !== undefined
            ? p.resource
            : flags.find(
                (f) =>
                  f.document !== undefined &&
                  storedFlags.some(
                    (s) => s.metadata.name === f.resource.metadata.name && s.spec.flags[flag] !== undefined,
                  ),
              );
        if (culprit?.document === undefined) continue;
        issues.push({
          document: culprit.document,
          path: ['spec', 'flags', flag],
          message: `Rollout ${JSON.stringify(rollout.name)} ramps this flag (setFlag at step ${index}): ${p.message}`,
        });
      }
    }
  }
  return issues;
}
