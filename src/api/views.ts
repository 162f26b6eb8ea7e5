/**
 * The API's view types: what `GET /api/v1/...` answers, in one module that the server (which
 * builds them), the crew and the CLI (which read them through the API) and the dashboard import.
 * Types only, from modules without runtime dependencies, so the dashboard's build pulls in no
 * Node code (`import type` is erased).
 */
import type { AnalysisRun, MetricResult } from '../analysis/types.js';
import type { Permission, Qualifier, Role, UserKind } from '../auth/roles.js';
import type { DriftReport } from '../drift/types.js';
import type { Revision, RolloutPhase, RolloutStatus } from '../engine/types.js';
import type { HandoffRun } from '../handoff/types.js';
import type { DeploymentRecord, DoraReport, IncidentRecord, TimelineEntry } from '../records/types.js';
import type { Environment, ReleaseSpec } from '../spec/release-types.js';
import type { API_VERSION, CanaryStep, Metric, RolloutSpec } from '../spec/types.js';
import type { ControlPlaneReplica, Lease, StoredEvent } from '../store/store.js';
import type { PlanProgress, PlanRolloutProgress } from '../workflow/release/plan-progress.js';
import type { Release } from '../workflow/release/release.js';
import type { PlanStep } from '../workflow/release/release-plan.js';

export type {
  AnalysisRun,
  CanaryStep,
  DoraReport,
  DriftReport,
  Environment,
  HandoffRun,
  Metric,
  MetricResult,
  PlanProgress,
  PlanRolloutProgress,
  Revision,
  Role,
  RolloutPhase,
  StoredEvent,
  TimelineEntry,
};

/** `GET /api/v1/whoami`: the caller's identity and what its role may do (a UI shows only those actions). */
export interface Whoami {
  user: string;
  /** A person or a crew agent; with `user`, the actor string `<kind>:<user>`. */
  kind: UserKind;
  role: Role;
  /** An approver's qualifier (`manager`, `security`, `devops`); null for other roles. */
  qualifier: Qualifier | null;
  /** `<kind>:<user>`, as events and audit entries record it. */
  actor: string;
  /** The id of the token the call used (never its secret). */
  tokenId: string;
  permissions: readonly Permission[];
}

/**
 * A Rollout as `GET /api/v1/rollouts/:name` and `-o json` answer it, Kubernetes-style:
 * `{apiVersion, kind, metadata, spec, status}`.
 */
export interface RolloutResource {
  apiVersion: typeof API_VERSION;
  kind: 'Rollout';
  /** `creationTimestamp`: ISO 8601 UTC. */
  metadata: { name: string; creationTimestamp: string };
  spec: RolloutSpec;
  status: RolloutStatus;
}

/** A release as `GET /api/v1/releases/:name` answers it: the workflow's state and what a page needs around it. */
export interface ReleaseView extends Release {
  /**
   * `waitingUntil` for people: ISO 8601 UTC and the target environment's local time (its windows'
   * time zone), e.g. `2026-12-24T08:00:00.000Z (09:00 Europe/Paris, Thu 24 Dec)`; null when not waiting.
   */
  waitingUntilText: string | null;
  plan: PlanStep[];
  /** The Rollout plan's progress, one per environment the crew carried it out in (oldest first). */
  progress: PlanProgress[];
  approval: { satisfied: boolean; missing: string[]; missingQualifiers: string[]; required: string[] };
  incidents: IncidentRecord[];
  /** Written when the release ends after DEPLOY started; null before. */
  record: DeploymentRecord | null;
  team: string;
  /** The Release resource's spec, as created. */
  spec: ReleaseSpec;
  /** Directory of the release file: base of the spec's relative paths. */
  baseDir: string;
}

/**
 * A ConfigMap or Secret as `GET /api/v1/configmaps` and `/api/v1/secrets` list it: its latest
 * version; never a Secret's values.
 */
export interface ConfigView {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** `metadata.environment`; absent: every environment. */
  environment?: string;
  version: number;
  keys: string[];
  /** sha256 (hex) of the canonical JSON of the values: the version's fingerprint. */
  sha256: string;
  /** ms since the epoch. */
  updatedAt: number;
  /** The actor that made the version. */
  updatedBy: string;
  /** A ConfigMap's data; absent for a Secret. */
  data?: Record<string, string>;
  /**
   * The revisions that take this version (their `refVersions` pin it), oldest first: who reads a
   * Secret version, as a vault's access list.
   */
  readers: ConfigReader[];
  /** A Secret's `rotationSchedule` (5-part cron, UTC). */
  rotationSchedule?: string;
  /** With a schedule: when it is (or was) due, ms since the epoch: the schedule's first time after the latest version. */
  rotationDueAt?: number;
  /** With a schedule: whether that time has passed (a new version ends it). */
  due?: boolean;
  /** Every version, oldest first, with its readers: `GET /api/v1/secrets/:name` only. */
  versions?: ConfigVersionView[];
}

/** A revision that takes a ConfigMap or Secret version. */
export interface ConfigReader {
  rollout: string;
  revision: number;
}

/** One version of a ConfigMap or Secret (never a Secret's values). */
export interface ConfigVersionView {
  version: number;
  keys: string[];
  sha256: string;
  createdAt: number;
  createdBy: string;
  readers: ConfigReader[];
}

/** The answer of `GET /api/v1/server/status` (`cutover server status`). */
export interface ControlPlaneStatus {
  /** The replica that answered. */
  self: string;
  store: string;
  /** The controller lease; null for a single server on SQLite (it leads without one). */
  lease: (Lease & { durationMs: number; expired: boolean }) | null;
  /** The replica that leads: the lease's holder while unexpired, this one without a lease; null while none leads. */
  leader: string | null;
  /** Replicas seen within three lease durations (by id), each with whether it leads. */
  replicas: (ControlPlaneReplica & { leader: boolean })[];
  /** The database's time, ms since the epoch. */
  now: number;
}
