import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { RolloutSpec } from '../spec/types.js';

const template = { command: ['node', 'server.mjs'] };
const analysis = { templates: [{ templateName: 'error-rate' }] };
/** What the controller observes for a failed run (see controller/analysis-failure-reason.ts). */
const REASON =
  'metric "error-rate" = 0.213 failed successCondition "result < 0.05" (failed 1 > failureLimit 0)';

function abortEvent(h: EngineHarness): string {
  const events = h.events.filter((e) => e.reason === 'RolloutAborted');
  expect(events).toHaveLength(1);
  return events[0]!.message;
}

/** Brings revision 1 up, adds revision 2, waits for `run` to be created, fails it, and reconciles. */
function failRun(spec: RolloutSpec, run: string): EngineHarness {
  const h = new EngineHarness(spec);
  h.until(() => h.status.phase === 'Healthy');
  h.addRevision({ V: '2' });
  h.until(() => run in h.runs);
  h.runs[run] = { phase: 'Failed', message: REASON };
  h.tick();
  expect(h.status.abort).toBe(true);
  return h;
}

describe('abort events', () => {
  it('should name the metric, value and condition when a canary analysis step fails', () => {
    const h = failRun(
      {
        replicas: 1,
        port: 8080,
        template,
        strategy: { canary: { steps: [{ setWeight: 20 }, { analysis }] } },
      },
      'web-r2-s1',
    );
    expect(abortEvent(h)).toBe(
      `Rollout aborted update to revision 2: AnalysisRun web-r2-s1 Failed: ${REASON}`,
    );
    expect(h.status.message).toContain(REASON);
  });

  it('should name the metric, value and condition when a background analysis fails', () => {
    const h = failRun(
      {
        replicas: 1,
        port: 8080,
        template,
        strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }], analysis } },
      },
      'web-r2-bg',
    );
    expect(abortEvent(h)).toBe(
      `Rollout aborted update to revision 2: Background AnalysisRun web-r2-bg Failed: ${REASON}`,
    );
  });

  // Blue-green aborts used to say only `PrePromotionAnalysis <run> Failed`, without the reason.
  it('should name the metric, value and condition when a blue-green prePromotionAnalysis fails', () => {
    const h = failRun(
      {
        replicas: 1,
        port: 8080,
        template,
        strategy: { blueGreen: { previewPort: 8081, prePromotionAnalysis: analysis } },
      },
      'web-r2-pre',
    );
    expect(abortEvent(h)).toBe(
      `Rollout aborted update to revision 2: PrePromotionAnalysis web-r2-pre Failed: ${REASON}`,
    );
  });

  it('should name the metric, value and condition when a blue-green postPromotionAnalysis fails', () => {
    const h = failRun(
      {
        replicas: 1,
        port: 8080,
        template,
        strategy: { blueGreen: { previewPort: 8081, postPromotionAnalysis: analysis } },
      },
      'web-r2-post',
    );
    expect(abortEvent(h)).toBe(
      `Rollout aborted update to revision 2: PostPromotionAnalysis web-r2-post Failed: ${REASON}`,
    );
  });
});
