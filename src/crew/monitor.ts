import { rolloutNameIn } from '../release/release-rollouts.js';
import { durationToMs } from '../spec/index.js';
import type { CrewApi, ReleaseView } from './crew-api.js';
import { sampleProcessUsage, usageRatios } from './replica-usage.js';
import { sampleCurrentRevision } from './rollout-sample.js';
import {
  type CheckpointVerdict,
  DEFAULT_MONITOR_CHECKPOINTS_S,
  DEFAULT_MONITOR_THRESHOLDS,
  evaluateCheckpoint,
  type MonitorThresholds,
} from './triggers/index.js';

/** MONITOR's report: each checkpoint's verdict, the figures of the last one, and the findings. */
export interface MonitorReport {
  checkpoints: (CheckpointVerdict & { at: number })[];
  metrics: Record<string, number | null>;
  issues: string[];
  verdict: 'ok' | 'rollback';
}

/** The thresholds of a release's `monitor` block over the workflow's defaults. */
export function monitorThresholds(release: ReleaseView): MonitorThresholds {
  const m = release.spec.monitor ?? {};
  return {
    errorRateInvestigate: m.investigateErrorRate ?? DEFAULT_MONITOR_THRESHOLDS.errorRateInvestigate,
    errorRateRollback: m.rollbackErrorRate ?? DEFAULT_MONITOR_THRESHOLDS.errorRateRollback,
    p99BaselineFactor: m.p99BaselineFactor ?? DEFAULT_MONITOR_THRESHOLDS.p99BaselineFactor,
    cpuRatio: m.resourceRatio ?? DEFAULT_MONITOR_THRESHOLDS.cpuRatio,
    memoryRatio: m.resourceRatio ?? DEFAULT_MONITOR_THRESHOLDS.memoryRatio,
  };
}

/** Checkpoints after DEPLOY, s, ascending. @default 5, 15, 30, 60 min */
export function monitorCheckpoints(release: ReleaseView): number[] {
  const list = release.spec.monitor?.checkpoints;
  if (list === undefined) return [...DEFAULT_MONITOR_CHECKPOINTS_S];
  return [...new Set(list.map((d) => durationToMs(d) / 1000))].sort((a, b) => a - b);
}

interface ReplicaSetsAnswer {
  items: { revision: number; replicaStatuses: { pid: number | null }[] }[];
}

/** CPU (over 1 s) and memory of the busiest replica of the Rollout's current revision, ratios 0..1. */
async function replicaUsage(api: CrewApi, rollout: string, revision: number) {
  const sets = await api.get<ReplicaSetsAnswer>(`/api/v1/rollouts/${rollout}/replicasets`);
  const pids = sets.items
    .filter((s) => s.revision === revision)
    .flatMap((s) => s.replicaStatuses.map((r) => r.pid))
    .filter((p): p is number => p !== null);
  if (pids.length === 0) return { cpuRatio: null, memoryRatio: null };
  const before = sampleProcessUsage(pids);
  await new Promise((r) => setTimeout(r, 1000));
  const after = sampleProcessUsage(pids);
  let cpu: number | null = null;
  let memory: number | null = null;
  for (const next of after) {
    const prev = before.find((b) => b.pid === next.pid);
    if (prev === undefined) continue;
    const ratios = usageRatios(prev, next);
    if (ratios.cpuRatio !== null) cpu = Math.max(cpu ?? 0, ratios.cpuRatio);
    memory = Math.max(memory ?? 0, ratios.memoryRatio);
  }
  return { cpuRatio: cpu, memoryRatio: memory };
}

/**
 * MONITOR (run by the PostDeploymentVerifier): at each checkpoint after `startedAt` it measures
 * the new revision of every production Rollout over the time since the previous checkpoint
 * (error rate, p99 against the pre-deploy baseline, replicas' CPU and memory) and judges it with
 * the workflow's thresholds. "investigate" findings are reported at once through `onFinding`;
 * a "rollback" verdict ends MONITOR early.
 */
export async function monitorRelease(
  api: CrewApi,
  release: ReleaseView,
  startedAt: number,
  baselineP99Ms: number | null,
  options: { now: () => number; signal: AbortSignal; onFinding: (message: string) => Promise<void> },
): Promise<MonitorReport> {
  const thresholds = monitorThresholds(release);
  const report: MonitorReport = { checkpoints: [], metrics: {}, issues: [], verdict: 'ok' };
  let previous = 0;
  for (const checkpointS of monitorCheckpoints(release)) {
    const due = startedAt + checkpointS * 1000;
    while (options.now() < due) {
      if (options.signal.aborted) return report;
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, due - options.now()))));
    }
    const windowS = Math.max(1, checkpointS - previous);
    previous = checkpointS;
    let worst: CheckpointVerdict | null = null;
    for (const r of release.spec.rollouts) {
      const name = rolloutNameIn(r.name, release.environment);
      const sample = await sampleCurrentRevision(api, name, windowS, 0.99);
      const usage =
        sample === null
          ? { cpuRatio: null, memoryRatio: null }
          : await replicaUsage(api, name, sample.revision);
      const verdict = evaluateCheckpoint(
        {
          at: options.now(),
          checkpointS,
          errorRate: sample?.errorRate ?? null,
          p99Ms: sample?.latencyMs ?? null,
          baselineP99Ms,
          ...usage,
        },
        thresholds,
      );
      report.metrics = {
        requests: sample?.requests ?? 0,
        errorRate: sample?.errorRate ?? null,
        p99Ms: sample?.latencyMs ?? null,
        baselineP99Ms,
        failedRequests: sample?.proxyErrors ?? 0,
        cpuRatio: usage.cpuRatio,
        memoryRatio: usage.memoryRatio,
      };
      for (const f of verdict.findings) {
        const message = `${name}: ${f.message}`;
        report.issues.push(message);
        if (f.level === 'investigate') await options.onFinding(message);
      }
      if (worst === null || rank(verdict.verdict) > rank(worst.verdict)) worst = verdict;
    }
    if (worst !== null) report.checkpoints.push({ ...worst, at: options.now() });
    if (worst?.verdict === 'rollback') {
      report.verdict = 'rollback';
      return report;
    }
  }
  return report;
}

function rank(v: CheckpointVerdict['verdict']): number {
  return v === 'rollback' ? 2 : v === 'investigate' ? 1 : 0;
}
