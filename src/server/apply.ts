import { dirname } from 'node:path';
import { envArgIssues } from '../analysis/index.js';
import type { Role } from '../auth/index.js';
import { refuseUnsandboxed } from '../auth/unsandboxed-options.js';
import type { Clock } from '../clock/index.js';
import {
  type ConfigChange,
  type ConfigService,
  type MissingRef,
  refCandidates,
  storedConfigName,
  templateRefs,
} from '../config/index.js';
import type { Controller } from '../controller/index.js';
import { setFlagIssues } from '../flags/index.js';
import type { StateBackup, StateBackups } from '../platform/index.js';
import type {
  AnalysisTemplate,
  ConfigMap,
  Environment,
  FeatureFlags,
  Resource,
  Rollout,
  RolloutSpec,
  Secret,
} from '../spec/index.js';
import {
  locateSpecIssues,
  parseSpec,
  resolveTemplate,
  SpecValidationError,
  specValueAt,
  templateHash,
} from '../spec/index.js';
import type { NewEvent, RolloutApplyResult, Store, StoredRollout } from '../store/index.js';
import { applyKubernetesSpecs, type WorkloadReader } from './apply-kubernetes.js';
import { checkTemplate, portFree } from './environment-checks.js';
import { ApiError } from './errors.js';
import { featureFlagConflicts } from './feature-flag-sync.js';

/** What an apply stored: each Rollout's change, and the AnalysisTemplates (created or replaced). */
export interface ApplyResult {
  /**
   * Each Rollout's change: those of the file, then those outside it that take a ConfigMap or Secret
   * the file changed (a new revision each).
   */
  results: RolloutApplyResult[];
  /** ConfigMaps and Secrets of the file: their version, and whether it is new. */
  configs: ConfigChange[];
  templates: { kind: AnalysisTemplate['kind']; name: string }[];
  /** Environments created or replaced. */
  environments: string[];
  /** FeatureFlags resources created or replaced. */
  featureFlags: string[];
}

export interface SpecApplierOptions {
  store: Store;
  controller: Controller;
  clock: Clock;
  /**
   * Variables analysis args may read with `valueFrom.env` (the operator's
   * `CUTOVER_ANALYSIS_ENV_ALLOW`); any other `valueFrom.env` is refused at apply. @default [] (none)
   */
  analysisEnvAllow?: readonly string[];
  /** Backups of stateful Rollouts' state directories (`undo --restore-state`). */
  stateBackups?: StateBackups;
  /** ConfigMaps and Secrets: their versions and the versions a template takes. */
  configs: ConfigService;
  /** Called once FeatureFlags were stored, to serve them (errors are the callee's to handle). */
  onFeatureFlagsApplied?: () => Promise<void>;
  /**
   * Called after each apply, `secret set` and `undo` with the Rollouts' changes, once the lock is
   * released: drift detection takes the checksum of each new revision's working directory. Never
   * throws (errors are the callee's to handle).
   */
  onRolloutsApplied?: (results: readonly RolloutApplyResult[]) => Promise<void>;
  /**
   * The platform Rollouts run on: `kubernetes` takes Argo Rollouts (see `applyKubernetesSpecs`)
   * and refuses cutover's own. @default "local"
   */
  platform?: 'local' | 'kubernetes';
  /** On the kubernetes platform: reads a `workloadRef`'s Deployment from the cluster. */
  workloads?: WorkloadReader;
}

/**
 * Applies spec files and `undo`: validates the whole input (YAML, schema, references, the
 * machine: executables, directories, ports; `valueFrom.env` against the operator's allow-list)
 * before anything is stored, then stores it in one
 * transaction. A rejected input changes nothing.
 */
export class SpecApplier {
  constructor(readonly options: SpecApplierOptions) {}

  /**
   * @param text - the file's YAML text.
   * @param file - absolute path of the file; relative template `cwd`s are resolved against its directory.
   * @param actor - who applies (recorded on the events).
   * @param role - the caller's role: only an admin may apply the options that run a job outside
   *   its sandbox (see `refuseUnsandboxed`).
   * @param options.now - every new revision this apply makes skips its steps and analyses (as
   *   `undo --now`; a release of type rollback deploys so). @default false
   * @throws SpecValidationError with every issue (file, line, column, field path, expected);
   *   ApiError 403 `CUTOVER_E_UNSANDBOXED_FORBIDDEN`. Nothing is stored then.
   */
  async apply(
    text: string,
    file: string,
    actor: string,
    role: Role,
    options: { now?: boolean } = {},
  ): Promise<ApplyResult> {
    const { store, controller, clock } = this.options;
    const known = (await store.listAnalysisTemplates()).map((t) => ({
      name: t.metadata.name,
      clusterScope: t.kind === 'ClusterAnalysisTemplate',
    }));
    if (this.options.platform === 'kubernetes') {
      const applied = await controller.exclusive(() =>
        applyKubernetesSpecs(this.options, { text, file, actor, role, knownTemplates: known }),
      );
      if (applied.featureFlags.length > 0) await this.options.onFeatureFlagsApplied?.();
      return applied;
    }
    const applied = await controller.exclusive(async () => {
      const existing = await store.listRollouts();
      const portOwners = new Map<number, string>();
      for (const r of existing) for (const port of portsOf(r.spec)) portOwners.set(port, r.name);
      const claimed = new Map<number, string>();
      const resources = parseSpec(text, file, { knownTemplates: known });
      const configResources = resources.filter(
        (r): r is ConfigMap | Secret => r.kind === 'ConfigMap' || r.kind === 'Secret',
      );
      const pendingConfigs = new Map(
        configResources.map((r) => [
          `${r.kind}/${storedConfigName(r.metadata.name, r.metadata.environment)}`,
          Object.keys(r.kind === 'ConfigMap' ? (r.data ?? {}) : r.stringData),
        ]),
      );
      const located: { document: number; path: (string | number)[]; message: string }[] = [];
      for (const [index, resource] of resources.entries()) {
        for (const issue of envArgIssues(resource, this.options.analysisEnvAllow ?? [])) {
          located.push({ document: index, ...issue });
        }
        if (resource.kind === 'Release') {
          located.push({
            document: index,
            path: ['kind'],
            message: 'a Release is not applied; create it with cutover release create -f FILE',
          });
        }
        if (resource.kind !== 'Rollout') continue;
        const issues = checkTemplate(resolveTemplate(resource.spec.template, dirname(file)));
        const missing = await this.options.configs.missing(
          resource.spec.template,
          pendingConfigs,
          resource.metadata.environment,
        );
        for (const ref of missing) {
          issues.push(missingRefIssue(ref, text, index));
        }
        const ports: [number, (string | number)[]][] = [[resource.spec.port, ['spec', 'port']]];
        const preview = resource.spec.strategy.blueGreen?.previewPort;
        if (preview !== undefined) ports.push([preview, ['spec', 'strategy', 'blueGreen', 'previewPort']]);
        for (const [port, path] of ports) {
          const owner = portOwners.get(port);
          const sibling = claimed.get(port);
          if (sibling !== undefined && sibling !== resource.metadata.name) {
            issues.push({ path, message: `port ${port} is also used by rollout "${sibling}" in this file` });
          } else if (owner !== undefined && owner !== resource.metadata.name) {
            issues.push({ path, message: `port ${port} is already used by rollout "${owner}"` });
          } else if (owner === undefined && !(await portFree(port))) {
            issues.push({ path, message: `port ${port} is in use by another process` });
          }
          claimed.set(port, resource.metadata.name);
        }
        for (const issue of issues) located.push({ document: index, ...issue });
      }
      if (resources.some((r) => r.kind === 'FeatureFlags'))
        located.push(...featureFlagConflicts(resources, await store.listFeatureFlags()));
      if (resources.some((r) => r.kind === 'FeatureFlags' || r.kind === 'Rollout'))
        located.push(...(await this.#setFlagIssues(resources, existing)));
      if (located.length > 0) throw new SpecValidationError(locateSpecIssues(text, file, located));
      refuseUnsandboxed(
        resources.flatMap((resource, document) =>
          resource.kind === 'AnalysisTemplate' || resource.kind === 'ClusterAnalysisTemplate'
            ? [{ resource, document }]
            : [],
        ),
        file,
        role,
      );

      const rollouts = resources.filter((r): r is Rollout => r.kind === 'Rollout');
      const templates = resources.filter(
        (r): r is AnalysisTemplate => r.kind === 'AnalysisTemplate' || r.kind === 'ClusterAnalysisTemplate',
      );
      const environments = resources.filter((r): r is Environment => r.kind === 'Environment');
      const featureFlags = resources.filter((r): r is FeatureFlags => r.kind === 'FeatureFlags');
      const configs: ConfigChange[] = [];
      for (const r of configResources) configs.push(await this.options.configs.put(r, actor, clock.now()));
      const pinned = await Promise.all(
        rollouts.map(async (r) => {
          const template = await this.options.configs.pin(
            resolveTemplate(r.spec.template, dirname(file)),
            r.metadata.environment,
          );
          return { name: r.metadata.name, spec: { ...r.spec, template }, hash: templateHash(template) };
        }),
      );
      const changed = new Set(configs.filter((c) => c.created).map((c) => `${c.kind}/${c.name}`));
      const inFile = new Set(rollouts.map((r) => r.metadata.name));
      const dependents = changed.size === 0 ? [] : await this.#dependents(changed, inFile);
      const results = await store.apply(
        { rollouts: [...pinned, ...dependents], templates, environments, featureFlags },
        actor,
        clock.now(),
      );
      if (featureFlags.length > 0) await this.options.onFeatureFlagsApplied?.();
      if (options.now === true) {
        for (const r of results) {
          if (r.change === 'revised') await this.#fastTrack(r.name, r.revision, actor, 'apply --now');
        }
      }
      return {
        results,
        configs,
        templates: templates.map((t) => ({ kind: t.kind, name: t.metadata.name })),
        environments: environments.map((e) => e.metadata.name),
        featureFlags: featureFlags.map((f) => f.metadata.name),
      };
    });
    await this.options.onRolloutsApplied?.(applied.results);
    return applied;
  }

  /**
   * The `setFlag` steps of the Rollouts, as they will be after this apply, checked against the
   * FeatureFlags as they will be (see `setFlagIssues`). Pure but for reading the stored flags.
   */
  async #setFlagIssues(
    resources: readonly Resource[],
    stored: readonly StoredRollout[],
  ): Promise<{ document: number; path: (string | number)[]; message: string }[]> {
    const storedFlags = await this.options.store.listFeatureFlags();
    const fileFlags = resources.flatMap((r, document) =>
      r.kind === 'FeatureFlags' ? [{ resource: r, document }] : [],
    );
    const replaced = new Set(fileFlags.map((f) => f.resource.metadata.name));
    const flags = [
      ...storedFlags.filter((f) => !replaced.has(f.metadata.name)).map((resource) => ({ resource })),
      ...fileFlags,
    ];
    const fileRollouts = resources.flatMap((r, document) =>
      r.kind === 'Rollout'
        ? [{ name: r.metadata.name, steps: r.spec.strategy.canary?.steps ?? [], document }]
        : [],
    );
    const inFile = new Set(fileRollouts.map((r) => r.name));
    const rollouts = [
      ...stored
        .filter((r) => !inFile.has(r.name))
        .map((r) => ({ name: r.name, steps: r.spec.strategy.canary?.steps ?? [] })),
      ...fileRollouts,
    ];
    if (!rollouts.some((r) => r.steps.some((step) => 'setFlag' in step))) return [];
    return setFlagIssues(rollouts, flags, storedFlags);
  }

  /**
   * Stored Rollouts outside `inFile` that take a ConfigMap or Secret of `changed`, re-pinned to the
   * latest versions: each is a new revision (as Flagger: a ConfigMap or Secret change starts a
   * canary). Caller holds the controller's lock.
   */
  async #dependents(
    changed: ReadonlySet<string>,
    inFile: ReadonlySet<string>,
  ): Promise<{ name: string; spec: RolloutSpec; hash: string }[]> {
    const out: { name: string; spec: RolloutSpec; hash: string }[] = [];
    for (const r of await this.options.store.listRollouts()) {
      if (inFile.has(r.name)) continue;
      const environment = r.spec.template.refEnvironment;
      const takes = templateRefs(r.spec.template).some((ref) =>
        refCandidates(ref, environment).some((name) => changed.has(`${ref.kind}/${name}`)),
      );
      if (!takes) continue;
      const template = await this.options.configs.pin(r.spec.template);
      const hash = templateHash(template);
      // Its environment's own still wins over a changed one of every environment: nothing to ship.
      if (hash === templateHash(r.spec.template)) continue;
      out.push({ name: r.name, spec: { ...r.spec, template }, hash });
    }
    return out;
  }

  /**
   * `cutover secret set NAME KEY`: a new version of the Secret with `key` set (the Secret is created
   * when absent), then a new revision of every Rollout that takes it.
   * @param environment - the Secret of that environment (`metadata.environment`). @default the one of every environment
   * @returns the Secret's version and the Rollouts' changes.
   */
  async setSecretKey(
    name: string,
    key: string,
    value: string,
    actor: string,
    environment?: string,
  ): Promise<{ config: ConfigChange; results: RolloutApplyResult[] }> {
    const { store, controller, clock } = this.options;
    const stored = storedConfigName(name, environment);
    const set = await controller.exclusive(async () => {
      const config = await this.options.configs.setSecretKey(stored, key, value, actor, clock.now());
      if (!config.created) return { config, results: [] };
      const dependents = await this.#dependents(new Set([`Secret/${stored}`]), new Set());
      const results =
        dependents.length === 0
          ? []
          : await store.apply({ rollouts: dependents, templates: [] }, actor, clock.now());
      return { config, results };
    });
    await this.options.onRolloutsApplied?.(set.results);
    return set;
  }

  /**
   * Argo's `undo`: applies the template of revision `toRevision` (default: the revision before the
   * current one). Returning to the stable revision's template is immediate; any other makes a new
   * revision that goes through the strategy, unless `now`: then that update skips every step and
   * analysis (canary straight to 100%, blue-green promoted at once, rolling with a 100% surge), as
   * Argo's `rollbackWindow` fast-track, in the same locked step as the apply (no race with a
   * separate `promote --full`).
   * @throws ApiError 404 when the rollout or the revision does not exist.
   */
  async undo(
    name: string,
    toRevision: number | undefined,
    actor: string,
    options: { now?: boolean; restoreState?: boolean } = {},
  ): Promise<RolloutApplyResult & { toRevision: number; fastTrack: boolean; restoredFrom?: string }> {
    const { store, controller, clock } = this.options;
    const undone = await controller.exclusive(async () => {
      const rollout = await store.getRollout(name);
      if (!rollout)
        throw new ApiError(404, 'CUTOVER_E_NOT_FOUND', `rollout ${name} not found`, { path: 'name' });
      const target =
        toRevision ??
        previousRevision(
          rollout.revisions.map((r) => r.number),
          rollout.targetRevision,
        );
      const revision = rollout.revisions.find((r) => r.number === target);
      if (!revision) {
        throw new ApiError(404, 'CUTOVER_E_REVISION_NOT_FOUND', `rollout ${name} has no revision ${target}`, {
          path: 'toRevision',
        });
      }
      const backup =
        options.restoreState === true ? this.#stateBackupFor(rollout.spec, name, target) : undefined;
      const [result] = await store.apply(
        {
          rollouts: [{ name, spec: { ...rollout.spec, template: revision.template }, hash: revision.hash }],
          templates: [],
        },
        actor,
        clock.now(),
      );
      const applied = result!;
      const fastTrack =
        options.now === true &&
        (await this.#fastTrack(name, applied.revision, actor, `undo to revision ${target} --now`));
      if (backup !== undefined) await this.#requestRestore(name, backup, actor);
      return { ...applied, toRevision: target, fastTrack, ...(backup ? { restoredFrom: backup.id } : {}) };
    });
    await this.options.onRolloutsApplied?.([undone]);
    return undone;
  }

  /**
   * The backup `undo --restore-state` restores: the newest taken while `revision` ran.
   * @throws ApiError 409 `CUTOVER_E_NOT_STATEFUL` (no spec.stateful) or `CUTOVER_E_NO_STATE_BACKUP`.
   */
  #stateBackupFor(spec: RolloutSpec, name: string, revision: number): StateBackup {
    if (spec.stateful === undefined) {
      throw new ApiError(
        409,
        'CUTOVER_E_NOT_STATEFUL',
        `rollout ${name} is not stateful (spec.stateful): it has no state to restore`,
        {
          path: 'restoreState',
        },
      );
    }
    const backup = this.options.stateBackups?.latestOf(name, revision);
    if (backup === undefined) {
      throw new ApiError(
        409,
        'CUTOVER_E_NO_STATE_BACKUP',
        `rollout ${name} has no state backup taken while revision ${revision} ran`,
        {
          path: 'restoreState',
        },
      );
    }
    return backup;
  }

  /** Marks the restore for the engine, which stops every replica first. Caller holds the lock. */
  async #requestRestore(name: string, backup: StateBackup, actor: string): Promise<void> {
    const { store, clock } = this.options;
    const rollout = await store.getRollout(name);
    if (!rollout) return;
    const now = clock.now();
    await store.saveStatus(name, { ...rollout.status, restoreState: { backup: backup.id }, updatedAt: now }, [
      {
        time: now,
        rollout: name,
        type: 'Normal',
        reason: 'StateRestoreRequested',
        message: `undo --restore-state: every replica stops, then the state directories are restored from ${backup.id} (revision ${backup.revision}, sha256 ${backup.sha256})`,
        actor,
      },
    ]);
  }

  /**
   * Makes the update to `revision` immediate (no step, no analysis) in the same locked step as the
   * apply that made it: an update already rolling it out is promoted in full, one not started yet
   * is marked for the engine (`status.fastTrackRevision`). Back on stable is immediate already.
   * Caller holds the controller's lock. @returns whether anything was fast-tracked.
   */
  async #fastTrack(name: string, revision: number, actor: string, why: string): Promise<boolean> {
    const { store, clock } = this.options;
    const rollout = await store.getRollout(name);
    if (!rollout || revision === rollout.status.stableRevision) return false;
    const now = clock.now();
    const next = { ...rollout.status, updatedAt: now };
    const events: NewEvent[] = [];
    if (next.currentRevision === revision) {
      next.promoteFull = true;
      next.promoted = true;
      next.controllerPause = false;
      next.pauseConditions = [];
      events.push({
        time: now,
        rollout: name,
        type: 'Normal',
        reason: 'RolloutFastTracked',
        message: `${why}: revision ${revision}, already rolling out, is promoted in full (steps and analyses skipped)`,
        actor,
      });
    } else {
      // The engine records RolloutFastTracked when the update starts.
      next.fastTrackRevision = revision;
    }
    await store.saveStatus(name, next, events);
    return true;
  }
}

/**
 * The issue of a reference {@link ConfigService.missing} found, at its path in the spec text: an
 * `env` entry's normalised path (`env.VAR.valueFrom...`) becomes the list index the file wrote.
 */
function missingRefIssue(
  ref: MissingRef,
  text: string,
  document: number,
): { path: (string | number)[]; message: string } {
  let path: (string | number)[] = ['spec', 'template', ...ref.path];
  if (ref.path[0] === 'files' && ref.missing === 'key')
    path = ['spec', 'template', 'files', ref.path[1]!, 'key'];
  if (ref.path[0] === 'env') {
    const written = specValueAt(text, document, ['spec', 'template', 'env']);
    const index = Array.isArray(written)
      ? written.findLastIndex((e: unknown) => (e as { name?: unknown } | null)?.name === ref.path[1])
      : -1;
    path = [
      'spec',
      'template',
      'env',
      index,
      'valueFrom',
      ...ref.path.slice(3),
      ref.missing === 'key' ? 'key' : 'name',
    ];
  }
  const what = `${ref.kind} ${JSON.stringify(ref.name)}`;
  return {
    path,
    message:
      ref.missing === 'key'
        ? `${what} has no key ${JSON.stringify(ref.key)}; add it, or set optional: true`
        : `${what} not found; apply it first or in the same file`,
  };
}

function portsOf(spec: RolloutSpec): number[] {
  const preview = spec.strategy.blueGreen?.previewPort;
  return preview === undefined ? [spec.port] : [spec.port, preview];
}

function previousRevision(numbers: number[], current: number): number {
  const older = numbers.filter((n) => n < current);
  if (older.length === 0)
    throw new ApiError(409, 'CUTOVER_E_NO_PREVIOUS_REVISION', `no revision before ${current}`);
  return Math.max(...older);
}
