import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { RolloutSpec } from '../spec/types.js';

const template = { command: ['node', 'server.mjs'] };

function canarySpec(extra: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template,
    strategy: {
      canary: { steps: [{ setWeight: 50 }, { pause: {} }], abortScaleDownDelaySeconds: 5 },
    },
    ...extra,
  };
}

/** Revision 1 Healthy, then revision 2 up to its indefinite pause with 50% of the traffic. */
function pausedCanary(spec: RolloutSpec): EngineHarness {
  const h = new EngineHarness(spec);
  h.until(() => h.status.phase === 'Healthy');
  h.addRevision({ V: '2' });
  h.until(() => h.status.phase === 'Paused');
  expect(h.weight(8080, 2)).toBe(50);
  return h;
}

function events(h: EngineHarness, reason: string): string[] {
  return h.events.filter((e) => e.reason === reason).map((e) => e.message);
}

describe('observeReplicaFailures', () => {
  it('should make a canary that crash-loops during pause: {} Degraded with one event (it stayed Paused)', () => {
    const h = pausedCanary(canarySpec());
    const start = h.now;
    h.crash(2, 3);
    // Backoff 1 s + 2 s + 4 s: the third restart is about 7 s after the first exit.
    h.until(() => h.status.phase === 'Degraded', 20);
    expect(h.now - start).toBeLessThanOrEqual(8_000);
    expect(h.status.message).toBe(
      'CrashLoopBackOff: replica 2-0 of revision 2 exited with code 3, restarted 3 times without a ready period',
    );
    expect(events(h, 'CrashLoopBackOff')).toEqual([
      'Replica 2-0 of revision 2 exited with code 3, restarted 3 times without a ready period',
    ]);
    expect(h.events.find((e) => e.reason === 'CrashLoopBackOff')?.type).toBe('Warning');

    // One event per episode, not one per reconcile; the restart count in the message follows.
    h.ticks(120);
    expect(events(h, 'CrashLoopBackOff')).toHaveLength(1);
    expect(events(h, 'PhaseDegraded')).toHaveLength(1);
    expect(h.status.phase).toBe('Degraded');
    expect(h.status.replicaFailures).toMatchObject([{ revision: 2, replica: '2-0', exitCode: 3 }]);
    expect(h.status.replicaFailures[0]!.restarts).toBeGreaterThan(3);
    // Without progressDeadlineAbort it is reported, not aborted (as Argo's ProgressDeadlineExceeded).
    expect(h.status.abort).toBe(false);
    expect(h.status.pauseConditions.map((p) => p.reason)).toEqual(['CanaryPauseStep']);
  });

  it('should abort a crash-looping canary with progressDeadlineAbort and send all traffic to stable', () => {
    const h = pausedCanary(canarySpec({ progressDeadlineAbort: true }));
    h.crash(2, 3);
    h.until(() => h.status.abort, 20);
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.weight(8080, 2)).toBe(0);
    expect(h.status.weights).toEqual({ canary: 0, stable: 100 });
    expect(h.status.phase).toBe('Degraded');
    expect(events(h, 'RolloutAborted')).toEqual([
      'Rollout aborted update to revision 2: CrashLoopBackOff: replica 2-0 of revision 2 exited with code 3, restarted 3 times without a ready period',
    ]);
    expect(h.status.message).toMatch(/^RolloutAborted: .*exited with code 3/);
    h.ticks(12); // abortScaleDownDelaySeconds: 5
    expect(h.replicas(2)).toBe(0);
    expect(h.reasons().filter((r) => r === 'RolloutAborted')).toHaveLength(1);
  });

  it('should report a replica that cannot start at once, with the platform reason (RunContainerError)', () => {
    const h = new EngineHarness(canarySpec());
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.crash(2, 127, 'spawn failed: ENOENT');
    h.ticks(2);
    expect(h.status.phase).toBe('Degraded');
    expect(h.status.message).toBe(
      'RunContainerError: replica 2-0 of revision 2 cannot start: spawn failed: ENOENT (exit code 127), restarted 0 times without a ready period',
    );
    h.ticks(60);
    expect(events(h, 'RunContainerError')).toEqual([
      'Replica 2-0 of revision 2 cannot start: spawn failed: ENOENT (exit code 127), restarted 0 times without a ready period',
    ]);
    expect(h.status.phase).toBe('Degraded');
    expect(h.weight(8080, 1)).toBe(100); // never ready: never got traffic
  });

  it('should make a crash-looping stable revision Degraded, then Healthy after a ready period', () => {
    const h = new EngineHarness(canarySpec({ progressDeadlineAbort: true }));
    h.until(() => h.status.phase === 'Healthy');
    h.crash(1, 1);
    h.until(() => h.status.phase === 'Degraded', 20);
    expect(h.status.message).toMatch(/^CrashLoopBackOff: replica 1-0 of revision 1 exited with code 1/);
    expect(h.status.abort).toBe(false);

    h.heal(1);
    const healed = h.now;
    h.until(() => h.status.phase === 'Healthy', 200);
    // Ready after 1 s, then 60 s of readiness end the episode.
    expect(h.now - healed).toBeGreaterThanOrEqual(61_000);
    expect(h.status.replicaFailures).toEqual([]);

    // A new crash loop is a new episode with its own event.
    h.crash(1, 2);
    h.until(() => h.status.phase === 'Degraded', 20);
    expect(events(h, 'CrashLoopBackOff')).toHaveLength(2);
    expect(events(h, 'CrashLoopBackOff')[1]).toContain('exited with code 2');
  });

  it('should not take restarts separated by ready periods for a crash loop', () => {
    const h = new EngineHarness(canarySpec());
    h.until(() => h.status.phase === 'Healthy');
    for (let i = 0; i < 4; i++) {
      h.crash(1, 1);
      h.ticks(3); // 1.5 s: one restart
      h.heal(1);
      h.ticks(130); // 65 s up and ready
    }
    expect(h.observed().replicaSets[0]!.replicaStatuses[0]!.restarts).toBeGreaterThanOrEqual(4);
    expect(h.reasons()).not.toContain('CrashLoopBackOff');
    expect(h.status.phase).toBe('Healthy');
  });

  it('should leave a Healthy status unchanged from one reconcile to the next (no store write per pass)', () => {
    const h = new EngineHarness(canarySpec());
    h.until(() => h.status.phase === 'Healthy');
    h.ticks(4);
    const before = structuredClone(h.status);
    h.ticks(200); // 100 s, past the 60 s ready period
    expect(h.status).toEqual(before);
  });

  it('should abort a blue-green preview that crash-loops with progressDeadlineAbort (preview port too)', () => {
    const h = new EngineHarness({
      replicas: 1,
      port: 8080,
      template,
      progressDeadlineAbort: true,
      strategy: { blueGreen: { previewPort: 8081, autoPromotionEnabled: false } },
    });
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Paused');
    expect(h.weight(8081, 2)).toBe(100);
    h.crash(2, 139);
    h.until(() => h.status.abort, 20);
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.weight(8081, 1)).toBe(100);
    expect(events(h, 'RolloutAborted')[0]).toContain('exited with code 139');
  });

  it('should report a crash-looping rolling update without aborting it (rolling has no abort)', () => {
    const h = new EngineHarness({
      replicas: 2,
      port: 8080,
      template,
      progressDeadlineAbort: true,
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    });
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.crash(2, 1);
    h.until(() => h.status.phase === 'Degraded', 20);
    expect(h.reasons()).toContain('CrashLoopBackOff');
    expect(h.status.abort).toBe(false);
    expect(h.weight(8080, 1)).toBe(100); // maxUnavailable 0: the old replicas keep serving
  });
});
