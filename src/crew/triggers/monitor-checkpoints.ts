/**
 * The MONITOR stage after DEPLOY: the release is looked at again at fixed checkpoints (5, 15, 30 and
 * 60 minutes by default), and each look yields a verdict — `ok`, `investigate` (an event and a
 * notification to a person) or `rollback` (handed to the RollbackCoordinator as a `monitor` trigger).
 */
import { formatDuration } from '../../spec/index.js';

/** Checkpoints after DEPLOY, s: 5, 15, 30 and 60 minutes. */
export const DEFAULT_MONITOR_CHECKPOINTS_S: readonly number[] = [300, 900, 1800, 3600];

/** The levels of a finding, mildest first. */
export const MONITOR_LEVELS = ['investigate', 'rollback'] as const;
/** One of {@link MONITOR_LEVELS}. */
export type MonitorLevel = (typeof MONITOR_LEVELS)[number];
/** A checkpoint's verdict: nothing found, something for a person to look at, or roll back. */
export type MonitorVerdict = 'ok' | MonitorLevel;
/** What a finding is about. */
export const MONITOR_FINDING_KINDS = ['errorRate', 'p99', 'cpu', 'memory'] as const;
/** One of {@link MONITOR_FINDING_KINDS}. */
export type MonitorFindingKind = (typeof MONITOR_FINDING_KINDS)[number];

/** When a checkpoint finds something. Every comparison is strictly greater than. */
export interface MonitorThresholds {
  /** Error rate (ratio 0..1) above which to investigate. @default 0.01 */
  readonly errorRateInvestigate: number;
  /** Error rate (ratio 0..1) above which to roll back. @default 0.05 */
  readonly errorRateRollback: number;
  /** p99 above this many times the pre-deploy baseline p99 → investigate. @default 2 */
  readonly p99BaselineFactor: number;
  /** CPU use of a replica (ratio 0..1 of its limit) above which to investigate. @default 0.8 */
  readonly cpuRatio: number;
  /** Memory use of a replica (ratio 0..1 of its limit) above which to investigate. @default 0.8 */
  readonly memoryRatio: number;
}

/** Investigate above 1% errors, 2× the baseline p99, or 80% CPU or memory; roll back above 5% errors. */
export const DEFAULT_MONITOR_THRESHOLDS: MonitorThresholds = {
  errorRateInvestigate: 0.01,
  errorRateRollback: 0.05,
  p99BaselineFactor: 2,
  cpuRatio: 0.8,
  memoryRatio: 0.8,
};

/** What was measured at one checkpoint; `null` where there is no data (nothing is judged on it). */
export interface CheckpointObservation {
  /** When it was measured, ms since the epoch. */
  readonly at: number;
  /** The checkpoint, s after DEPLOY. */
  readonly checkpointS: number;
  /** Errors / requests since DEPLOY or over the checkpoint's window, ratio 0..1. */
  readonly errorRate: number | null;
  /** p99 latency of the new revision, ms. */
  readonly p99Ms: number | null;
  /** p99 latency before DEPLOY, ms. */
  readonly baselineP99Ms: number | null;
  /** CPU use of the busiest replica, ratio 0..1 of its CPU limit. */
  readonly cpuRatio: number | null;
  /** Memory use of the largest replica, ratio 0..1 of its memory limit. */
  readonly memoryRatio: number | null;
}

/** One threshold a checkpoint found exceeded. */
export interface MonitorFinding {
  readonly kind: MonitorFindingKind;
  readonly level: MonitorLevel;
  /** The measured value: a ratio 0..1 for `errorRate`, `cpu` and `memory`; ms for `p99`. */
  readonly value: number;
  /** The threshold it exceeded, in the same unit (for `p99`: factor × baseline, ms). */
  readonly threshold: number;
  /** For people, e.g. `error rate 0.021 > 0.01 at the 15m checkpoint`. */
  readonly message: string;
}

/** A checkpoint's outcome. */
export interface CheckpointVerdict {
  /** The checkpoint, s after DEPLOY. */
  readonly checkpointS: number;
  /** The most severe level among `findings`, or `ok` when there are none. */
  readonly verdict: MonitorVerdict;
  /** Every threshold exceeded, in the order errorRate, p99, cpu, memory. */
  readonly findings: readonly MonitorFinding[];
}

/**
 * Judges one checkpoint's observation against the thresholds.
 *
 * Pure; never throws. A `null` value is not judged (no finding); the p99 is judged only with a
 * positive baseline. The error rate yields at most one finding: `rollback` above
 * `errorRateRollback`, else `investigate` above `errorRateInvestigate`.
 *
 * @param thresholds - @default {@link DEFAULT_MONITOR_THRESHOLDS}
 * @example
 * evaluateCheckpoint({ at, checkpointS: 900, errorRate: 0.07, p99Ms: null, baselineP99Ms: null,
 *   cpuRatio: 0.9, memoryRatio: 0.4 }).verdict // 'rollback' (findings: errorRate rollback, cpu investigate)
 */
export function evaluateCheckpoint(
  observation: CheckpointObservation,
  thresholds: MonitorThresholds = DEFAULT_MONITOR_THRESHOLDS,
): CheckpointVerdict {
  const where = `at the ${formatCheckpoint(observation.checkpointS)} checkpoint`;
  const findings: MonitorFinding[] = [];
  const { errorRate, p99Ms, baselineP99Ms, cpuRatio, memoryRatio } = observation;

  if (errorRate !== null) {
    const level: MonitorLevel | null =
      errorRate > thresholds.errorRateRollback
        ? 'rollback'
        : errorRate > thresholds.errorRateInvestigate
          ? 'investigate'
          : null;
    if (level !== null) {
      const threshold = level === 'rollback' ? thresholds.errorRateRollback : thresholds.errorRateInvestigate;
      findings.push({
        kind: 'errorRate',
        level,
        value: errorRate,
        threshold,
        message: `error rate ${round(errorRate, 3)} > ${threshold} ${where}`,
      });
    }
  }
  if (p99Ms !== null && baselineP99Ms !== null && baselineP99Ms > 0) {
    const threshold = thresholds.p99BaselineFactor * baselineP99Ms;
    if (p99Ms > threshold) {
      findings.push({
        kind: 'p99',
        level: 'investigate',
        value: p99Ms,
        threshold,
        message: `p99 ${round(p99Ms, 1)} ms > ${thresholds.p99BaselineFactor}× the baseline ${round(baselineP99Ms, 1)} ms ${where}`,
      });
    }
  }
  for (const [kind, value, threshold] of [
    ['cpu', cpuRatio, thresholds.cpuRatio],
    ['memory', memoryRatio, thresholds.memoryRatio],
  ] as const) {
    if (value !== null && value > threshold) {
      findings.push({
        kind,
        level: 'investigate',
        value,
        threshold,
        message: `${kind === 'cpu' ? 'CPU' : 'memory'} of a replica at ${round(value * 100, 1)}% of its limit > ${round(threshold * 100, 1)}% ${where}`,
      });
    }
  }

  const verdict: MonitorVerdict = findings.some((finding) => finding.level === 'rollback')
    ? 'rollback'
    : findings.length > 0
      ? 'investigate'
      : 'ok';
  return { checkpointS: observation.checkpointS, verdict, findings };
}

/**
 * The checkpoints that are due and not yet done, ascending.
 *
 * Pure; never throws. A checkpoint is due once `now >= deployedAt + checkpoint × 1000`. Several can
 * be due at once (after a restart of the orchestrator); the caller may run only the last.
 *
 * @param deployedAt - when DEPLOY finished, ms since the epoch
 * @param now - ms since the epoch
 * @param checkpointsS - checkpoints after DEPLOY, s; duplicates are reported once
 * @param done - checkpoints already evaluated, s
 * @example dueCheckpoints(0, 1_000_000, [300, 900, 1800], [300]) // [900]
 */
export function dueCheckpoints(
  deployedAt: number,
  now: number,
  checkpointsS: readonly number[],
  done: readonly number[],
): number[] {
  const finished = new Set(done);
  const due = new Set(
    checkpointsS.filter((checkpoint) => !finished.has(checkpoint) && now >= deployedAt + checkpoint * 1_000),
  );
  return [...due].sort((a, b) => a - b);
}

function formatCheckpoint(checkpointS: number): string {
  return Number.isFinite(checkpointS) && checkpointS >= 0
    ? formatDuration(checkpointS * 1_000)
    : `${checkpointS}s`;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
