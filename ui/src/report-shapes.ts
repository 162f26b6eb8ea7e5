/**
 * Tolerant readers of the crew agents' stage reports (the `report` of `reportStage` in
 * src/crew/crew.ts). Each reader recognises a part of a report by the fields it cannot do without
 * and leaves the others optional, so that a report written by an older or newer crew still shows:
 * what a reader does not recognise is shown as JSON by the page. Each `as*` returns its argument,
 * typed, or `undefined` when it is not that shape. Pure; never throws.
 */
import type { TimelineEntry } from './types.js';

/** A JSON object. */
export type Json = Record<string, unknown>;

/** A JSON object (not an array, not null). */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A number or `null` (absent counts as `null`). */
const isNumberOrNull = (v: unknown): v is number | null | undefined => v == null || isNumber(v);
const isOptional =
  <T>(check: (v: unknown) => v is T) =>
  (v: unknown): v is T | undefined =>
    v === undefined || check(v);

/** `v` when it is an array of objects each passing `check`, else `undefined`. */
function arrayOf<T>(v: unknown, check: (x: Json) => boolean): T[] | undefined {
  return Array.isArray(v) && v.every((x) => isObject(x) && check(x)) ? (v as T[]) : undefined;
}

/** One item of PREPARE's checklist (crew `ChecklistItem`). */
export interface ChecklistItem {
  item: string;
  ok: boolean;
  detail?: string;
}

/** One dependency checked by PREPARE (crew `DependencyStatus`). */
export interface DependencyStatus {
  name: string;
  url?: string;
  /** `UP` or `DOWN`. */
  status: string;
  httpStatus?: number | null;
  /** ms. */
  latencyMs?: number;
  error?: string;
}

/** Test counts from a suite's TAP output (crew `TestCounts`). */
export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
  total: number;
}

/** One row of VALIDATE's table (crew `SuiteReport`). */
export interface SuiteReport {
  name: string;
  /** `Passed`, `Failed` or `Error`. */
  result: string;
  exitCode?: number | null;
  /** ms. */
  durationMs?: number;
  /** `null` when the suite printed no TAP. */
  tests: TestCounts | null;
  /** The last 4 KiB of its output. */
  output?: string;
  failures?: string[];
  detail?: string;
}

/** One smoke test's outcome (crew `SmokeResult`). */
export interface SmokeResult {
  name: string;
  passed: boolean;
  detail?: string;
  /** ms. */
  durationMs?: number;
}

/** A Rollout as the Orchestrator last saw it (a row of crew `DeployReport.rollouts`); extra fields kept. */
export interface DeployRollout {
  name: string;
  revision: number | null;
  phase: string;
  message?: string;
  [field: string]: unknown;
}

/** A Rollout that failed with `gracefulDegradation` (crew `DeployReport.degraded`). */
export interface DegradedRollout {
  name: string;
  revision?: number | null;
  runningRevision?: number | null;
  reason?: string;
}

/** What the Orchestrator reports of one environment (crew `DeployReport`). */
export interface DeployReport {
  environment?: string;
  rollouts: DeployRollout[];
  waiting?: string[];
  gates?: Record<string, { ok: boolean; detail?: string }>;
  degraded?: DegradedRollout[];
  [field: string]: unknown;
}

/** A database backup (crew `DatabaseBackup`). */
export interface DatabaseBackup {
  file: string;
  kind?: string;
  target?: string;
  /** bytes. */
  bytes?: number;
  sha256?: string;
  /** ms since the epoch. */
  createdAt?: number;
  verification?: { verified?: boolean; detail?: string };
}

/** DEPLOY's checkpoint (crew `DeployCheckpoint`). */
export interface DeployCheckpoint {
  /** ms since the epoch. */
  at?: number;
  rollouts: { name: string; stableRevision: number | null; revisions?: number[]; spec?: unknown }[];
  backup?: DatabaseBackup | null;
  /** ms. */
  baselineP99Ms?: number | null;
}

/** The PostDeploymentVerifier's report (crew `VerificationReport`). */
export interface VerificationReport {
  smoke?: unknown;
  monitoring?: { endpoint: string; ok: boolean; detail?: string }[];
  dryRun?: {
    rollout: string;
    revision: number | null;
    result: { started?: boolean; ready: boolean; durationMs?: number; detail?: string } | null;
  }[];
  passed?: boolean;
}

/** A finding of a MONITOR checkpoint (crew `MonitorFinding`). */
interface MonitorFinding {
  kind?: string;
  /** `investigate` or `rollback`. */
  level: string;
  value?: number;
  threshold?: number;
  message: string;
}

/** A MONITOR checkpoint's outcome (crew `CheckpointVerdict & { at }`). */
export interface MonitorCheckpoint {
  /** s after DEPLOY. */
  checkpointS: number;
  /** ms since the epoch. */
  at?: number;
  /** `ok`, `investigate` or `rollback`. */
  verdict: string;
  findings: MonitorFinding[];
}

/** PREPARE's `checklist`: `{item, ok, detail}` each. */
export const asChecklist = (v: unknown) =>
  arrayOf<ChecklistItem>(v, (x) => isString(x.item) && typeof x.ok === 'boolean');

/** PREPARE's `dependencies`: a `DependencyReport` (`{checkedAt, healthy, dependencies}`) or its list. */
export const asDependencies = (v: unknown) =>
  arrayOf<DependencyStatus>(isObject(v) ? v.dependencies : v, (x) => isString(x.name) && isString(x.status));

const isTestCounts = (v: unknown): v is TestCounts =>
  isObject(v) && isNumber(v.passed) && isNumber(v.failed) && isNumber(v.skipped) && isNumber(v.total);

/** VALIDATE's `suites` (and PREPARE's `tests.suites`): `tests` holds TAP counts or is `null`. */
export const asSuites = (v: unknown) =>
  arrayOf<SuiteReport>(
    v,
    (x) => isString(x.name) && isString(x.result) && (x.tests === null || isTestCounts(x.tests)),
  );

/** A `SmokeReport` (`{passed, results}`): its results. */
export const asSmoke = (v: unknown) =>
  isObject(v)
    ? arrayOf<SmokeResult>(v.results, (x) => isString(x.name) && typeof x.passed === 'boolean')
    : undefined;

const asDeployRollouts = (v: unknown) =>
  arrayOf<DeployRollout>(v, (x) => isString(x.name) && isNumberOrNull(x.revision) && isString(x.phase));

/** DEPLOY's `degraded` Rollouts (a plan's `gracefulDegradation`). */
export const asDegraded = (v: unknown) => arrayOf<DegradedRollout>(v, (x) => isString(x.name));

/** The readiness gates' last checks, by Rollout name: `{ok, detail}` each. */
export const asGates = (v: unknown) =>
  isObject(v) && Object.values(v).every((g) => isObject(g) && typeof g.ok === 'boolean')
    ? (v as Record<string, { ok: boolean; detail?: string }>)
    : undefined;

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** A `DeployReport`: recognised by its `rollouts` (name, revision, phase); other fields are kept. */
export const asDeploy = (v: unknown): DeployReport | undefined =>
  isObject(v) &&
  asDeployRollouts(v.rollouts) !== undefined &&
  isOptional(isStringArray)(v.waiting) &&
  isOptional(isString)(v.environment)
    ? (v as DeployReport)
    : undefined;

/** A `DatabaseBackup`: recognised by its `file`. */
export const asBackup = (v: unknown): DatabaseBackup | undefined =>
  isObject(v) && isString(v.file) ? (v as unknown as DatabaseBackup) : undefined;

/** A `DeployCheckpoint`: recognised by its `rollouts` (name, stableRevision). */
export const asCheckpoint = (v: unknown): DeployCheckpoint | undefined =>
  isObject(v) &&
  arrayOf(v.rollouts, (x) => isString(x.name) && isNumberOrNull(x.stableRevision)) !== undefined
    ? (v as unknown as DeployCheckpoint)
    : undefined;

/** The verifier's monitoring endpoints: `{endpoint, ok, detail}` each. */
export const asMonitoring = (v: unknown) =>
  arrayOf<NonNullable<VerificationReport['monitoring']>[number]>(
    v,
    (x) => isString(x.endpoint) && typeof x.ok === 'boolean',
  );

/** The verifier's rollback dry-runs: per Rollout, its previous revision and whether it started (`null`: none). */
export const asDryRun = (v: unknown) =>
  arrayOf<NonNullable<VerificationReport['dryRun']>[number]>(
    v,
    (x) =>
      isString(x.rollout) &&
      isNumberOrNull(x.revision) &&
      (x.result == null || (isObject(x.result) && typeof x.result.ready === 'boolean')),
  );

/** A `VerificationReport`: recognised by its smoke report, monitoring checks or dry-runs. */
export const asVerification = (v: unknown): VerificationReport | undefined =>
  isObject(v) &&
  (asSmoke(v.smoke) !== undefined ||
    asMonitoring(v.monitoring) !== undefined ||
    asDryRun(v.dryRun) !== undefined)
    ? (v as VerificationReport)
    : undefined;

/** MONITOR's `checkpoints`: s after DEPLOY, verdict and findings each. */
export const asMonitorCheckpoints = (v: unknown) =>
  arrayOf<MonitorCheckpoint>(
    v,
    (x) =>
      isNumber(x.checkpointS) &&
      isString(x.verdict) &&
      arrayOf(x.findings, (f) => isString(f.level) && isString(f.message)) !== undefined,
  );

/** MONITOR's `metrics`: numbers (or `null` when not measured) by name. */
export const asMetrics = (v: unknown) =>
  isObject(v) && Object.values(v).every((m) => m === null || isNumber(m))
    ? (v as Record<string, number | null>)
    : undefined;

/** A list of strings (MONITOR's `issues`). */
export const asStrings = (v: unknown) => (isStringArray(v) ? v : undefined);

/** ROLLBACK's `timeline` (records' `TimelineEntry`). */
export const asTimeline = (v: unknown) =>
  arrayOf<TimelineEntry>(v, (x) => isNumber(x.at) && isString(x.reason) && isOptional(isString)(x.message));
