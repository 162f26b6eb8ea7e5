import type { ReleaseSpec } from '../spec/release-types.js';
import type { PlanProgress, Release } from '../workflow/index.js';
import type { DeploymentOutcome, DeploymentRecord, IncidentRecord, TimelineEntry } from './types.js';

/** The report MONITOR stores: per-checkpoint figures and findings (see the crew's MonitorAgent). */
interface MonitorReport {
  metrics?: Record<string, number | null>;
  issues?: string[];
}

/**
 * The deployment record of a release that has ended after DEPLOY started: its history as the
 * timeline, MONITOR's figures as metrics, every failed step and finding as an issue, and the
 * revision each service runs from the plan's `progress` in the target environment. Pure.
 * @returns null when the release never started DEPLOY (nothing reached the target environment).
 */
export function buildDeploymentRecord(
  release: Release,
  spec: ReleaseSpec,
  incidents: IncidentRecord[],
  progress: readonly PlanProgress[] = [],
): DeploymentRecord | null {
  const target = release.environments[release.environments.length - 1] ?? release.environment;
  const plan = progress.find((p) => p.environment === target);
  const deploy = release.history.find((h) => h.reason === 'StageStarted' && h.message.startsWith('DEPLOY '));
  if (deploy === undefined) return null;
  const status: DeploymentOutcome =
    release.status === 'SUCCESS' ? 'SUCCESS' : release.status === 'ROLLED_BACK' ? 'ROLLBACK' : 'FAILED';
  const timeline: TimelineEntry[] = release.history.map((h) => ({
    at: h.at,
    stage: h.to.stage,
    reason: h.reason,
    ...(h.actor === undefined ? {} : { actor: h.actor }),
    message: h.message,
  }));
  const monitor = release.stageResults.find((s) => s.stage === 'MONITOR')?.report as
    | MonitorReport
    | undefined;
  const issues = [
    ...release.stageResults
      .filter((s) => s.result === 'Error')
      .map((s) => `${s.stage} in ${s.environment}: ${s.reason ?? 'failed'}`),
    ...(monitor?.issues ?? []),
  ];
  const finishedAt = release.history[release.history.length - 1]?.at ?? deploy.at;
  const approvers = release.approvals.map((a) => `${a.actor} (${a.qualifier})`).join(', ');
  const outcome =
    status === 'SUCCESS'
      ? `is live in ${target}`
      : status === 'ROLLBACK'
        ? `was rolled back (${release.rollback?.type ?? 'traffic'}): ${release.rollback?.reason ?? ''}`
        : 'failed';
  return {
    release: release.name,
    version: release.version,
    type: release.type,
    services: [...release.rollouts],
    environment: target,
    team: spec.team ?? '',
    people: {
      deployer: release.createdBy,
      approvers: release.approvals.map((a) => `${a.actor} (${a.qualifier})`),
      qa: qaOf(release),
    },
    summary: `${release.type} release ${release.name} ${release.version} of ${release.rollouts.join(', ')} ${outcome}. Created by ${release.createdBy}${approvers === '' ? '' : `, approved by ${approvers}`}.`,
    changes: (spec.changes ?? []).map((c) => ({
      ...(c.id === undefined ? {} : { id: c.id }),
      description: c.description,
      ...(c.committedAt === undefined ? {} : { committedAt: Date.parse(c.committedAt) }),
    })),
    createdAt: release.createdAt,
    deployStartedAt: deploy.at,
    finishedAt,
    timeline,
    issues,
    metrics: monitor?.metrics ?? {},
    status,
    incidents: incidents.map((i) => i.name),
    ...(plan === undefined
      ? {}
      : {
          versions: plan.rollouts.map((r) => ({
            service: r.name,
            rollout: r.rollout,
            state: r.state,
            fromRevision: r.fromRevision,
            revision: r.revision,
            runningRevision: r.runningRevision,
          })),
        }),
  };
}

/** Who ran VALIDATE (the actor of its result in the history) and what it found. */
function qaOf(release: Release): string[] {
  const result = release.stageResults
    .filter((s) => s.stage === 'VALIDATE' && s.result !== 'NotExecuted')
    .at(-1);
  if (result === undefined) return [];
  const entry = [...release.history]
    .reverse()
    .find((h) => h.from.stage === 'VALIDATE' && h.actor !== undefined && h.reason.startsWith('Stage'));
  const suites = (result.report as { suites?: { result: string }[] } | undefined)?.suites ?? [];
  const passed = suites.filter((x) => x.result === 'Passed').length;
  const what = suites.length === 0 ? result.result : `${passed}/${suites.length} suite(s) passed`;
  return [`${entry?.actor ?? 'agent:pre-deployment-validator'} (VALIDATE: ${what})`];
}
