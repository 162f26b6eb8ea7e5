import { dirname } from 'node:path';
import { envArgIssues } from '../analysis/index.js';
import type { ReleaseView } from '../api/views.js';
import type { Role } from '../auth/index.js';
import { refuseUnsandboxed } from '../auth/unsandboxed-options.js';
import type { Clock } from '../clock/index.js';
import { Mutex } from '../controller/index.js';
import { buildDeploymentRecord } from '../records/build-deployment-record.js';
import type { IncidentRecord } from '../records/types.js';
import {
  type Environment,
  locateSpecIssues,
  parseSpec,
  type Release as ReleaseResource,
  SpecValidationError,
} from '../spec/index.js';
import type { NewEvent, Store, StoredRelease } from '../store/index.js';
import {
  APPROVAL_POLICIES,
  approvalState,
  createRelease,
  evaluateWindow,
  isTerminalStatus,
  nextWindow,
  type PlanProgress,
  progressEvents,
  type Release,
  type ReleaseContext,
  type ReleaseEvent,
  type ReleaseLogEvent,
  type ReleaseTransition,
  type ReleaseType,
  type RollbackType,
  releasePlan,
  resolveWindowPolicy,
  transitionRelease,
  windowTime,
} from '../workflow/index.js';
import { ReleaseNotFoundError } from './errors.js';

/** A notification the workflow asked for (an effect `notify`), handed to the notifier. */
export interface ReleaseNotification {
  kind: string;
  release: string;
  environment: string;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  text: string;
  at: number;
}

/** Where notifications go (webhook / Slack channels of the release); never throws. */
export type NotifyFn = (notification: ReleaseNotification, stored: StoredRelease) => Promise<void>;

/** Why a rollback was asked for, recorded on the incident. */
export interface RollbackCause {
  type: RollbackType;
  reason: string;
  /** What fired: errorRate, p95, smokeTest, healthCheck, manual, monitor. @default manual */
  trigger?: string;
  /** Measured values that fired it (ratio 0..1 for rates, ms for latencies). */
  values?: Record<string, number | string | null>;
}

export interface ReleaseServiceOptions {
  store: Store;
  clock: Clock;
  notify?: NotifyFn;
  /** Variables analysis args may read with `valueFrom.env` (`CUTOVER_ANALYSIS_ENV_ALLOW`). @default [] */
  analysisEnvAllow?: readonly string[];
  /**
   * Where the control plane runs Rollouts (`cutover server --platform`). A release's Rollouts are
   * cutover.dev Rollouts (local processes): on `kubernetes` a release is refused at create.
   * @default "local"
   */
  platform?: 'local' | 'kubernetes';
}

const SEVERITY: Record<string, ReleaseNotification['severity']> = {
  releaseFailed: 'critical',
  escalation: 'critical',
  rollbackStarted: 'warning',
  releaseRolledBack: 'warning',
  releaseRejected: 'warning',
  releaseCancelled: 'warning',
};

/**
 * The release workflow's executor of decisions: validates and creates releases, applies events
 * (approve, reject, cancel, rollback, stage results from the crew, the clock) through the pure
 * `transitionRelease`, one at a time per release, and stores each new state with its events in one
 * transaction. Computes the deployment window of the target environment for every decision, writes
 * the deployment record and incident records, and sends the notifications the workflow asks for.
 * The crew carries out the stages; this class never waits on them.
 */
export class ReleaseService {
  readonly #mutex = new Mutex();

  constructor(private readonly options: ReleaseServiceOptions) {}

  /**
   * Creates a release from the YAML text of a Release file (one Release document).
   * @param file - absolute path of the file: the base of the spec's relative paths.
   * @param role - the caller's role: only an admin may create a release whose jobs run outside the
   *   sandbox (migrations, `network: true`; see `refuseUnsandboxed`).
   * @throws SpecValidationError (file, line, column, field path) for a bad file, an unknown or
   *   misordered environment, a release that already exists, or any release on the kubernetes
   *   platform (at `spec.rollouts`); UnsandboxedForbiddenError (403
   *   `CUTOVER_E_UNSANDBOXED_FORBIDDEN`). Nothing is stored then.
   */
  async create(
    text: string,
    file: string,
    actor: string,
    role: Role,
    typeOverride?: ReleaseType,
  ): Promise<ReleaseView> {
    const { store, clock } = this.options;
    const known = (await store.listAnalysisTemplates()).map((t) => ({
      name: t.metadata.name,
      clusterScope: t.kind === 'ClusterAnalysisTemplate',
    }));
    const resources = parseSpec(text, file, { knownTemplates: known });
    const located: { document: number; path: (string | number)[]; message: string }[] = [];
    const releases = resources.flatMap((r, document) => (r.kind === 'Release' ? [{ r, document }] : []));
    resources.forEach((r, document) => {
      if (r.kind !== 'Release') {
        located.push({
          document,
          path: ['kind'],
          message: `expected Release in a release file, got ${r.kind} (apply it with cutover apply -f)`,
        });
      }
    });
    if (releases.length !== 1 && located.length === 0) {
      located.push({
        document: 0,
        path: ['kind'],
        message: `expected exactly one Release, got ${releases.length}`,
      });
    }
    const entry = releases[0];
    if (entry !== undefined) {
      const { r, document } = entry as { r: ReleaseResource; document: number };
      if (this.options.platform === 'kubernetes')
        located.push({
          document,
          path: ['spec', 'rollouts'],
          message:
            "a release's Rollouts are cutover.dev Rollouts (local processes), which the kubernetes platform does not run; releases are not supported on --platform kubernetes yet (apply Argo Rollouts with cutover apply -f and use promote / abort)",
        });
      const environments = await store.listEnvironments();
      let lastOrder = Number.NEGATIVE_INFINITY;
      r.spec.environments.forEach((name, i) => {
        const env = environments.find((e) => e.metadata.name === name);
        if (env === undefined) {
          const knownNames = environments.map((e) => e.metadata.name).join(', ') || 'none applied';
          located.push({
            document,
            path: ['spec', 'environments', i],
            message: `unknown environment ${JSON.stringify(name)}; expected an applied Environment (${knownNames})`,
          });
          return;
        }
        if (env.spec.order <= lastOrder) {
          located.push({
            document,
            path: ['spec', 'environments', i],
            message: `environment ${name} (order ${env.spec.order}) is listed after an environment of a later or equal order; list environments in promotion order`,
          });
        }
        lastOrder = env.spec.order;
      });
      if (await store.getRelease(r.metadata.name)) {
        located.push({
          document,
          path: ['metadata', 'name'],
          message: `release ${r.metadata.name} already exists; give the new release its own name`,
        });
      }
    }
    resources.forEach((r, document) => {
      for (const issue of envArgIssues(r, this.options.analysisEnvAllow ?? []))
        located.push({ document, ...issue });
    });
    if (located.length > 0) throw new SpecValidationError(locateSpecIssues(text, file, located));
    const resource = (entry as { r: ReleaseResource }).r;
    refuseUnsandboxed([{ resource, document: (entry as { document: number }).document }], file, role);
    return this.#mutex.run(async () => {
      const now = clock.now();
      const transition = createRelease(
        {
          name: resource.metadata.name,
          version: resource.spec.version,
          type: typeOverride ?? resource.spec.type ?? 'standard',
          rollouts: resource.spec.rollouts.map((r) => r.name),
          environments: resource.spec.environments,
          createdBy: actor,
        },
        { now },
      );
      const stored: StoredRelease = {
        state: transition.release,
        spec: resource.spec,
        baseDir: dirname(file),
      };
      await store.createRelease(stored, this.#events(transition, actor, now));
      await this.#afterTransition(stored, transition);
      return this.view(stored);
    });
  }

  /**
   * Applies one event to a release, as `transitionRelease`, with the window of the target
   * environment computed for now.
   * @throws ReleaseNotFoundError (404) when the release does not exist; ReleaseTransitionError /
   *   ApprovalNotAllowedError (mapped to 409 / 403) when the event is refused: nothing changes.
   */
  async dispatch(
    name: string,
    event: ReleaseEvent,
    actor: string,
    cause?: RollbackCause,
  ): Promise<ReleaseView> {
    return this.#mutex.run(async () => {
      const stored = await this.#get(name);
      const now = this.options.clock.now();
      const ctx = await this.#context(stored.state, now);
      const transition = transitionRelease(stored.state, event, ctx);
      if (transition.events.length === 0) return this.view(stored);
      // Events without an actor of their own (a stage result) are the caller's doing: a crew agent's.
      const history = transition.release.history;
      for (let i = stored.state.history.length; i < history.length; i++) {
        const entry = history[i]!;
        if (entry.actor === undefined) history[i] = { ...entry, actor };
      }
      const next: StoredRelease = { ...stored, state: transition.release };
      if (event.type === 'rollbackRequested' || transition.release.stage === 'ROLLBACK') {
        if (stored.state.stage !== 'ROLLBACK') await this.#openIncident(next, actor, now, cause);
      }
      await this.options.store.saveRelease(transition.release, this.#events(transition, actor, now));
      await this.#afterTransition(next, transition);
      return this.view(next);
    });
  }

  /**
   * Records a finding of a crew agent (a MONITOR threshold crossed, a rollback dry-run that failed,
   * a zero-downtime violation): a Warning event of the release and a notification (`investigate`,
   * or `escalation`). Changes no state.
   * @throws ReleaseNotFoundError (404) when the release does not exist.
   */
  async recordFinding(
    name: string,
    level: 'investigate' | 'escalation',
    message: string,
    actor: string,
  ): Promise<void> {
    const stored = await this.#get(name);
    const now = this.options.clock.now();
    const reason = level === 'escalation' ? 'Escalation' : 'Investigate';
    await this.options.store.appendEvents([
      { time: now, rollout: null, release: name, type: 'Warning', reason, message, actor },
    ]);
    await this.#notify(stored, {
      kind: level,
      release: name,
      environment: stored.state.environment,
      severity: level === 'escalation' ? 'critical' : 'warning',
      title: `${name} ${stored.state.version}: ${level}`,
      text: message,
      at: now,
    });
  }

  /**
   * Stores the plan's progress in `progress.environment` (reported by the crew agent of the running
   * stage) with an event per change of a Rollout's state and per new smoke test result
   * (`progressEvents`). Changes no state of the workflow.
   * @throws ReleaseNotFoundError (404) when the release does not exist.
   */
  async recordProgress(name: string, progress: PlanProgress, actor: string): Promise<void> {
    await this.#mutex.run(async () => {
      const stored = await this.#get(name);
      const before = stored.progress?.find((p) => p.environment === progress.environment) ?? null;
      const now = this.options.clock.now();
      const events = progressEvents(before, progress).map((e) => ({
        time: now,
        rollout: null,
        release: name,
        ...e,
        actor,
      }));
      await this.options.store.saveReleaseProgress(name, progress, events);
    });
  }

  /** Re-evaluates the windows of releases waiting for one (the clock advanced). Never throws. */
  async tick(): Promise<void> {
    const waiting = (await this.options.store.listReleases()).filter(
      (r) => r.state.status === 'WAITING_WINDOW',
    );
    for (const r of waiting) {
      await this.dispatch(
        r.state.name,
        { type: 'tick', now: this.options.clock.now() },
        'agent:release-manager',
      ).catch(() => undefined);
    }
  }

  /** The release as the API shows it. @throws ReleaseNotFoundError (404). */
  async get(name: string): Promise<ReleaseView> {
    return this.view(await this.#get(name));
  }

  /** Releases, newest first; with `active`, only those that have not ended (what the crew works on). */
  async list(filter: { active?: boolean } = {}): Promise<ReleaseView[]> {
    const all = await this.options.store.listReleases();
    const wanted = filter.active === true ? all.filter((r) => !isTerminalStatus(r.state.status)) : all;
    return Promise.all(wanted.map((r) => this.view(r)));
  }

  async view(stored: StoredRelease): Promise<ReleaseView> {
    const r = stored.state;
    const state = approvalState(r);
    const incidents = await this.options.store.listIncidents({ release: r.name });
    let waitingUntilText: string | null = null;
    if (r.waitingUntil !== null) {
      const target = r.environments[r.environments.length - 1] ?? '';
      const env = await this.options.store.getEnvironment(target);
      const timeZone = resolveWindowPolicy(env?.spec.windows, `environments.${target}.windows`).timeZone;
      waitingUntilText = windowTime(r.waitingUntil, timeZone);
    }
    return {
      ...r,
      waitingUntilText,
      plan: releasePlan(r),
      progress: stored.progress ?? [],
      approval: { ...state, required: [...APPROVAL_POLICIES[r.type].required] },
      incidents,
      record: (await this.options.store.getDeploymentRecord(r.name)) ?? null,
      team: stored.spec.team ?? '',
      spec: stored.spec,
      baseDir: stored.baseDir,
    };
  }

  async #get(name: string): Promise<StoredRelease> {
    const stored = await this.options.store.getRelease(name);
    if (!stored) throw new ReleaseNotFoundError(name);
    return stored;
  }

  /** Whether the target environment's window is open now, and when the next one opens. */
  async #context(release: Release, now: number): Promise<ReleaseContext> {
    if (!APPROVAL_POLICIES[release.type].waitsForWindow) return { now };
    const target = release.environments[release.environments.length - 1] ?? '';
    const env: Environment | undefined = await this.options.store.getEnvironment(target);
    const policy = resolveWindowPolicy(env?.spec.windows, `environments.${target}.windows`);
    const overrides = await this.options.store.listFreezeOverrides(target);
    const decision = evaluateWindow(policy, now, { overrides });
    const next = decision.open ? null : nextWindow(policy, now, { overrides });
    // The overrides that open the window now: the freeze that would block without them.
    const without = decision.open ? evaluateWindow(policy, now) : null;
    const lifting =
      without?.blockedBy === 'freeze'
        ? overrides
            .filter((o) => o.freeze === without.freeze && o.at <= now)
            .map((o) => `freeze ${o.freeze} overridden by ${o.actor}: ${o.reason}`)
        : [];
    return {
      now,
      windowOpen: decision.open,
      nextWindowAt: next?.start ?? null,
      timeZone: policy.timeZone,
      ...(lifting.length === 0 ? {} : { overrides: lifting }),
    };
  }

  #events(transition: ReleaseTransition, actor: string, now: number): NewEvent[] {
    return transition.events.map((e: ReleaseLogEvent) => ({
      time: now,
      rollout: null,
      release: transition.release.name,
      type: e.type,
      reason: e.reason,
      message: e.message,
      actor,
    }));
  }

  async #openIncident(next: StoredRelease, actor: string, now: number, cause?: RollbackCause): Promise<void> {
    const r = next.state;
    const existing = await this.options.store.listIncidents({ release: r.name });
    const incident: IncidentRecord = {
      name: `${r.name}-incident-${existing.length + 1}`,
      release: r.name,
      environment: r.environment,
      services: [...r.rollouts],
      rollbackType: r.rollback?.type ?? cause?.type ?? 'traffic',
      reason: r.rollback?.reason ?? cause?.reason ?? '',
      trigger: cause?.trigger ?? (actor.startsWith('user:') ? 'manual' : 'monitor'),
      triggerValues: cause?.values ?? {},
      actor: r.rollback?.actor ?? actor,
      rolledBackTo: '',
      // From the fault's onset (the trigger's first failing sample), not from RollbackStarted.
      detectedAt: onsetOf(cause?.values, now),
      resolvedAt: null,
      status: 'RUNNING',
      timeline: [
        { at: now, stage: 'ROLLBACK', reason: 'RollbackStarted', actor, message: r.rollback?.reason ?? '' },
      ],
      escalated: false,
    };
    await this.options.store.saveIncident(incident);
  }

  /** Records and notifications after a stored transition. */
  async #afterTransition(stored: StoredRelease, transition: ReleaseTransition): Promise<void> {
    const { store, clock } = this.options;
    const r = transition.release;
    const now = clock.now();
    if (r.stage === 'ROLLBACK' && isTerminalStatus(r.status)) {
      const incidents = await store.listIncidents({ release: r.name });
      const open = incidents.find((i) => i.status === 'RUNNING');
      if (open !== undefined) {
        const rollbackResult = r.stageResults.filter((s) => s.stage === 'ROLLBACK').at(-1);
        const report = (rollbackResult?.report ?? {}) as {
          rolledBackTo?: string;
          timeline?: IncidentRecord['timeline'];
        };
        const failed = r.status !== 'ROLLED_BACK';
        await store.saveIncident({
          ...open,
          status: failed ? 'FAILED' : 'ROLLED_BACK',
          resolvedAt: failed ? null : now,
          rolledBackTo: report.rolledBackTo ?? open.rolledBackTo,
          escalated: failed || open.escalated,
          timeline: [
            ...open.timeline,
            ...(report.timeline ?? []),
            {
              at: now,
              stage: 'ROLLBACK',
              reason: failed ? 'RollbackFailed' : 'ReleaseRolledBack',
              message: rollbackResult?.reason ?? (failed ? 'rollback failed' : 'service restored'),
            },
          ],
        });
      }
    }
    if (r.status === 'SUCCESS' || r.status === 'ROLLED_BACK') await this.#restoreFailedIncidents(r, now);
    if (isTerminalStatus(r.status)) {
      const record = buildDeploymentRecord(
        r,
        stored.spec,
        await store.listIncidents({ release: r.name }),
        stored.progress,
      );
      if (record !== null) {
        await store.saveDeploymentRecord(record);
        await this.#escalateRepeatedFailure(stored, record.status);
      }
    }
    if (transition.events.some((e) => e.reason === 'StageStarted' && e.message.startsWith('DEPLOY '))) {
      await this.#notify(stored, {
        kind: 'preDeployment',
        release: r.name,
        environment: r.environment,
        severity: 'info',
        title: `${r.name} ${r.version}: deploying to ${r.environment}`,
        text: `${r.type} release ${r.name} ${r.version} of ${r.rollouts.join(', ')} is deploying to ${r.environment}`,
        at: now,
      });
    }
    for (const effect of transition.effects) {
      if (effect.type !== 'notify') continue;
      await this.#notify(stored, {
        kind: effect.kind,
        release: r.name,
        environment: r.environment,
        severity: SEVERITY[effect.kind] ?? 'info',
        title: `${r.name} ${r.version}: ${effect.kind}`,
        text: effect.message,
        at: now,
      });
    }
  }

  /**
   * A failed rollback leaves its incident open (`resolvedAt` null): service is restored when a later
   * release of the same services in the same environment ships or rolls back. Its time to restore
   * counts until then.
   */
  async #restoreFailedIncidents(r: Release, now: number): Promise<void> {
    const { store } = this.options;
    const open = (await store.listIncidents()).filter(
      (i) =>
        i.release !== r.name &&
        i.status === 'FAILED' &&
        i.resolvedAt === null &&
        i.environment === r.environment &&
        i.services.some((s) => r.rollouts.includes(s)),
    );
    for (const incident of open) {
      await store.saveIncident({
        ...incident,
        resolvedAt: now,
        timeline: [
          ...incident.timeline,
          {
            at: now,
            stage: r.stage,
            reason: 'ServiceRestored',
            message: `service restored by release ${r.name} (${r.status})`,
          },
        ],
      });
    }
  }

  /** Escalation when a deployment of the same services fails twice in a row (issue 5 §5). */
  async #escalateRepeatedFailure(stored: StoredRelease, status: string): Promise<void> {
    if (status === 'SUCCESS') return;
    const r = stored.state;
    const records = (await this.options.store.listDeploymentRecords()).filter(
      (d) =>
        d.environment === r.environments[r.environments.length - 1] &&
        d.services.some((s) => r.rollouts.includes(s)),
    );
    const previous = records.filter((d) => d.release !== r.name).at(-1);
    if (previous === undefined || previous.status === 'SUCCESS') return;
    const message = `${r.rollouts.join(', ')} failed twice in a row in ${previous.environment}: ${previous.release} (${previous.status}) then ${r.name} (${status})`;
    await this.options.store.appendEvents([
      {
        time: this.options.clock.now(),
        rollout: null,
        release: r.name,
        type: 'Warning',
        reason: 'Escalation',
        message,
        actor: 'agent:release-manager',
      },
    ]);
    await this.#notify(stored, {
      kind: 'escalation',
      release: r.name,
      environment: previous.environment,
      severity: 'critical',
      title: `${r.name}: escalation`,
      text: message,
      at: this.options.clock.now(),
    });
  }

  async #notify(stored: StoredRelease, n: ReleaseNotification): Promise<void> {
    if (this.options.notify === undefined) return;
    void this.options.notify(n, stored).catch(() => undefined);
  }
}

/** The fault's onset from a trigger's values (`onsetAt`, ms since the epoch), else `now`. */
function onsetOf(values: Record<string, number | string | null> | undefined, now: number): number {
  const onset = values?.['onsetAt'];
  return typeof onset === 'number' && Number.isFinite(onset) && onset > 0 && onset <= now ? onset : now;
}
