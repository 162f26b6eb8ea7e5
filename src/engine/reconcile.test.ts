import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { RolloutSpec } from '../spec/types.js';

const template = { command: ['node', 'server.mjs'] };

function canarySpec(steps: NonNullable<RolloutSpec['strategy']['canary']>['steps'], extra = {}): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template,
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5, scaleDownDelaySeconds: 5, ...extra } },
  };
}

function healthy(h: EngineHarness): void {
  h.until(() => h.status.phase === 'Healthy');
}

describe('reconcile', () => {
  it('should bring the first revision up at full scale with no steps', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { pause: {} }]));
    h.tick();
    expect(h.status.stableRevision).toBe(1);
    expect(h.status.phase).toBe('Progressing');
    healthy(h);
    expect(h.replicas(1)).toBe(2);
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.reasons()).not.toContain('RolloutPaused');
  });

  it('should walk canary steps, pause until promote, and complete', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '2s' } }]),
    );
    healthy(h);
    h.addRevision({ V: '2' });
    h.tick();
    expect(h.status.currentRevision).toBe(2);
    expect(h.weight(8080, 2)).toBe(0); // canary not ready yet: no traffic
    h.until(() => h.status.phase === 'Paused');
    expect(h.weight(8080, 2)).toBe(20);
    expect(h.status.currentStepIndex).toBe(1);
    expect(h.status.pauseConditions.map((p) => p.reason)).toEqual(['CanaryPauseStep']);
    h.ticks(10);
    expect(h.status.currentStepIndex).toBe(1); // waits for promote
    h.command('promote');
    h.until(() => h.weight(8080, 2) === 50);
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.stableRevision).toBe(2);
    expect(h.weight(8080, 2)).toBe(100);
    expect(h.replicas(1)).toBe(2); // scale-down delay keeps the old stable
    h.ticks(12);
    expect(h.replicas(1)).toBe(0);
    expect(h.reasons()).toContain('RolloutCompleted');
  });

  it('should abort on a failed step analysis and send all traffic to stable', () => {
    const analysis = { templates: [{ templateName: 'error-rate' }] };
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { analysis }, { setWeight: 100 }]));
    healthy(h);
    h.addRevision();
    h.until(() => h.actions.some((a) => a.type === 'createAnalysisRun'));
    const run = h.actions.find((a) => a.type === 'createAnalysisRun');
    expect(run).toMatchObject({ name: 'web-r2-s1', revisions: { stable: 1, canary: 2 } });
    expect(h.weight(8080, 2)).toBe(20);
    h.runs['web-r2-s1'] = { phase: 'Failed', message: 'metric error-rate failed' };
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.status.phase).toBe('Degraded');
    expect(h.status.message).toContain('metric error-rate failed');
    expect(h.weight(8080, 2)).toBe(0);
    expect(h.weight(8080, 1)).toBe(100);
    expect(h.replicas(2)).toBe(1); // abortScaleDownDelaySeconds keeps it briefly
    h.ticks(12);
    expect(h.replicas(2)).toBe(0);
    h.command('retry');
    h.until(() => h.actions.some((a) => a.type === 'createAnalysisRun' && a.name === 'web-r2-s1-a1'));
  });

  it('should pause on an inconclusive analysis until promote', () => {
    const analysis = { templates: [{ templateName: 't' }] };
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { analysis }]));
    healthy(h);
    h.addRevision();
    h.until(() => 'web-r2-s1' in h.runs);
    h.runs['web-r2-s1'] = { phase: 'Inconclusive' };
    h.tick();
    expect(h.status.phase).toBe('Paused');
    expect(h.status.pauseConditions.map((p) => p.reason)).toEqual(['InconclusiveAnalysisRun']);
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.stableRevision).toBe(2);
  });

  it('should abort on a failed background analysis from startingStep', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 10 }, { pause: { duration: 60 } }], {
        analysis: { templates: [{ templateName: 't' }], startingStep: 1 },
      }),
    );
    healthy(h);
    h.addRevision();
    h.tick();
    expect(h.runs).toEqual({});
    h.until(() => 'web-r2-bg' in h.runs);
    h.runs['web-r2-bg'] = { phase: 'Failed' };
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.weight(8080, 1)).toBe(100);
  });

  it('should skip the remaining steps on promote --full and terminate analyses', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 10 }, { analysis: { templates: [{ templateName: 't' }] } }, { pause: {} }]),
    );
    healthy(h);
    h.addRevision();
    h.until(() => 'web-r2-s1' in h.runs);
    h.command('promote', true);
    h.until(() => h.status.phase === 'Healthy');
    expect(h.actions).toContainEqual({ type: 'terminateAnalysisRun', name: 'web-r2-s1' });
  });

  it('should hold a blue-green preview until promote, then switch the active port', () => {
    const h = new EngineHarness({
      replicas: 2,
      port: 8080,
      template,
      strategy: { blueGreen: { previewPort: 8081, autoPromotionEnabled: false, scaleDownDelaySeconds: 3 } },
    });
    healthy(h);
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    expect(h.weight(8081, 2)).toBe(100);
    expect(h.weight(8080, 1)).toBe(100);
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
    expect(h.weight(8080, 2)).toBe(100);
    expect(h.status.stableRevision).toBe(2);
    h.ticks(8);
    expect(h.replicas(1)).toBe(0);
  });

  it('should auto-promote blue-green after autoPromotionSeconds and roll back on failed post-promotion analysis', () => {
    const h = new EngineHarness({
      replicas: 1,
      port: 8080,
      template,
      strategy: {
        blueGreen: {
          previewPort: 8081,
          autoPromotionSeconds: 3,
          postPromotionAnalysis: { templates: [{ templateName: 't' }] },
        },
      },
    });
    healthy(h);
    h.addRevision();
    h.until(() => h.status.previewReadyAt !== null);
    const readyAt = h.status.previewReadyAt!;
    h.until(() => h.weight(8080, 2) === 100);
    expect(h.now - readyAt).toBeGreaterThanOrEqual(3000);
    h.until(() => 'web-r2-post' in h.runs);
    h.runs['web-r2-post'] = { phase: 'Failed' };
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.weight(8080, 1)).toBe(100);
  });

  it('should never exceed maxSurge nor drop below maxUnavailable in a rolling update', () => {
    const h = new EngineHarness({
      replicas: 4,
      port: 8080,
      template,
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    });
    healthy(h);
    h.addRevision();
    h.tick();
    expect(h.status.phase).toBe('Progressing');
    for (let i = 0; i < 100 && h.status.phase !== 'Healthy'; i++) {
      h.tick();
      expect(h.replicas(1) + h.replicas(2)).toBeLessThanOrEqual(5);
      const observed = h.observed().replicaSets;
      expect(observed.reduce((a, r) => a + r.readyReplicas, 0)).toBeGreaterThanOrEqual(4);
    }
    expect(h.status.phase).toBe('Healthy');
    h.ticks(2); // the old revision goes once the router no longer routes to it
    expect(h.replicas(1)).toBe(0);
    expect(h.replicas(2)).toBe(4);
  });

  it('should stop every old replica before starting the new revision in recreate', () => {
    const h = new EngineHarness({ replicas: 2, port: 8080, template, strategy: { recreate: {} } });
    healthy(h);
    h.addRevision();
    h.tick();
    expect(h.replicas(1)).toBe(0);
    expect(h.replicas(2)).toBe(0);
    expect(h.weight(8080, 2)).toBe(100);
    h.until(() => h.status.phase === 'Healthy');
    expect(h.replicas(2)).toBe(2);
  });

  it('should refuse commands that do not apply and change nothing', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }]));
    healthy(h);
    const before = structuredClone(h.status);
    expect(() => h.command('retry')).toThrow(/only an aborted update can be retried/);
    expect(() => h.command('abort')).toThrow(/no update in progress/);
    expect(h.status).toEqual(before);
  });

  it('should go back to stable at once when the stable template is applied again mid-canary', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { pause: {} }]));
    healthy(h);
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    h.targetRevision = 1;
    h.tick();
    expect(h.weight(8080, 1)).toBe(100);
    h.until(() => h.status.phase === 'Healthy');
    h.ticks(12);
    expect(h.replicas(2)).toBe(0);
  });

  it('should be Degraded when the canary makes no progress before progressDeadlineSeconds', () => {
    const h = new EngineHarness({ ...canarySpec([{ setWeight: 20 }]), progressDeadlineSeconds: 5 }, 60_000);
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision();
    h.until(() => h.status.phase === 'Degraded', 40);
    expect(h.status.message).toContain('ProgressDeadlineExceeded');
  });
});

describe('reconcile: fast-track rollback (undo --now)', () => {
  it('should take a fast-tracked canary revision straight to 100% with no step or analysis', () => {
    const analysis = { templates: [{ templateName: 'error-rate' }] };
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { analysis }, { pause: {} }]));
    healthy(h);
    h.status = { ...h.status, fastTrackRevision: 2 };
    h.addRevision({ V: 'old' });
    h.until(() => h.status.stableRevision === 2 && h.status.phase === 'Healthy');
    expect(h.weight(8080, 2)).toBe(100);
    expect(Object.keys(h.runs)).toEqual([]);
    expect(h.status.pauseConditions).toEqual([]);
    expect(h.status.fastTrackRevision).toBeUndefined();
    expect(h.reasons()).toContain('RolloutFastTracked');
  });

  it('should leave a later revision to its steps once the fast-track was used', () => {
    const h = new EngineHarness(canarySpec([{ setWeight: 20 }, { pause: {} }]));
    healthy(h);
    h.status = { ...h.status, fastTrackRevision: 3 }; // names another revision: not this update
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Paused');
    expect(h.weight(8080, 2)).toBe(20);
    expect(h.status.fastTrackRevision).toBeUndefined();
  });

  it('should start every replica of a fast-tracked rolling revision at once', () => {
    const h = new EngineHarness({
      replicas: 4,
      port: 8080,
      template,
      strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } },
    });
    healthy(h);
    h.status = { ...h.status, fastTrackRevision: 2 };
    h.addRevision();
    h.tick();
    expect(h.replicas(2)).toBe(4);
    h.until(() => h.status.stableRevision === 2 && h.status.phase === 'Healthy');
  });
});

describe('reconcile (regressions)', () => {
  it('should let promote pass an Inconclusive background analysis (plain promote used to pause again)', () => {
    const h = new EngineHarness(
      canarySpec([{ setWeight: 20 }, { pause: { duration: 1 } }], {
        analysis: { templates: [{ templateName: 't' }] },
      }),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => 'web-r2-bg' in h.runs);
    h.runs['web-r2-bg'] = { phase: 'Inconclusive' };
    h.tick();
    expect(h.status.phase).toBe('Paused');
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.stableRevision).toBe(2);
  });

  it('should refuse abort for rolling and recreate (abort used to be accepted and ignored)', () => {
    const h = new EngineHarness({ replicas: 1, port: 8080, template, strategy: { rolling: {} } }, 60_000);
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision();
    h.tick();
    expect(() => h.command('abort')).toThrow(/canary and blueGreen/);
  });
});
