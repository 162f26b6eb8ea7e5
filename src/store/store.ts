/**
 * The store is cutover's memory: specs, revisions, status, AnalysisRuns with their measurements,
 * and an append-only event log. One small interface, one folder per backend (as Kysely's dialects):
 * `sqlite/` is the embedded default.
 */
import type { AnalysisRun } from '../analysis/types.js';
import type { AuditEntry, Qualifier, Role, UserKind } from '../auth/index.js';
import type { DirectoryChecksum } from '../drift/workdir.js';
import type { EngineEvent, Revision, RolloutStatus } from '../engine/index.js';
import type { HandoffRun, HandoffStateRef, StoredHandoffState } from '../handoff/types.js';
import type { DeploymentRecord, IncidentRecord } from '../records/types.js';
import type { FeatureFlags } from '../spec/feature-flags-schema.js';
import type { Environment, ReleaseSpec } from '../spec/release-types.js';
import type { AnalysisTemplate, RolloutSpec } from '../spec/types.js';
import type { FreezeOverride, PlanProgress, Release } from '../workflow/index.js';

/** A Rollout as stored. */
export interface StoredRollout {
  name: string;
  spec: RolloutSpec;
  status: RolloutStatus;
  /** Oldest first. */
  revisions: Revision[];
  /** The revision whose template is `spec.template`. */
  targetRevision: number;
  /** ms since the epoch. */
  createdAt: number;
}

/** One entry of the append-only event log. */
export interface StoredEvent extends EngineEvent {
  id: number;
  /** ms since the epoch. */
  time: number;
  /** Rollout the event is about; null for events of the system. */
  rollout: string | null;
  /** Who caused it: a user (`user:alice`), an agent (`agent:...`) or `controller`. */
  actor: string;
  /** Release the event is about (release workflow events); absent or null otherwise. */
  release?: string | null;
}

/** A release as stored: the workflow's state and the Release resource it was created from. */
export interface StoredRelease {
  state: Release;
  spec: ReleaseSpec;
  /** Absolute directory of the release file: base of the spec's relative paths. */
  baseDir: string;
  /** The plan's progress, one per environment the crew carried it out in. @default [] */
  progress?: PlanProgress[];
}

export type NewEvent = Omit<StoredEvent, 'id'>;

/** The kinds whose versions the store keeps. */
export type ConfigKind = 'ConfigMap' | 'Secret';

/** One version of a ConfigMap or Secret. */
export interface StoredConfigVersion {
  kind: ConfigKind;
  name: string;
  /** 1, 2, ... per name. */
  version: number;
  /** A ConfigMap's data as JSON; a Secret's encrypted envelope as JSON (never its values). */
  data: string;
  /** sha256 (hex) of the canonical JSON of the values: the version's fingerprint. */
  sha256: string;
  keys: string[];
  /** ms since the epoch. */
  createdAt: number;
  actor: string;
}

/** A Secret's `rotationSchedule`, by stored name. */
export interface SecretRotation {
  name: string;
  /** 5-part cron expression, UTC. */
  schedule: string;
  /** Channels told once per due period (a Release's `spec.notifications` shape), JSON-ready. */
  notifications: unknown[];
  /** The version whose due period was notified; null: none yet. */
  notifiedVersion: number | null;
}

/** The checksum of a revision's working directory, taken when the revision was created (drift detection). */
export interface StoredWorkdirChecksum {
  rollout: string;
  revision: number;
  /** The working directory (absolute) it was taken of. */
  cwd: string;
  checksum: DirectoryChecksum;
  /** ms since the epoch. */
  takenAt: number;
}

/** A lease (the controller's: `controller`), as Kubernetes' coordination.k8s.io Lease. */
export interface Lease {
  /** The holding replica's id. */
  holder: string;
  /** Fencing token: 1 for the first holder, one more at each change of holder. */
  token: number;
  /** ms since the epoch, the database's clock. */
  acquiredAt: number;
  renewedAt: number;
  expiresAt: number;
}

/** A control-plane replica as last seen. */
export interface ControlPlaneReplica {
  /** `<host>:<pid>:<random>`, new at each start. */
  id: string;
  /** Base URL of its API. */
  address: string;
  pid: number;
  host: string;
  version: string;
  /** ms since the epoch. */
  startedAt: number;
  /** ms since the epoch, the database's clock. */
  seenAt: number;
}

/** What applying one Rollout changed. */
export interface RolloutApplyResult {
  name: string;
  /** `created`, `updated` (spec changed, same template), `revised` (new revision), `unchanged`. */
  change: 'created' | 'updated' | 'revised' | 'unchanged';
  revision: number;
}

export interface EventQuery {
  rollout?: string;
  release?: string;
  /** Only events with a larger id. */
  afterId?: number;
  /** Most recent N (returned oldest first). @default 500 */
  limit?: number;
}

/** A bearer token as stored: never the token itself, only the hash of its secret. */
export interface StoredToken {
  /** Public id, the `<id>` of `cut_<id>_<secret>`. */
  id: string;
  user: string;
  kind: UserKind;
  role: Role;
  /** An approver's qualification; null for other roles. */
  qualifier: Qualifier | null;
  /** sha256 (hex) of the secret. */
  hash: string;
  /** ms since the epoch. */
  createdAt: number;
  /** ms since the epoch; null while valid. */
  revokedAt: number | null;
}

/** An audit entry before it is chained (the store assigns `id`, `prevHash` and `hash`). */
export type NewAuditEntry = Omit<AuditEntry, 'id' | 'prevHash' | 'hash'>;

export interface Store {
  /**
   * Stores Rollouts and AnalysisTemplates in one transaction: all or nothing. A Rollout whose
   * template hash differs from its target revision's gets a new revision (numbered max + 1),
   * except that the stable revision's template makes the stable revision the target again.
   * Idempotent: applying the same resources twice changes nothing the second time.
   */
  apply(
    input: {
      rollouts: { name: string; spec: RolloutSpec; hash: string }[];
      templates: AnalysisTemplate[];
      environments?: Environment[];
      /** FeatureFlags resources to create or replace (a `FeatureFlagsConfigured` event each that changed). */
      featureFlags?: FeatureFlags[];
    },
    actor: string,
    now: number,
  ): Promise<RolloutApplyResult[]>;
  getFeatureFlags(name: string): Promise<FeatureFlags | undefined>;
  /** Ordered by name. */
  listFeatureFlags(): Promise<FeatureFlags[]>;
  getRollout(name: string): Promise<StoredRollout | undefined>;
  listRollouts(): Promise<StoredRollout[]>;
  /** Writes a new status and its events in one transaction. */
  saveStatus(name: string, status: RolloutStatus, events: NewEvent[]): Promise<void>;
  deleteRollout(name: string, event: NewEvent): Promise<void>;
  getAnalysisTemplate(name: string, clusterScope: boolean): Promise<AnalysisTemplate | undefined>;
  listAnalysisTemplates(): Promise<AnalysisTemplate[]>;
  /** Inserts a run; a run with the same name already stored is kept (idempotent). */
  createAnalysisRun(run: AnalysisRun, now: number): Promise<void>;
  saveAnalysisRun(run: AnalysisRun, now: number): Promise<void>;
  getAnalysisRun(name: string): Promise<AnalysisRun | undefined>;
  /** Runs of a rollout (all when omitted), newest first; `active` = phase Pending or Running. */
  listAnalysisRuns(filter?: { rollout?: string; active?: boolean }): Promise<AnalysisRun[]>;
  /** Inserts a handoff run; one with the same name already stored is kept (idempotent). */
  createHandoffRun(run: HandoffRun, now: number): Promise<void>;
  saveHandoffRun(run: HandoffRun, now: number): Promise<void>;
  getHandoffRun(name: string): Promise<HandoffRun | undefined>;
  /** Handoff runs of a rollout (all when omitted), newest first; `active` = phase Running. */
  listHandoffRuns(filter?: { rollout?: string; active?: boolean }): Promise<HandoffRun[]>;
  /** Stores an exported state (a snapshot: only the last few are kept). @returns its reference. */
  putHandoffState(state: Omit<StoredHandoffState, 'id'>): Promise<HandoffStateRef>;
  getHandoffState(id: number): Promise<StoredHandoffState | undefined>;
  /** The state a handoff run exported, if it got that far (a resumed run does not export twice). */
  handoffStateOfRun(run: string): Promise<StoredHandoffState | undefined>;
  /** The Rollout's most recently exported state (a handoff's or a snapshot), if any. */
  latestHandoffState(rollout: string): Promise<StoredHandoffState | undefined>;
  appendEvents(events: NewEvent[]): Promise<void>;
  listEvents(query?: EventQuery): Promise<StoredEvent[]>;
  /** Stores a token, creating its user (with `kind`) when new. */
  createToken(token: Omit<StoredToken, 'revokedAt'>): Promise<void>;
  getToken(id: string): Promise<StoredToken | undefined>;
  /** Every token, revoked ones included, oldest first. */
  listTokens(): Promise<StoredToken[]>;
  /** Revokes one token or every token of a user. Idempotent. @returns tokens newly revoked. */
  revokeTokens(which: { id: string } | { user: string }, now: number): Promise<number>;
  /**
   * Appends an entry to the audit log in one transaction: its id is the last id + 1, its
   * `prevHash` the last entry's hash, its hash `seal(entry)`.
   */
  appendAudit(entry: NewAuditEntry, seal: (entry: Omit<AuditEntry, 'hash'>) => string): Promise<AuditEntry>;
  /** Audit entries, oldest first: all of them, or `limit` after `afterId`. */
  listAudit(query?: { afterId?: number; limit?: number }): Promise<AuditEntry[]>;
  getEnvironment(name: string): Promise<Environment | undefined>;
  /** Ordered by `spec.order`, then name. */
  listEnvironments(): Promise<Environment[]>;
  /**
   * Stores a new release and its events in one transaction.
   * @throws StoreError `CUTOVER_E_STORE_CONFLICT` when a release of that name exists.
   */
  createRelease(release: StoredRelease, events: NewEvent[]): Promise<void>;
  /** Writes a release's new state and its events in one transaction. */
  saveRelease(state: Release, events: NewEvent[]): Promise<void>;
  /**
   * Stores a new version of a ConfigMap or Secret with the events `events(version)` returns, in
   * one transaction; nothing when its fingerprint equals the latest version's.
   * @returns the version (the latest one when unchanged) and whether it was created.
   */
  putConfigVersion(
    input: Omit<StoredConfigVersion, 'version'>,
    events: (version: number) => NewEvent[],
  ): Promise<{ version: number; created: boolean }>;
  /** A version (the latest without `version`). */
  getConfigVersion(
    kind: ConfigKind,
    name: string,
    version?: number,
  ): Promise<StoredConfigVersion | undefined>;
  /** The latest version of each name (every version with `all`), by name. */
  listConfigVersions(options?: { kind?: ConfigKind; all?: boolean }): Promise<StoredConfigVersion[]>;
  /** Replaces a version's stored data (a Secret's envelope re-wrapped by `secret rotate-key`). */
  replaceConfigData(kind: ConfigKind, name: string, version: number, data: string): Promise<void>;
  /** Sets (or with `schedule` null, removes) a Secret's rotation schedule; keeps `notifiedVersion`. */
  putSecretRotation(
    name: string,
    rotation: { schedule: string; notifications: unknown[] } | null,
  ): Promise<void>;
  /** Every Secret rotation schedule, by stored name. */
  listSecretRotations(): Promise<SecretRotation[]>;
  /** Records that the due period of `version` was notified. */
  markSecretRotationNotified(name: string, version: number): Promise<void>;
  /**
   * Replaces a release's plan progress in `progress.environment` and appends its events, in one
   * transaction. @throws StoreError `CUTOVER_E_STORE_NOT_FOUND`.
   */
  saveReleaseProgress(name: string, progress: PlanProgress, events: NewEvent[]): Promise<void>;
  getRelease(name: string): Promise<StoredRelease | undefined>;
  /** Newest first. */
  listReleases(): Promise<StoredRelease[]>;
  /** Inserts or replaces the deployment record of a release. */
  saveDeploymentRecord(record: DeploymentRecord): Promise<void>;
  getDeploymentRecord(release: string): Promise<DeploymentRecord | undefined>;
  /** Records whose DEPLOY started in `[from, to)` (all when omitted), oldest first. */
  listDeploymentRecords(query?: { from?: number; to?: number }): Promise<DeploymentRecord[]>;
  /** Inserts or replaces an incident record. */
  saveIncident(incident: IncidentRecord): Promise<void>;
  /** Incidents of a release (all when omitted), oldest first. */
  listIncidents(query?: { release?: string }): Promise<IncidentRecord[]>;
  /** Stores a working directory's checksum; one already stored for the revision is kept. */
  putWorkdirChecksum(checksum: StoredWorkdirChecksum): Promise<void>;
  /** The checksums of a Rollout's revisions (every Rollout's when omitted), by rollout and revision. */
  listWorkdirChecksums(rollout?: string): Promise<StoredWorkdirChecksum[]>;
  /**
   * One attempt of `holder` at the lease `name` (renew if held, take if expired or absent, with the
   * token + 1). @returns the lease after the attempt and the database's time (ms since the epoch).
   */
  tryAcquireLease(name: string, holder: string, durationMs: number): Promise<{ lease: Lease; now: number }>;
  /** Ends the lease now if `holder` still holds it with `token`. */
  releaseLease(name: string, holder: string, token: number): Promise<void>;
  getLease(name: string): Promise<{ lease: Lease | undefined; now: number }>;
  /** Records or refreshes a control-plane replica (`seenAt` = the database's time). */
  heartbeatReplica(replica: Omit<ControlPlaneReplica, 'seenAt'>): Promise<void>;
  /** Replicas seen at or after `since` (ms since the epoch), by id. */
  listReplicas(since: number): Promise<ControlPlaneReplica[]>;
  appendFreezeOverride(environment: string, override: FreezeOverride): Promise<void>;
  listFreezeOverrides(environment: string): Promise<FreezeOverride[]>;
  close(): Promise<void>;
}
