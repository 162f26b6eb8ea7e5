/** Pure helpers that turn release and DORA documents into what the release and analytics pages show. */
import type { ReleaseView } from './types.js';

type PlanStep = ReleaseView['plan'][number];
type StageResult = ReleaseView['stageResults'][number];

/** Date and time of day, local, 24 h: `2026-11-23 14:05:09`. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/** At most one decimal, without a trailing `.0`. */
const oneDecimal = (n: number) => String(Math.round(n * 10) / 10);

/**
 * A duration in s as people read it, in the largest unit of which there is at least one: `45 s`,
 * `12.5 min`, `2.5 h`, `3.2 d`; `-` for null.
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const abs = Math.abs(seconds);
  if (abs < 60) return `${oneDecimal(seconds)} s`;
  if (abs < 3600) return `${oneDecimal(seconds / 60)} min`;
  if (abs < 86_400) return `${oneDecimal(seconds / 3600)} h`;
  return `${oneDecimal(seconds / 86_400)} d`;
}

/** A ratio 0..1 as a percentage with one decimal, `33.3 %`; `-` for null. */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? '-' : `${(ratio * 100).toFixed(1)} %`;
}

/** The latest result recorded for a step of the plan (same stage and environment), if any. */
export function resultOf(step: PlanStep, results: readonly StageResult[]): StageResult | undefined {
  let found: StageResult | undefined;
  for (const r of results) if (r.stage === step.stage && r.environment === step.environment) found = r;
  return found;
}

/** Index in the plan of the step the release is at (its stage in its environment), or -1 (e.g. ROLLBACK). */
export function currentStepIndex(release: Pick<ReleaseView, 'plan' | 'stage' | 'environment'>): number {
  return release.plan.findIndex((s) => s.stage === release.stage && s.environment === release.environment);
}
