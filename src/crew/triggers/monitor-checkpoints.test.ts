import { describe, expect, it } from 'vitest';
import {
  type CheckpointObservation,
  DEFAULT_MONITOR_CHECKPOINTS_S,
  DEFAULT_MONITOR_THRESHOLDS,
  dueCheckpoints,
  evaluateCheckpoint,
} from './index.js';

const DEPLOYED_AT = Date.UTC(2025, 0, 1, 12);

const calm: CheckpointObservation = {
  at: DEPLOYED_AT + 900_000,
  checkpointS: 900,
  errorRate: 0.001,
  p99Ms: 180,
  baselineP99Ms: 150,
  cpuRatio: 0.3,
  memoryRatio: 0.4,
};

describe('evaluateCheckpoint', () => {
  it('should find nothing in a calm observation', () => {
    expect(evaluateCheckpoint(calm)).toEqual({ checkpointS: 900, verdict: 'ok', findings: [] });
  });

  it.each([
    // [what, change to the calm observation, verdict (= the finding's level), finding kind, threshold]
    ['error rate just above 1%', { errorRate: 0.011 }, 'investigate', 'errorRate', 0.01],
    ['error rate of exactly 1%', { errorRate: 0.01 }, 'ok', null, null],
    ['error rate of exactly 5%', { errorRate: 0.05 }, 'investigate', 'errorRate', 0.01],
    ['error rate above 5%', { errorRate: 0.07 }, 'rollback', 'errorRate', 0.05],
    ['p99 above twice the baseline', { p99Ms: 301 }, 'investigate', 'p99', 300],
    ['p99 of exactly twice the baseline', { p99Ms: 300 }, 'ok', null, null],
    ['p99 without a baseline', { p99Ms: 5_000, baselineP99Ms: null }, 'ok', null, null],
    ['p99 against a zero baseline', { p99Ms: 5_000, baselineP99Ms: 0 }, 'ok', null, null],
    ['CPU above 80%', { cpuRatio: 0.81 }, 'investigate', 'cpu', 0.8],
    ['memory above 80%', { memoryRatio: 0.95 }, 'investigate', 'memory', 0.8],
    ['no data at all', { errorRate: null, p99Ms: null, cpuRatio: null, memoryRatio: null }, 'ok', null, null],
  ] as const)('should judge %s', (_what, change, verdict, kind, threshold) => {
    const result = evaluateCheckpoint({ ...calm, ...change });
    expect(result.verdict).toBe(verdict);
    if (kind === null) {
      expect(result.findings).toEqual([]);
    } else {
      expect(result.findings).toHaveLength(1);
      expect(result.findings[0]).toMatchObject({ kind, level: verdict, threshold });
    }
  });

  it('should report every finding, the most severe deciding the verdict', () => {
    const result = evaluateCheckpoint({
      ...calm,
      errorRate: 0.07,
      p99Ms: 400,
      cpuRatio: 0.9,
      memoryRatio: 0.85,
    });
    expect(result.verdict).toBe('rollback');
    expect(result.findings.map((finding) => [finding.kind, finding.level])).toEqual([
      ['errorRate', 'rollback'],
      ['p99', 'investigate'],
      ['cpu', 'investigate'],
      ['memory', 'investigate'],
    ]);
    expect(result.findings.map((finding) => finding.message)).toEqual([
      'error rate 0.07 > 0.05 at the 15m checkpoint',
      'p99 400 ms > 2× the baseline 150 ms at the 15m checkpoint',
      'CPU of a replica at 90% of its limit > 80% at the 15m checkpoint',
      'memory of a replica at 85% of its limit > 80% at the 15m checkpoint',
    ]);
  });

  it('should use the thresholds given', () => {
    const thresholds = { ...DEFAULT_MONITOR_THRESHOLDS, cpuRatio: 0.95 };
    expect(evaluateCheckpoint({ ...calm, cpuRatio: 0.9 }, thresholds).verdict).toBe('ok');
  });
});

describe('dueCheckpoints', () => {
  it.each([
    ['before the first checkpoint', 299_999, [], []],
    ['at the first checkpoint', 300_000, [], [300]],
    ['after the first, which is done', 600_000, [300], []],
    ['after several, none done (a restarted orchestrator)', 1_800_000, [], [300, 900, 1800]],
    ['after all, some done', 4_000_000, [300, 1800], [900, 3600]],
    ['after all, all done', 4_000_000, [300, 900, 1800, 3600], []],
  ] as const)('should list the due checkpoints %s', (_when, sinceDeployMs, done, expected) => {
    expect(
      dueCheckpoints(DEPLOYED_AT, DEPLOYED_AT + sinceDeployMs, DEFAULT_MONITOR_CHECKPOINTS_S, done),
    ).toEqual(expected);
  });

  it('should sort and deduplicate configured checkpoints', () => {
    expect(dueCheckpoints(DEPLOYED_AT, DEPLOYED_AT + 120_000, [120, 60, 60, 30], [30])).toEqual([60, 120]);
  });
});
