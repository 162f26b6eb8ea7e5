import type { Logger } from 'pino';
import type { Clock } from '../clock/index.js';
import type { Controller } from '../controller/index.js';
import type { DataPlaneClient, DataPlaneState, RolloutDataPlaneSpec } from '../dataplane/index.js';
import { replicaSetKey } from '../dataplane/index.js';
import {
  type CurrentDrift,
  DEFAULT_DRIFT_POLICY,
  type DesiredEnvironment,
  type DirectoryChecksum,
  DirectoryHasher,
  type DirectoryNotChecked,
  type DriftAspect,
  type DriftFinding,
  type DriftPolicy,
  type DriftReport,
  envFingerprints,
  environmentDrift,
  flagsDrift,
  workingDirectoryDrift,
} from '../drift/index.js';
import type { ServedFlagSet } from '../flags/index.js';
import { type NotificationChannel, Notifier } from '../notify/index.js';
import type { LocalTemplate } from '../spec/index.js';
import type { NewEvent, RolloutApplyResult, Store } from '../store/index.js';
import { type DriftHistory, loadDriftHistory, type OpenDrift } from './drift-history.js';
import type { FeatureFlagSync } from './feature-flag-sync.js';

/** Event reasons of drift detection. */
const DRIFT_DETECTED = 'DriftDetected';
const DRIFT_RESOLVED = 'DriftResolved';
const DRIFT_REMEDIATED = 'DriftRemediated';
const DRIFT_REMEDIATION_FAILED = 'DriftRemediationFailed';
const WORKDIR_NOT_CHECKED = 'WorkingDirectoryNotChecked';
/** Most `DriftDetected` / `DriftResolved` events one pass records; the rest are summed up in one more. */
const MAX_EVENTS_PER_PASS = 50;
/** Aspects `remediate` restores: the data plane's state and the flags served. */
const REMEDIABLE: ReadonlySet<DriftAspect> = new Set(['dataPlane', 'flags']);

/** Inputs of {@link DriftDetector}. */
export interface DriftDetectorOptions {
  store: Store;
  controller: Pick<Controller, 'driftOf' | 'restore'>;
  /** The data plane's client as of now (it changes when the data plane is restarted). */
  dataPlane: () => DataPlaneClient;
  clock: Clock;
  logger: Logger;
  /** Period of the passes, ms. */
  intervalMs: number;
  /** A template as its replicas run it (as the controller's `materialize`). @default unchanged */
  materialize?: (template: LocalTemplate) => Promise<LocalTemplate>;
  /** The flag sets pushed to the data plane: compared when given. */
  flags?: Pick<FeatureFlagSync, 'driftView' | 'restore'>;
  /** Where `driftDetected` and `driftRemediated` notifications go. @default none */
  channels?: readonly NotificationChannel[];
  /** Whether an absolute path is left out of working-directory checksums (cutover's own files). @default none */
  exclude?: (path: string) => boolean;
}

/** Counters of drift detection, read by the control plane's /metrics. */
export interface DriftStats {
  passes: number;
  /** ms since the epoch; null before the first pass. */
  lastPassAt: number | null;
  current: readonly CurrentDrift[];
  /** Findings reported (`DriftDetected`) since the start, per resource and aspect. */
  detected: { kind: string; name: string; aspect: DriftAspect; count: number }[];
  /** Remediations made since the start, per resource. */
  remediations: { kind: string; name: string; count: number }[];
}

/** A finding of this pass with its policy and, for a working directory, where it is. */
interface Found {
  finding: DriftFinding;
  policy: DriftPolicy;
  /** The working directory of a `workingDirectory` finding. */
  dir?: string;
}

const keyOf = (f: DriftFinding) => `${f.kind}/${f.name}\u0000${f.field}`;
const objectOf = (f: Pick<DriftFinding, 'kind' | 'name'>) => `${f.kind}/${f.name}`;

/**
 * Drift detection (issue 14, part 4). Every `intervalMs` (and never two passes at once) it compares
 * what runs with what is desired:
 *
 * - each Rollout's data-plane state (replica sets, weights, header and mirror routes, session
 *   affinity, active replica, traffic policy) with what the controller last wrote to it;
 * - each running replica's environment (fingerprints the data plane reports) with the environment
 *   the controller computed for its revision (ConfigMaps and Secrets merged in);
 * - each running revision's working directory with its checksum taken when the revision was created;
 * - the flag sets the data plane serves with the stored FeatureFlags (unless a push is due).
 *
 * A new difference is a `DriftDetected` event naming the object, field and both values, counted in
 * `cutover_drift_detected_total`, and a `driftDetected` notification; one no longer seen is a
 * `DriftResolved` event. Under `driftPolicy: remediate` (a Rollout's spec, a FeatureFlags
 * resource's `cutover.dev/drift-policy` annotation) the data-plane state and the flags are restored
 * and a `DriftRemediated` event recorded; an environment or a working directory cannot be restored
 * by cutover and is reported under either policy. The findings of the last pass are
 * `GET /api/v1/drift` (`cutover drift`).
 */
export class DriftDetector {
  readonly #o: DriftDetectorOptions;
  readonly #hasher: DirectoryHasher;
  readonly #notifier: Notifier | undefined;
  #current = new Map<string, CurrentDrift>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #passes = 0;
  #lastPassAt: number | null = null;
  readonly #detected = new Map<string, { kind: string; name: string; aspect: DriftAspect; count: number }>();
  readonly #remediations = new Map<string, { kind: string; name: string; count: number }>();
  /** `rollout/revision` whose working directory was reported as not checked (once each). */
  readonly #notChecked = new Set<string>();
  /**
   * What an earlier leader recorded (read from the event log at the first pass): its open findings
   * are not reported again, only resolved when they go away. Undefined until loaded.
   */
  #history: DriftHistory | undefined;
  /** Per object, the last remediation failure recorded (recorded again only when it changes). */
  readonly #failures = new Map<string, string>();

  constructor(options: DriftDetectorOptions) {
    this.#o = options;
    this.#hasher = new DirectoryHasher(options.exclude);
    const channels = options.channels ?? [];
    this.#notifier = channels.length === 0 ? undefined : new Notifier({ channels, logger: options.logger });
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.pass()
        .catch((err: unknown) => this.#o.logger.error({ err }, 'drift pass failed'))
        .finally(() => {
          this.#running = undefined;
          this.#schedule();
        });
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** The findings of the last pass (`GET /api/v1/drift`). */
  report(): DriftReport {
    return {
      checkedAt: this.#lastPassAt,
      intervalSeconds: this.#o.intervalMs / 1000,
      items: [...this.#current.values()],
    };
  }

  stats(): DriftStats {
    return {
      passes: this.#passes,
      lastPassAt: this.#lastPassAt,
      current: [...this.#current.values()],
      detected: [...this.#detected.values()],
      remediations: [...this.#remediations.values()],
    };
  }

  /** One pass: compare, report, remediate. Exposed for tests. */
  async pass(): Promise<void> {
    const client = this.#o.dataPlane();
    let state: DataPlaneState;
    try {
      state = await client.state();
    } catch (err) {
      this.#o.logger.warn({ err: String(err) }, 'drift pass skipped: the data plane did not answer');
      return;
    }
    if (this.#history === undefined) {
      this.#history = await loadDriftHistory(this.#o.store);
      for (const key of this.#history.notChecked) this.#notChecked.add(key);
      for (const [object, message] of this.#history.failures) this.#failures.set(object, message);
    }
    const found = [...(await this.#rollouts(state)), ...(await this.#flags(client))];
    await this.#report(found);
    await this.#remediate(found);
    this.#passes++;
    this.#lastPassAt = this.#o.clock.now();
  }

  async #rollouts(state: DataPlaneState): Promise<Found[]> {
    const { store } = this.#o;
    const rollouts = await store.listRollouts();
    const checksums = await store.listWorkdirChecksums();
    const written = new Map(this.#o.controller.driftOf(state).map((w) => [w.rollout, w]));
    const dirs = new Map<string, Promise<DirectoryChecksum | DirectoryNotChecked>>();
    const found: Found[] = [];
    for (const rollout of rollouts) {
      const policy = rollout.spec.driftPolicy ?? DEFAULT_DRIFT_POLICY;
      const observed = state.rollouts.find((r) => r.rollout === rollout.name);
      const w = written.get(rollout.name);
      if (w !== undefined) {
        for (const finding of w.findings) found.push({ finding, policy });
        // The environment is compared once the replica sets are those written.
        if (w.findings.length === 0) {
          const desired = await this.#desiredEnvironment(w.spec);
          for (const finding of environmentDrift(rollout.name, desired, observed))
            found.push({ finding, policy });
        }
      }
      const running = new Set(
        (observed?.replicaSets ?? []).filter((rs) => rs.replicas > 0).map((rs) => rs.revision),
      );
      for (const number of [...running].sort((a, b) => a - b)) {
        const cwd = rollout.revisions.find((v) => v.number === number)?.template.cwd;
        if (cwd === undefined) continue;
        let now = dirs.get(cwd);
        if (now === undefined) {
          now = this.#hasher.checksum(cwd);
          dirs.set(cwd, now);
        }
        const checksum = await now;
        const taken = checksums.find((c) => c.rollout === rollout.name && c.revision === number);
        if (taken === undefined) {
          // A revision created before drift detection (or whose checksum failed): taken now.
          await this.#keep(rollout.name, number, cwd, checksum);
          continue;
        }
        for (const finding of workingDirectoryDrift(rollout.name, number, taken.checksum, checksum))
          found.push({ finding, policy, dir: cwd });
      }
    }
    return found;
  }

  /** The environment the controller computes for each replica set written, as fingerprints. */
  async #desiredEnvironment(spec: RolloutDataPlaneSpec): Promise<DesiredEnvironment[]> {
    const out: DesiredEnvironment[] = [];
    for (const rs of spec.replicaSets) {
      if (rs.replicas === 0) continue;
      try {
        const template = this.#o.materialize ? await this.#o.materialize(rs.template) : rs.template;
        out.push({ key: replicaSetKey(rs), hash: rs.hash, env: envFingerprints(template.env) });
      } catch (err) {
        this.#o.logger.warn(
          { err: String(err), rollout: spec.rollout, revision: rs.revision },
          'drift: cannot compute the environment of a replica set',
        );
      }
    }
    return out;
  }

  async #flags(client: DataPlaneClient): Promise<Found[]> {
    const flags = this.#o.flags;
    if (flags === undefined) return [];
    try {
      const served = await client.flagSets();
      const view = await flags.driftView(served);
      if (!view.drifted) return [];
      const policies = new Map(view.desired.map((d) => [d.set.name, d.policy]));
      return flagsDrift(
        view.desired.map((d) => d.set),
        served.flagSets,
      ).map((finding) => ({ finding, policy: policies.get(finding.name) ?? DEFAULT_DRIFT_POLICY }));
    } catch (err) {
      this.#o.logger.warn({ err: String(err) }, 'drift: cannot compare the flags served');
      return [];
    }
  }

  /**
   * New findings are reported (events, counters, notifications); those no longer seen are resolved.
   * The first pass also takes over the open findings of the event log (an earlier leader's).
   */
  async #report(found: readonly Found[]): Promise<void> {
    const now = this.#o.clock.now();
    const next = new Map<string, CurrentDrift>();
    const fresh: Found[] = [];
    const earlier: Map<string, OpenDrift | CurrentDrift> = new Map([
      ...(this.#history?.open ?? []),
      ...this.#current,
    ]);
    this.#history?.open.clear();
    for (const f of found) {
      const key = keyOf(f.finding);
      const previous = earlier.get(key);
      const remediable = REMEDIABLE.has(f.finding.aspect);
      if (
        previous !== undefined &&
        previous.desired === f.finding.desired &&
        previous.observed === f.finding.observed
      ) {
        next.set(key, { ...f.finding, since: previous.since, policy: f.policy, remediable });
        continue;
      }
      next.set(key, { ...f.finding, policy: f.policy, remediable, since: now });
      fresh.push(f);
    }
    const resolved = [...earlier.entries()].filter(([key]) => !next.has(key)).map(([, c]) => c);
    this.#current = next;
    const events: NewEvent[] = [
      ...fresh.map((f) => this.#detectedEvent(f, now)),
      ...resolved.map(
        (c): NewEvent => ({
          time: now,
          rollout: c.kind === 'Rollout' ? c.name : null,
          type: 'Normal',
          reason: DRIFT_RESOLVED,
          message: `${objectOf(c)}: ${c.field} no longer drifts (desired ${c.desired}; it was ${c.observed})`,
          actor: 'controller',
        }),
      ),
    ];
    await this.#append(events);
    this.#count(fresh.map((f) => f.finding));
    this.#notify('driftDetected', fresh);
  }

  #detectedEvent(f: Found, now: number, suffix?: string): NewEvent {
    const { finding } = f;
    const what =
      suffix ??
      (f.policy === 'alert'
        ? 'driftPolicy alert: reported, not restored'
        : REMEDIABLE.has(finding.aspect)
          ? 'driftPolicy remediate: restoring'
          : `driftPolicy remediate, but cutover cannot restore ${finding.aspect === 'environment' ? "a running replica's environment" : "a working directory's files"}: reported`);
    return {
      time: now,
      rollout: finding.kind === 'Rollout' ? finding.name : null,
      type: 'Warning',
      reason: DRIFT_DETECTED,
      message: `${objectOf(finding)}: ${finding.field}${f.dir === undefined ? '' : ` (in ${f.dir})`}: desired ${finding.desired}, observed ${finding.observed} (${what})`,
      actor: 'controller',
    };
  }

  /** Appends events, at most {@link MAX_EVENTS_PER_PASS} (then one that sums up the rest). */
  async #append(events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const kept = events.slice(0, MAX_EVENTS_PER_PASS);
    if (events.length > MAX_EVENTS_PER_PASS) {
      kept.push({
        time: kept[0]!.time,
        rollout: null,
        type: 'Warning',
        reason: DRIFT_DETECTED,
        message: `${events.length - MAX_EVENTS_PER_PASS} more drift change(s) in this pass: cutover drift lists the current drift`,
        actor: 'controller',
      });
    }
    await this.#o.store.appendEvents(kept);
  }

  #count(findings: readonly DriftFinding[]): void {
    for (const f of findings) {
      const key = `${objectOf(f)}\u0000${f.aspect}`;
      const entry = this.#detected.get(key) ?? { kind: f.kind, name: f.name, aspect: f.aspect, count: 0 };
      entry.count++;
      this.#detected.set(key, entry);
    }
  }

  /** One notification per object (never awaited: a slow channel does not hold the pass). */
  #notify(kind: 'driftDetected' | 'driftRemediated', found: readonly Found[], text?: string): void {
    const notifier = this.#notifier;
    if (notifier === undefined || found.length === 0) return;
    const byObject = new Map<string, Found[]>();
    for (const f of found)
      byObject.set(objectOf(f.finding), [...(byObject.get(objectOf(f.finding)) ?? []), f]);
    for (const [object, list] of byObject) {
      const first = list[0]!;
      void notifier
        .send({
          kind,
          severity: kind === 'driftDetected' ? 'warning' : 'info',
          title:
            kind === 'driftDetected'
              ? `Drift detected in ${object}: ${list.length} field(s)`
              : `Drift remediated in ${object}: ${list.length} field(s) restored`,
          text:
            text ??
            list
              .map((f) => `${f.finding.field}: desired ${f.finding.desired}, observed ${f.finding.observed}`)
              .join('\n'),
          at: this.#o.clock.now(),
          fields: {
            object,
            policy: first.policy,
            aspect: [...new Set(list.map((f) => f.finding.aspect))].join(', '),
          },
        })
        .then((results) => {
          for (const r of results)
            if (!r.delivered)
              this.#o.logger.warn({ channel: r.channel, error: r.error }, 'drift notification not delivered');
        });
    }
  }

  async #remediate(found: readonly Found[]): Promise<void> {
    const due = found.filter((f) => f.policy === 'remediate' && REMEDIABLE.has(f.finding.aspect));
    const rollouts = [...new Set(due.filter((f) => f.finding.kind === 'Rollout').map((f) => f.finding.name))];
    for (const name of rollouts) {
      try {
        const restored = await this.#o.controller.restore(name);
        if (restored.length > 0)
          await this.#remediated(
            'Rollout',
            name,
            restored.map((finding) => ({ finding, policy: 'remediate' })),
          );
      } catch (err) {
        await this.#failed('Rollout', name, err);
      }
    }
    const flags = due.filter((f) => f.finding.kind === 'FeatureFlags');
    if (flags.length > 0 && this.#o.flags !== undefined) {
      try {
        const restore = new Set(flags.map((f) => f.finding.name));
        const served = await this.#o.dataPlane().flagSets();
        const view = await this.#o.flags.driftView(served);
        const sets: ServedFlagSet[] = [];
        for (const { set } of view.desired) {
          const kept = restore.has(set.name) ? set : served.flagSets.find((s) => s.name === set.name);
          if (kept !== undefined) sets.push(kept);
        }
        // Sets no resource names have no policy: what is served of them stays.
        for (const s of served.flagSets) if (!view.desired.some((d) => d.set.name === s.name)) sets.push(s);
        await this.#o.flags.restore(sets);
        for (const name of restore)
          await this.#remediated(
            'FeatureFlags',
            name,
            flags.filter((f) => f.finding.name === name),
          );
      } catch (err) {
        for (const name of new Set(flags.map((f) => f.finding.name)))
          await this.#failed('FeatureFlags', name, err);
      }
    }
  }

  /** Records a remediation: an event naming each field restored; the findings are current no more. */
  async #remediated(
    kind: 'Rollout' | 'FeatureFlags',
    name: string,
    restored: readonly Found[],
  ): Promise<void> {
    const now = this.#o.clock.now();
    for (const f of restored) this.#current.delete(keyOf(f.finding));
    this.#failures.delete(`${kind}/${name}`);
    const entry = this.#remediations.get(`${kind}/${name}`) ?? { kind, name, count: 0 };
    entry.count++;
    this.#remediations.set(`${kind}/${name}`, entry);
    const fields = restored
      .map((f) => `${f.finding.field} back to ${f.finding.desired} (was ${f.finding.observed})`)
      .join('; ');
    await this.#o.store.appendEvents([
      {
        time: now,
        rollout: kind === 'Rollout' ? name : null,
        type: 'Normal',
        reason: DRIFT_REMEDIATED,
        message: `${kind}/${name}: driftPolicy remediate restored the desired state: ${fields}`,
        actor: 'controller',
      },
    ]);
    this.#notify('driftRemediated', restored, fields);
  }

  async #failed(kind: 'Rollout' | 'FeatureFlags', name: string, err: unknown): Promise<void> {
    const message = `${kind}/${name}: driftPolicy remediate could not restore the desired state: ${(err as Error).message ?? String(err)}`;
    this.#o.logger.warn({ err: String(err), object: `${kind}/${name}` }, 'drift remediation failed');
    if (this.#failures.get(`${kind}/${name}`) === message) return;
    this.#failures.set(`${kind}/${name}`, message);
    await this.#o.store.appendEvents([
      {
        time: this.#o.clock.now(),
        rollout: kind === 'Rollout' ? name : null,
        type: 'Warning',
        reason: DRIFT_REMEDIATION_FAILED,
        message,
        actor: 'controller',
      },
    ]);
  }

  /**
   * The controller is about to write a Rollout's new desired state over a data plane that drifted:
   * each difference not reported yet is reported now (the write replaces it).
   */
  async overwritten(rollout: string, findings: readonly DriftFinding[]): Promise<void> {
    const now = this.#o.clock.now();
    const fresh = findings.filter((f) => {
      const current = this.#current.get(keyOf(f));
      return current === undefined || current.observed !== f.observed;
    });
    if (fresh.length === 0) return;
    const policy = (await this.#o.store.getRollout(rollout))?.spec.driftPolicy ?? DEFAULT_DRIFT_POLICY;
    await this.#append(
      fresh.map((finding) =>
        this.#detectedEvent(
          { finding, policy: 'alert' },
          now,
          "the controller's next change to the Rollout replaces it",
        ),
      ),
    );
    this.#count(fresh);
    this.#notify(
      'driftDetected',
      fresh.map((finding) => ({ finding, policy })),
    );
    this.#o.logger.info({ rollout, findings: fresh.length }, 'drift replaced by the controller');
  }

  /**
   * Takes the checksum of the working directory of each revision an apply created (a revision that
   * already has one keeps it): drift passes compare the directory with it.
   */
  async revisionsCreated(results: readonly RolloutApplyResult[]): Promise<void> {
    for (const r of results) {
      if (r.change !== 'created' && r.change !== 'revised') continue;
      try {
        if ((await this.#o.store.listWorkdirChecksums(r.name)).some((c) => c.revision === r.revision))
          continue;
        const rollout = await this.#o.store.getRollout(r.name);
        const cwd = rollout?.revisions.find((v) => v.number === r.revision)?.template.cwd;
        if (cwd === undefined) continue;
        await this.#keep(r.name, r.revision, cwd, await this.#hasher.checksum(cwd));
      } catch (err) {
        this.#o.logger.warn(
          { err: String(err), rollout: r.name },
          'drift: cannot take a working directory checksum',
        );
      }
    }
  }

  /** Stores a revision's checksum, or records once why its working directory is not checked. */
  async #keep(
    rollout: string,
    revision: number,
    cwd: string,
    checksum: DirectoryChecksum | DirectoryNotChecked,
  ): Promise<void> {
    const now = this.#o.clock.now();
    if (!('error' in checksum)) {
      await this.#o.store.putWorkdirChecksum({ rollout, revision, cwd, checksum, takenAt: now });
      return;
    }
    const key = `${rollout}/${revision}`;
    if (this.#notChecked.has(key)) return;
    this.#notChecked.add(key);
    await this.#o.store.appendEvents([
      {
        time: now,
        rollout,
        type: 'Warning',
        reason: WORKDIR_NOT_CHECKED,
        message: `The working directory of revision ${revision} (${cwd}) is not checked for drift: ${checksum.error}`,
        actor: 'controller',
      },
    ]);
  }
}
