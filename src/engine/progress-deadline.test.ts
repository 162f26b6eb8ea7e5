import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';

const template = { command: ['node', 'server.mjs'] };

function canarySpec(steps: CanaryStep[], extra: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template,
    progressDeadlineSeconds: 5,
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5 } },
    ...extra,
  };
}

describe('progress deadline', () => {
  it('should not count a long analysis step against the deadline, as Argo (it used to make the rollout Degraded)', () => {
    const analysis = { templates: [{ templateName: 'error-rate' }] };
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { analysis }]));
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.until(() => 'web-r2-s1' in h.runs);
    h.ticks(40); // 20 s of a Running analysis, four times the deadline
    expect(h.status.phase).toBe('Progressing');
    expect(h.reasons()).not.toContain('PhaseDegraded');
    h.runs['web-r2-s1'] = { phase: 'Successful' };
    h.until(() => h.status.phase === 'Healthy');
  });

  it('should abort an update past its deadline with progressDeadlineAbort, traffic back to stable', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 20 }, { pause: {} }], { progressDeadlineAbort: true }),
      60_000,
    );
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision({ V: '2' });
    h.until(() => h.status.abort, 40);
    expect(h.status.phase).toBe('Degraded');
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.reasons().filter((r) => r === 'RolloutAborted')).toHaveLength(1);
    expect(h.events.find((e) => e.reason === 'RolloutAborted')?.message).toBe(
      'Rollout aborted update to revision 2: ProgressDeadlineExceeded: revision 2 has made no progress for 5s',
    );
  });

  it('should be Degraded past the deadline without progressDeadlineAbort, and not abort', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }]), 60_000);
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Degraded', 40);
    h.ticks(20);
    expect(h.status.abort).toBe(false);
    expect(h.status.message).toBe('ProgressDeadlineExceeded: revision 2 has made no progress for 5s');
  });

  it('should count the deadline from the end of a spec.paused pause (unpausing used to be Degraded at once)', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }]), 60_000);
    h.until(() => h.status.phase === 'Healthy', 400);
    h.spec = { ...h.spec, paused: true };
    h.addRevision({ V: '2' });
    h.ticks(40); // 20 s paused, four times the deadline
    expect(h.status.phase).toBe('Paused');
    h.spec = { ...h.spec, paused: false };
    h.ticks(8); // 4 s
    expect(h.status.phase).toBe('Progressing');
    h.until(() => h.status.phase === 'Degraded', 6);
    expect(h.status.message).toBe('ProgressDeadlineExceeded: revision 2 has made no progress for 5s');
  });

  it('should not abort a rollout paused at a pause step past its deadline (as Argo)', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 20 }, { pause: {} }], { progressDeadlineAbort: true }),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Paused');
    h.ticks(60);
    expect(h.status.phase).toBe('Paused');
    expect(h.status.abort).toBe(false);
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
  });
});
