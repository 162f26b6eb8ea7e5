/**
 * Resource shapes of the release workflow (issue 5): `Environment` (dev, staging, production: their
 * order and deployment windows) and `Release` (a version of one or more Rollouts, carried through
 * the stages PREPARE, STAGING, VALIDATE, APPROVE, DEPLOY, MONITOR and, when needed, ROLLBACK).
 * Shapes after validation, defaults not applied.
 */
import type { API_VERSION, DurationValue, ObjectMeta, RolloutSpec, RolloutStrategy } from './types.js';

/** Release types (see the workflow's APPROVAL_POLICIES). */
export type ReleaseTypeName = 'standard' | 'hotfix' | 'rollback' | 'scheduled';

export interface EnvironmentSpec {
  /** Position in the promotion order: a Release lists its environments in ascending order. */
  order: number;
  /**
   * Deployment windows, as the workflow's `WindowPolicyInput` (timeZone, allowed, blocked,
   * freezes); validated by `resolveWindowPolicy`. @default Tue–Thu 10:00–12:00 UTC, no Fridays,
   * no last business day of the month
   */
  windows?: Record<string, unknown>;
}

/** An environment a release goes through, e.g. `dev`, `staging`, `production`. */
export interface Environment {
  apiVersion: typeof API_VERSION;
  kind: 'Environment';
  metadata: ObjectMeta;
  spec: EnvironmentSpec;
}

/**
 * What an environment changes in a Rollout of a release, layered over the Rollout's `spec`:
 * `replicas`, `port` and `strategy` replace; `env` is merged into `template.env`.
 */
export interface RolloutOverride {
  replicas?: number;
  port?: number;
  env?: Record<string, string>;
  strategy?: RolloutStrategy;
}

/** One Rollout of a release: its spec, and per-environment overrides (one layered spec). */
export interface ReleaseRollout {
  /** The Rollout's name; in environment `E` it runs as the Rollout `<name>-<E>`. */
  name: string;
  spec: RolloutSpec;
  /** Keyed by environment name. @default {} */
  environments?: Record<string, RolloutOverride>;
  /**
   * Rollouts of the release that must be Healthy on their new revision before this one starts
   * (the agent mesh's dependency order). A cycle or an unknown name is refused at create.
   * @default []
   */
  dependsOn?: string[];
  /**
   * Lower first: this Rollout starts once every Rollout with a lower priority is Healthy; equal
   * priorities may roll out together. Rollouts without one are ordered by `dependsOn` only.
   */
  priority?: number;
  /**
   * A check that must hold, after this Rollout is Healthy on its new revision, before the Rollouts
   * after it start (seed: MCA's coordination-ready gate).
   */
  readinessGate?: ReadinessGate;
  /**
   * What a failure of this Rollout (aborted, Degraded, not Healthy in time, its readiness gate or
   * an `afterEach` smoke test failed) does to the plan (seed: failure_mode):
   * - `immediateEscalation`: every Rollout of the plan already moved returns to the checkpoint, in
   *   reverse order of the plan's phases (traffic, then the database when the release has one); the
   *   release ends ROLLBACK with an escalation;
   * - `gracefulDegradation`: this Rollout alone returns to the revision it ran before the release;
   *   the plan goes on (its dependents start against that revision) while `plan.minHealthy` and
   *   `plan.quorum` hold, and the release's progress says which agent runs which revision.
   * @default immediateEscalation
   */
  failureMode?: FailureMode;
}

/** See {@link ReleaseRollout.failureMode}. */
export type FailureMode = 'immediateEscalation' | 'gracefulDegradation';

/**
 * An HTTP check of a Rollout's readiness for its dependents, judged as a web metric: GET `url`
 * (`{{port}}` is the Rollout's port in the environment), then `successCondition` on the field at
 * `jsonPath`; checked on every poll of the Orchestrator (250 ms) until it holds or `timeoutSeconds`
 * passes (the deployment then fails and the release rolls back).
 */
export interface ReadinessGate {
  httpGet: { url: string };
  /** Kubernetes JSONPath, as the web provider's. @default "{$}" */
  jsonPath?: string;
  /** A condition on `result`, as a metric's. @default any 2xx answer */
  successCondition?: string;
  /** @default 180 */
  timeoutSeconds?: number;
}

/** How a release carries out its Rollouts (issue 13's plan, seed: the mesh orchestrator job). */
export interface ReleasePlan {
  /** Rollouts rolling out at once at most (seed: max_deployment_parallelism). @default unbounded */
  maxParallelism?: number;
  /**
   * Rollouts of the plan that must be Healthy (on either revision) at every moment (seed:
   * min_healthy_agents): a Rollout that is Healthy now does not start while starting it would
   * leave fewer; the plan fails (immediateEscalation) when failures leave fewer and nothing is
   * rolling out to bring them back. At most the number of Rollouts. @default 0
   */
  minHealthy?: number;
  /**
   * Rollouts of the plan that must end Healthy on the release's new revision (seed:
   * coordination_quorum): when `gracefulDegradation` failures leave fewer that still can, the plan
   * fails (immediateEscalation). At most the number of Rollouts. @default 1
   */
  quorum?: number;
  /**
   * Smoke tests run against each Rollout once it is Healthy on its new revision (and its readiness
   * gate holds), before its dependents start (seed: register-agent); a failure is that Rollout's
   * failure. `rollout` is not allowed: each runs against the Rollout just carried out. @default []
   */
  afterEach?: Omit<SmokeTest, 'rollout'>[];
  /**
   * A smoke test run once, after every Rollout of the plan is carried out (seed: test-mesh),
   * against `rollout` (default the first); a failure fails the plan (immediateEscalation).
   */
  connectivityTest?: SmokeTest;
}

/** A command run in the sandbox (bubblewrap) as a test suite or a `job` gate. */
export interface ReleaseJob {
  name: string;
  command: string[];
  /** Relative to the release file's directory. @default the release file's directory */
  cwd?: string;
  /**
   * Paths the job may read besides `cwd` (relative to the release file's directory), bound
   * read-only in its sandbox; nothing else of the host is visible but the system directories.
   * At most 64; never the data directory or the home directory itself.
   */
  inputs?: string[];
  env?: Record<string, string>;
  /** @default 300 */
  timeoutSeconds?: number;
  /** @default false */
  network?: boolean;
}

/** An HTTP check of a smoke test, against the Rollout's port in the environment. */
export interface SmokeHttpCheck {
  path: string;
  /** @default GET */
  method?: 'GET' | 'POST' | 'HEAD';
  /** @default 200 */
  expectStatus?: number;
  bodyContains?: string;
  /** @default 2000 */
  timeoutMs?: number;
}

/** A smoke test: exactly one of `http` or `job`. */
export interface SmokeTest {
  name: string;
  /** Which Rollout of the release it checks. @default the first one */
  rollout?: string;
  http?: SmokeHttpCheck;
  job?: Omit<ReleaseJob, 'name'>;
}

/** A dependency the PreDeploymentValidator checks over HTTP (any 2xx is UP). */
export interface ReleaseDependency {
  name: string;
  url: string;
  /** @default 2000 */
  timeoutMs?: number;
}

/** The database of the target environment: exactly one of `sqlite` (a file path) or `postgres` (a URL). */
export interface ReleaseDatabase {
  sqlite?: string;
  postgres?: string;
}

export interface ReleasePrepare {
  /** Test suites that must pass before anything is deployed (a `job` gate). @default [] */
  tests?: ReleaseJob[];
  /** Files that must exist (relative to the release file), e.g. a build artifact. @default [] */
  artifacts?: string[];
  /** Migrations: a directory that must hold at least one file, and the command DEPLOY runs. */
  migrations?: { path: string; command?: string[] };
  dependencies?: ReleaseDependency[];
  /** The target environment's database, backed up (and verified) in PREPARE and at DEPLOY. */
  database?: ReleaseDatabase;
}

/** MONITOR: checkpoints after DEPLOY and their thresholds. */
export interface ReleaseMonitor {
  /** @default ['5m', '15m', '30m', '60m'] */
  checkpoints?: DurationValue[];
  /** Error rate (ratio 0..1) above which the checkpoint investigates. @default 0.01 */
  investigateErrorRate?: number;
  /** Error rate (ratio 0..1) above which the checkpoint rolls back. @default 0.05 */
  rollbackErrorRate?: number;
  /** p99 over this multiple of the pre-deploy baseline investigates. @default 2 */
  p99BaselineFactor?: number;
  /** CPU or memory of the replicas (ratio 0..1) above which the checkpoint investigates. @default 0.8 */
  resourceRatio?: number;
}

/** The RollbackCoordinator's triggers for this release. */
export interface ReleaseRollbackTriggers {
  /** Error rate (ratio 0..1) ... @default 0.05 */
  errorRate?: number;
  /** ... sustained this long. @default '2m' */
  errorRateFor?: DurationValue;
  /** p95 latency above which it rolls back, ms. @default 500 */
  p95Ms?: number;
  /**
   * False-alarm bound of each sequential trigger (errors, slow requests of the new revision against
   * stable's in the same seconds), ratio 0..1 exclusive. @default 0.01
   */
  alpha?: number;
  /**
   * A request slower than this is a slow request for the sequential latency trigger.
   * @default the stable revision's p99 before DEPLOY + 100 ms (500 ms, the p95 threshold, without traffic)
   */
  latencyThreshold?: DurationValue;
  /** Restarts of the new revision's replicas (all together) tolerated during DEPLOY and MONITOR. @default 2 */
  maxRestarts?: number;
  /** Rollback type of an automatic rollback. @default traffic (full when the release has a database) */
  type?: 'traffic' | 'database' | 'full';
}

/** A notification channel. */
export interface NotificationChannel {
  name: string;
  type: 'webhook' | 'slack';
  url: string;
  /** Notification kinds sent to it. @default all */
  kinds?: string[];
  headers?: Record<string, string>;
}

export interface ReleaseSpec {
  version: string;
  /** @default standard (`cutover release create --type` overrides) */
  type?: ReleaseTypeName;
  team?: string;
  /** Environment names in promotion order; the last is the target. */
  environments: string[];
  changes?: { id?: string; description: string; committedAt?: string }[];
  rollouts: ReleaseRollout[];
  /** The order of the Rollouts' deployment (with each Rollout's `dependsOn` and `priority`). */
  plan?: ReleasePlan;
  prepare?: ReleasePrepare;
  smokeTests?: SmokeTest[];
  validation?: { suites: ReleaseJob[] };
  monitor?: ReleaseMonitor;
  rollback?: ReleaseRollbackTriggers;
  notifications?: NotificationChannel[];
  /** Directory of message templates (`preDeployment.mustache`, ...), relative to the release file. */
  messageTemplates?: string;
}

export interface Release {
  apiVersion: typeof API_VERSION;
  kind: 'Release';
  metadata: ObjectMeta;
  spec: ReleaseSpec;
}
