/**
 * Records of the release workflow (issue 5, §5): what happened to a release in production
 * (deployment record), what happened when it was rolled back (incident record), and the DORA
 * figures computed from both. Plain JSON data, stored as is and rendered to Markdown.
 */

/** Final outcome of a deployment to the target environment. */
export const DEPLOYMENT_OUTCOMES = ['SUCCESS', 'ROLLBACK', 'FAILED'] as const;
export type DeploymentOutcome = (typeof DEPLOYMENT_OUTCOMES)[number];

/** One entry of a record's timeline. */
export interface TimelineEntry {
  /** ms since the Unix epoch. */
  at: number;
  /** The stage, when the entry belongs to one (`PREPARE` ... `ROLLBACK`). */
  stage?: string;
  /** Event reason, e.g. `StageSucceeded`, `ApprovalRecorded`, `RollbackStarted`. */
  reason: string;
  /** `user:<name>`, `agent:<name>` or `controller`. */
  actor?: string;
  message: string;
}

/** One change a release carries (a commit, a ticket, a note). */
export interface ReleaseChange {
  /** e.g. a commit id or ticket; free text. */
  id?: string;
  description: string;
  /** When the change was committed (ms since epoch); the start of DORA's lead time. */
  committedAt?: number;
}

/**
 * The deployment record of one release in its target environment, written when the release ends
 * (SUCCESS, ROLLBACK or FAILED after DEPLOY started). As the workflow's "deployment record": summary,
 * team, changes, timeline, issues, metrics, final status.
 */
export interface DeploymentRecord {
  /** Release name (unique). */
  release: string;
  version: string;
  /** Release type: standard, hotfix, rollback, scheduled. */
  type: string;
  /** Names of the Rollouts (services) the release carries. */
  services: string[];
  /** The target environment, e.g. `production`. */
  environment: string;
  /** Owning team, from the Release spec. @default '' */
  team: string;
  /**
   * Who did what (seed 004's Deployment Log Template): the deployer (who created the release), the
   * approvers (`actor (qualifier)`), QA (who ran VALIDATE: the crew's PreDeploymentValidator, with
   * its suites). Absent in records written before it existed.
   */
  people?: { deployer: string; approvers: string[]; qa: string[] };
  /** One paragraph for people. */
  summary: string;
  changes: ReleaseChange[];
  /** When the release was created, ms since epoch. */
  createdAt: number;
  /** When DEPLOY started in the target environment, ms since epoch. */
  deployStartedAt: number;
  /** When the release ended, ms since epoch. */
  finishedAt: number;
  timeline: TimelineEntry[];
  /** Problems seen (threshold crossings, failed checks), one sentence each. */
  issues: string[];
  /**
   * Figures measured during MONITOR: keys such as `errorRate` (ratio 0..1), `p99Ms`,
   * `baselineP99Ms`, `requests`, `failedRequests`.
   */
  metrics: Record<string, number | null>;
  status: DeploymentOutcome;
  /** Names of the incident records of this release. */
  incidents: string[];
  /**
   * Which revision of each service runs at the end, from the plan's progress in the target
   * environment (`Healthy`: the release's revision; `Degraded`: back on the previous one after a
   * gracefulDegradation failure; `RolledBack`; `Waiting`: never started). Absent before issue 13.
   */
  versions?: ServiceVersion[];
}

/** One service's revisions at the end of a release. */
interface ServiceVersion {
  service: string;
  /** The Rollout in the target environment. */
  rollout: string;
  /** The plan state at the end (see the workflow's PlanRolloutState). */
  state: string;
  /** The revision it ran before the release; null for a new service. */
  fromRevision: number | null;
  /** The release's revision of it; null when never applied. */
  revision: number | null;
  /** The revision it runs at the end. */
  runningRevision: number | null;
}

/** One rollback: why, what was measured, what was done, and to which version. */
export interface IncidentRecord {
  /** Unique, e.g. `<release>-incident-1`. */
  name: string;
  release: string;
  environment: string;
  services: string[];
  /** Rollback type: traffic, database or full. */
  rollbackType: string;
  /** Why, e.g. `error rate 0.21 > 0.05 for 120 s`. */
  reason: string;
  /** What fired: `errorRate`, `p95`, `smokeTest`, `healthCheck`, `manual`, `monitor`. */
  trigger: string;
  /** The measured values that fired the trigger (ratio 0..1 for rates, ms for latencies). */
  triggerValues: Record<string, number | string | null>;
  /** Who started the rollback. */
  actor: string;
  /** Version (and revisions) rolled back to, e.g. `shop revision 1`. */
  rolledBackTo: string;
  /** When the problem was detected, ms since epoch. */
  detectedAt: number;
  /** When service was restored (rollback finished), ms since epoch; null while running or if it failed. */
  resolvedAt: number | null;
  /** `ROLLED_BACK` or `FAILED` (the rollback itself failed; escalated). */
  status: 'RUNNING' | 'ROLLED_BACK' | 'FAILED';
  timeline: TimelineEntry[];
  /** Whether the incident was escalated (rollback failed, repeated failures, zero-downtime violation). */
  escalated: boolean;
}

/**
 * The four DORA keys over a period, computed from deployment and incident records (see
 * docs/release-workflow.md for the definitions used).
 */
export interface DoraReport {
  /** Period start, inclusive, ms since epoch. */
  from: number;
  /** Period end, exclusive, ms since epoch. */
  to: number;
  /** Service filter; null = all. */
  service: string | null;
  /** Environment filter; null = all. */
  environment: string | null;
  /** Deployments (records) whose DEPLOY started in the period, and that count per day. */
  deploymentFrequency: { deployments: number; perDay: number };
  /** Median of (deployStartedAt - change committedAt, or release createdAt when no change has one), s. */
  leadTimeForChanges: { medianSeconds: number | null; samples: number };
  /** Deployments with status ROLLBACK or FAILED / all deployments, ratio 0..1; null with none. */
  changeFailureRate: { ratio: number | null; failed: number; total: number };
  /**
   * Median of (resolvedAt - detectedAt) over resolved incidents in the period, s: from the fault's
   * onset (the trigger's first failing sample) until service was restored (a failed rollback counts
   * until a later release of the same services ships or rolls back).
   */
  timeToRestore: { medianSeconds: number | null; samples: number };
  /**
   * Deployment success rate per service and environment (SUCCESS / deployments, ratio 0..1)
   * against `target` (0.995, seed 002).
   */
  successRate: {
    target: number;
    items: {
      service: string;
      environment: string;
      total: number;
      succeeded: number;
      ratio: number;
      meetsTarget: boolean;
    }[];
  };
  /** Per UTC day of the period (YYYY-MM-DD): deployments and failed deployments, for charts. */
  series: { day: string; deployments: number; failures: number }[];
}
