import type { Logger } from 'pino';
import type { FlagRampServing } from '../controller/index.js';
import type { DataPlaneClient, FlagSetsStatus } from '../dataplane/index.js';
import {
  DEFAULT_DRIFT_POLICY,
  DRIFT_POLICIES,
  type DriftPolicy,
  FLAGS_DRIFT_POLICY_ANNOTATION,
} from '../drift/index.js';
import { flagSetsHash, promotedFlagSets, type ServedFlagSet, servedFlagSets } from '../flags/index.js';
import type { FeatureFlags, Resource, SetFlag } from '../spec/index.js';
import type { Store, StoredRollout } from '../store/index.js';

/** How often the control plane checks that the data plane serves the stored flag sets, ms. */
const DEFAULT_CHECK_INTERVAL_MS = 5_000;

/** The ramps the Rollouts' updates hold, in the store's order of the Rollouts (by name). */
function rampsOf(rollouts: readonly StoredRollout[]): SetFlag[] {
  return rollouts.flatMap((r) => r.status.flagRamps ?? []);
}

/** A FeatureFlags resource's drift policy: its `cutover.dev/drift-policy` annotation, else alert. */
function flagsDriftPolicy(resource: FeatureFlags): DriftPolicy {
  const value = resource.metadata.annotations?.[FLAGS_DRIFT_POLICY_ANNOTATION];
  return (DRIFT_POLICIES as readonly string[]).includes(value ?? '')
    ? (value as DriftPolicy)
    : DEFAULT_DRIFT_POLICY;
}

/**
 * Problems of FeatureFlags resources about to be applied with the ones stored: a flag key may be
 * defined once per scope (the environment-less sets, and each environment's sets). Pure.
 * @returns located issues (document index in `resources`, field path, message).
 */
export function featureFlagConflicts(
  resources: readonly Resource[],
  stored: readonly FeatureFlags[],
): { document: number; path: (string | number)[]; message: string }[] {
  const applied = new Set(resources.flatMap((r) => (r.kind === 'FeatureFlags' ? [r.metadata.name] : [])));
  const owner = new Map<string, string>();
  const id = (environment: string | undefined, key: string) => `${environment ?? ''}\0${key}`;
  for (const f of stored) {
    if (applied.has(f.metadata.name)) continue;
    for (const key of Object.keys(f.spec.flags)) owner.set(id(f.metadata.environment, key), f.metadata.name);
  }
  const issues: { document: number; path: (string | number)[]; message: string }[] = [];
  for (const [document, r] of resources.entries()) {
    if (r.kind !== 'FeatureFlags') continue;
    const policy = r.metadata.annotations?.[FLAGS_DRIFT_POLICY_ANNOTATION];
    if (policy !== undefined && !(DRIFT_POLICIES as readonly string[]).includes(policy))
      issues.push({
        document,
        path: ['metadata', 'annotations', FLAGS_DRIFT_POLICY_ANNOTATION],
        message: `expected ${DRIFT_POLICIES.join(' or ')}, got ${JSON.stringify(policy)}`,
      });
    for (const key of Object.keys(r.spec.flags)) {
      const other = owner.get(id(r.metadata.environment, key));
      if (other !== undefined && other !== r.metadata.name) {
        const scope =
          r.metadata.environment === undefined
            ? 'every environment'
            : `environment ${r.metadata.environment}`;
        issues.push({
          document,
          path: ['spec', 'flags', key],
          message: `flag ${JSON.stringify(key)} is also defined by FeatureFlags ${JSON.stringify(other)} for ${scope}; a key is defined once per environment (an environment's flag overrides an environment-less one)`,
        });
      }
      owner.set(id(r.metadata.environment, key), r.metadata.name);
    }
  }
  return issues;
}

/** Options of {@link FeatureFlagSync}. */
export interface FeatureFlagSyncOptions {
  store: Store;
  /** The data plane's client as of now (it changes when the data plane is restarted). */
  dataPlane: () => DataPlaneClient;
  logger: Logger;
  /** @default 5000 */
  checkIntervalMs?: number;
}

/** How the flag sets served compare with the stored ones (see {@link FeatureFlagSync}). */
type Served = 'serving' | 'stale' | 'pending' | 'drift';

/**
 * Keeps the data plane's OFREP listener serving the stored FeatureFlags, each flag a Rollout's
 * update ramps (`setFlag`, its `status.flagRamps`) served ramped: pushes the whole set after each
 * apply that holds one, when the server starts and when the controller changes a ramp, and checks
 * every 5 s that the data plane serves that set (its hash), pushing it again when it serves an
 * older one (a data plane restarted from an older `flags.json`, or one that serves none) or when
 * the desired set changed since the last push. A set that someone else pushed since (on the admin
 * API) is drift: it is left to drift detection, which reports it and, for a FeatureFlags resource
 * annotated `cutover.dev/drift-policy: remediate`, restores it. The data plane keeps serving what
 * it has while the control plane is down.
 */
export class FeatureFlagSync implements FlagRampServing {
  readonly #o: FeatureFlagSyncOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  /** The stored set as this control plane last had it served, and since when the data plane serves that push. */
  #pushed: { hash: string; servedSince: number } | undefined;

  constructor(options: FeatureFlagSyncOptions) {
    this.#o = options;
  }

  /**
   * Sends the stored flag sets to the data plane unless it serves them already. Serialized.
   * @throws the data plane client's errors (unavailable, refused).
   */
  push(): Promise<void> {
    const run = this.#running.then(
      () => this.#push(),
      () => this.#push(),
    );
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** The flag sets to serve: the stored FeatureFlags with the ramps of `rollouts`. */
  async #sets(rollouts: readonly StoredRollout[]): Promise<ServedFlagSet[]> {
    return servedFlagSets(await this.#o.store.listFeatureFlags(), rampsOf(rollouts));
  }

  async serves(rollouts: readonly StoredRollout[]): Promise<boolean> {
    const [sets, served] = await Promise.all([this.#sets(rollouts), this.#o.dataPlane().flags()]);
    return served.hash === flagSetsHash(sets);
  }

  async promote(rollout: string, ramps: readonly SetFlag[], now: number): Promise<string[]> {
    const changed = promotedFlagSets(await this.#o.store.listFeatureFlags(), ramps);
    if (changed.length > 0)
      await this.#o.store.apply({ rollouts: [], templates: [], featureFlags: changed }, 'controller', now);
    this.#o.logger.info(
      { rollout, flagSets: changed.map((f) => f.metadata.name) },
      'feature flag ramps written into their definitions',
    );
    return changed.map((f) => f.metadata.name);
  }

  async #push(): Promise<void> {
    const sets = await this.#sets(await this.#o.store.listRollouts());
    const hash = flagSetsHash(sets);
    const client = this.#o.dataPlane();
    const served = await client.flags();
    const state = this.#compare(served, hash);
    if (state === 'serving') {
      this.#pushed = { hash, servedSince: served.servedSince };
      return;
    }
    if (state === 'drift') return;
    const status = await client.putFlags({ flagSets: sets });
    this.#pushed = { hash, servedSince: status.servedSince };
    this.#o.logger.info({ flagSets: sets.map((s) => s.name) }, 'feature flags pushed to the data plane');
  }

  /**
   * What the data plane serves, against the stored set (`hash`) and the last push: the stored set
   * (`serving`); an older one or none, or nothing is known of a push (`stale`: pushed); what was
   * pushed, but the stored set changed since (`pending`: pushed); a set pushed by someone else
   * since (`drift`: not pushed).
   */
  #compare(served: Pick<FlagSetsStatus, 'hash' | 'servedSince'>, hash: string): Served {
    if (served.hash === hash) return 'serving';
    const pushed = this.#pushed;
    if (pushed === undefined || served.servedSince === 0 || served.servedSince < pushed.servedSince)
      return 'stale';
    if (pushed.hash !== hash) return 'pending';
    return 'drift';
  }

  /**
   * For drift detection: the stored flag sets (with the ramps of Rollouts' updates) with each resource's drift policy, and whether what
   * the data plane serves (`served`, read by the caller) is drift rather than a push still to come.
   */
  async driftView(served: Pick<FlagSetsStatus, 'hash' | 'servedSince'>): Promise<{
    desired: { set: ServedFlagSet; policy: DriftPolicy }[];
    drifted: boolean;
  }> {
    const [resources, rollouts] = await Promise.all([
      this.#o.store.listFeatureFlags(),
      this.#o.store.listRollouts(),
    ]);
    // One set per resource, in order (ramps change a set's flags, never which sets there are).
    const sets = servedFlagSets(resources, rampsOf(rollouts));
    return {
      desired: sets.map((set, i) => ({ set, policy: flagsDriftPolicy(resources[i]!) })),
      drifted: this.#compare(served, flagSetsHash(sets)) === 'drift',
    };
  }

  /**
   * Drift detection's remediation: has `sets` served (the stored sets of the resources to restore,
   * what is served of the others), serialized with the pushes. What is served is still drift
   * afterwards unless `sets` are the stored ones. @throws the data plane client's errors.
   */
  restore(sets: ServedFlagSet[]): Promise<void> {
    const run = this.#running.then(
      () => this.#restore(sets),
      () => this.#restore(sets),
    );
    this.#running = run.catch(() => undefined);
    return run;
  }

  async #restore(sets: ServedFlagSet[]): Promise<void> {
    const stored = flagSetsHash(await this.#sets(await this.#o.store.listRollouts()));
    const status = await this.#o.dataPlane().putFlags({ flagSets: sets });
    this.#pushed = { hash: stored, servedSince: status.servedSince };
  }

  /** Push now, then check periodically. */
  start(): void {
    const tick = () =>
      void this.push().catch((err: unknown) =>
        this.#o.logger.warn({ err: String(err) }, 'feature flags: cannot push to the data plane'),
      );
    tick();
    this.#timer = setInterval(tick, this.#o.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
