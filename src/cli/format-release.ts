import type { ReleaseView } from '../api/views.js';
import type { PlanProgress } from '../workflow/index.js';
import { formatTable } from './table.js';

const time = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString());

/** `cutover release list`: one line per release. */
export function formatReleaseList(items: ReleaseView[]): string {
  const rows = [
    ['NAME', 'VERSION', 'SERVICE', 'TEAM', 'TYPE', 'STAGE', 'ENVIRONMENT', 'STATUS', 'CREATED BY'],
  ];
  for (const r of items)
    rows.push([
      r.name,
      r.version,
      r.rollouts.join(','),
      r.team || '-',
      r.type,
      r.stage,
      r.environment,
      r.status,
      r.createdBy,
    ]);
  return formatTable(rows);
}

/**
 * `cutover release get`: status, the plan with each step's result, approvals, the crew's reports
 * (checklist, dependencies, suites, smoke tests) and incidents.
 */
export function formatRelease(r: ReleaseView): string {
  const lines = [
    `Name:         ${r.name}`,
    `Version:      ${r.version}`,
    `Type:         ${r.type}`,
    `Team:         ${r.team || '-'}`,
    `Rollouts:     ${r.rollouts.join(', ')}`,
    `Environments: ${r.environments.join(' -> ')}`,
    `Created:      ${time(r.createdAt)} by ${r.createdBy}`,
    `Stage:        ${r.stage} in ${r.environment}`,
    `Status:       ${r.status}`,
  ];
  if (r.status === 'WAITING_WINDOW') {
    lines.push(
      `Waiting:      for the next deployment window${r.waitingUntil === null ? ' (none in the next 60 days)' : ` at ${r.waitingUntilText ?? time(r.waitingUntil)}`}`,
    );
  }
  if (r.status === 'WAITING_APPROVAL') lines.push(`Needs:        ${r.approval.missing.join(' and ')}`);
  if (r.rollback !== null)
    lines.push(
      `Rollback:     ${r.rollback.type}${r.rollback.toRelease === undefined ? '' : ` to release ${r.rollback.toRelease}`} by ${r.rollback.actor}: ${r.rollback.reason}`,
    );
  lines.push('', 'STAGES');
  const rows = [['STAGE', 'ENVIRONMENT', 'RESULT', 'DETAIL']];
  for (const step of r.plan) {
    const result = r.stageResults
      .filter((s) => s.stage === step.stage && s.environment === step.environment)
      .at(-1);
    const current = r.stage === step.stage && r.environment === step.environment && result === undefined;
    rows.push([
      step.stage,
      step.environment,
      result?.result ?? (current ? `<- ${r.status}` : ''),
      result?.reason ?? '',
    ]);
  }
  for (const s of r.stageResults.filter((x) => x.stage === 'ROLLBACK')) {
    rows.push([s.stage, s.environment, s.result, s.reason ?? '']);
  }
  lines.push(formatTable(rows));
  for (const progress of r.progress ?? []) lines.push('', ...formatPlanProgress(progress));
  for (const s of r.stageResults) {
    const report = s.report as Record<string, unknown> | undefined;
    if (report === undefined) continue;
    const checklist = report['checklist'] as { item: string; ok: boolean; detail: string }[] | undefined;
    if (checklist !== undefined) {
      lines.push('', `CHECKLIST (${s.stage} in ${s.environment})`);
      for (const c of checklist) lines.push(`  ${c.ok ? '✔' : '✖'} ${c.item}: ${c.detail}`);
    }
    const suites = (report['suites'] ?? (report['tests'] as Record<string, unknown> | null)?.['suites']) as
      | { name: string; result: string; tests: { passed: number; failed: number; skipped: number } | null }[]
      | undefined;
    if (suites !== undefined) {
      lines.push('', `SUITES (${s.stage} in ${s.environment})`);
      const t = [['SUITE', 'RESULT', 'PASSED', 'FAILED', 'SKIPPED']];
      for (const x of suites) {
        t.push([
          x.name,
          x.result,
          String(x.tests?.passed ?? '-'),
          String(x.tests?.failed ?? '-'),
          String(x.tests?.skipped ?? '-'),
        ]);
      }
      lines.push(formatTable(t));
    }
    const smoke = (report['smoke'] ??
      (report['verification'] as Record<string, unknown> | undefined)?.['smoke']) as
      | { results: { name: string; passed: boolean; detail: string }[] }
      | undefined;
    if (smoke !== undefined && smoke.results.length > 0) {
      lines.push('', `SMOKE TESTS (${s.stage} in ${s.environment})`);
      for (const x of smoke.results) lines.push(`  ${x.passed ? '✔' : '✖'} ${x.name}: ${x.detail}`);
    }
    // The PostDeploymentVerifier's other checks (DEPLOY's report).
    const verification = report['verification'] as
      | {
          monitoring?: { endpoint: string; ok: boolean; detail: string }[];
          dryRun?: {
            rollout: string;
            revision: number | null;
            result: { ready: boolean; detail: string } | null;
          }[];
        }
      | undefined;
    if (verification?.monitoring !== undefined && verification.monitoring.length > 0) {
      lines.push('', `MONITORING (${s.stage} in ${s.environment})`);
      for (const m of verification.monitoring) lines.push(`  ${m.ok ? '✔' : '✖'} ${m.endpoint}: ${m.detail}`);
    }
    if (verification?.dryRun !== undefined && verification.dryRun.length > 0) {
      lines.push('', `ROLLBACK DRY-RUN (${s.stage} in ${s.environment})`);
      for (const d of verification.dryRun) {
        lines.push(
          d.result === null
            ? `  - ${d.rollout}: no revision to roll back to`
            : `  ${d.result.ready ? '✔' : '✖'} ${d.rollout} revision ${d.revision}: ${d.result.detail}`,
        );
      }
    }
  }
  if (r.approvals.length > 0) {
    lines.push('', 'APPROVALS');
    for (const a of r.approvals)
      lines.push(`  ${time(a.at)} ${a.actor} (${a.role}, ${a.qualifier}): ${a.comment}`);
  }
  for (const j of r.rejections) lines.push(`  REJECTED ${time(j.at)} by ${j.actor}: ${j.comment}`);
  if (r.incidents.length > 0) {
    lines.push('', 'INCIDENTS');
    for (const i of r.incidents) {
      lines.push(
        `  ${i.name} ${i.status} ${i.rollbackType} (trigger ${i.trigger}): ${i.reason}${i.rolledBackTo ? ` -> ${i.rolledBackTo}` : ''}`,
      );
    }
  }
  if (r.record !== null)
    lines.push('', `RECORD: ${r.record.status} (cutover release record ${r.name} --markdown)`);
  return lines.join('\n');
}

/**
 * The plan's progress in one environment, as the seed's DeploymentMonitor: overall percent, then
 * one row per Rollout (state, canary step k/n, weight, revisions before -> release -> running),
 * then the plan's smoke tests.
 * @example
 * formatPlanProgress(p)[0] // 'Plan (production): 66%, 2 phase(s) started'
 */
function formatPlanProgress(p: PlanProgress): string[] {
  const rev = (n: number | null) => (n === null ? '-' : String(n));
  const rows = [['ROLLOUT', 'NAME', 'STATE', 'STEP', 'WEIGHT', 'REVISION', 'RUNNING', 'MESSAGE']];
  for (const r of p.rollouts) {
    rows.push([
      r.name,
      r.rollout,
      r.state,
      r.step === null ? '-' : `${r.step.index}/${r.step.count}`,
      `${r.weight}%`,
      `${rev(r.fromRevision)} -> ${rev(r.revision)}`,
      rev(r.runningRevision),
      r.message,
    ]);
  }
  const lines = [
    `Plan (${p.environment}): ${p.percent}%, ${p.phases.length} phase(s) started`,
    formatTable(rows),
  ];
  for (const t of p.smokeTests)
    lines.push(`  ${t.passed ? '✔' : '✖'} ${t.kind} ${t.name} (${t.rollout}): ${t.detail}`);
  return lines;
}
