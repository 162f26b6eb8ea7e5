import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';
import { mirrorRoutesAt } from './canary.js';

const everything = [{ path: { prefix: '/' } }];

function canarySpec(steps: CanaryStep[]): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template: { command: ['node', 'server.mjs'] },
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5, scaleDownDelaySeconds: 5 } },
  };
}

describe('mirrorRoutesAt', () => {
  it('should fold setMirrorRoute steps by name, with percentage 100 by default, a step without match removing its route', () => {
    const steps: CanaryStep[] = [
      { setMirrorRoute: { name: 'a', match: everything } },
      { setMirrorRoute: { name: 'b', percentage: 10, match: [{ method: { exact: 'POST' } }], compare: {} } },
      { setMirrorRoute: { name: 'a' } },
    ];
    expect(mirrorRoutesAt(steps, 0, 2)).toEqual([
      { name: 'a', revision: 2, percentage: 100, match: everything },
    ]);
    expect(mirrorRoutesAt(steps, 1, 2).map((r) => [r.name, r.percentage, r.compare])).toEqual([
      ['a', 100, undefined],
      ['b', 10, {}],
    ]);
    expect(mirrorRoutesAt(steps, 2, 2).map((r) => r.name)).toEqual(['b']);
  });
});

describe('reconcile (setMirrorRoute)', () => {
  it('should mirror to the canary at weight 0 (keeping a replica), then drop the route on full promotion', () => {
    const h = new EngineHarness(
      canarySpec([{ setMirrorRoute: { name: 'shadow', percentage: 50, match: everything } }, { pause: {} }]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Paused');
    expect(h.weight(8080, 2)).toBe(0);
    expect(h.replicas(2)).toBe(1);
    expect(h.mirrorRoutes(8080)).toEqual([
      { name: 'shadow', revision: 2, percentage: 50, match: everything },
    ]);
    expect(h.events.find((e) => e.reason === 'SetMirrorRoute')?.message).toBe(
      'Set mirror route shadow to revision 2 (50%)',
    );
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.stableRevision).toBe(2);
    expect(h.mirrorRoutes(8080)).toEqual([]);
  });

  it('should remove mirror routes when the update aborts', () => {
    const analysis = { templates: [{ templateName: 'error-rate' }] };
    const h = new EngineHarness(
      canarySpec([{ setMirrorRoute: { name: 't', match: everything } }, { analysis }]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => 'web-r2-s1' in h.runs);
    expect(h.mirrorRoutes(8080)).toHaveLength(1);
    h.runs['web-r2-s1'] = { phase: 'Failed', message: 'metric error-rate' };
    h.tick();
    expect(h.status.abort).toBe(true);
    h.tick();
    expect(h.mirrorRoutes(8080)).toEqual([]);
    expect(h.weight(8080, 1)).toBe(100);
  });

  it('should replace a mirror route at a later step of the same name and remove it at a step without match', () => {
    const posts = [{ method: { exact: 'POST' }, path: { prefix: '/v1/' } }];
    const h = new EngineHarness(
      canarySpec([
        { setMirrorRoute: { name: 'shadow', percentage: 10, match: everything } },
        { pause: {} },
        { setMirrorRoute: { name: 'shadow', match: posts, compare: { jsonPath: '{$.answer}' } } },
        { pause: {} },
        { setMirrorRoute: { name: 'shadow' } },
        { pause: {} },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    expect(h.mirrorRoutes(8080).map((r) => r.percentage)).toEqual([10]);
    h.command('promote');
    h.until(() => h.status.currentStepIndex === 3);
    expect(h.mirrorRoutes(8080)).toEqual([
      { name: 'shadow', revision: 2, percentage: 100, match: posts, compare: { jsonPath: '{$.answer}' } },
    ]);
    h.command('promote');
    h.until(() => h.status.currentStepIndex === 5);
    expect(h.mirrorRoutes(8080)).toEqual([]);
    expect(h.replicas(2)).toBe(0); // no route left: the canary at weight 0 needs no replica
    expect(h.events.filter((e) => e.reason === 'SetMirrorRoute').map((e) => e.message)).toEqual([
      'Set mirror route shadow to revision 2 (10%)',
      'Set mirror route shadow to revision 2 (100%)',
      'Removed mirror route shadow',
    ]);
  });

  it('should not complete the step before the canary has a ready replica and the router is observed applying the route', () => {
    const h = new EngineHarness(
      canarySpec([{ setMirrorRoute: { name: 'shadow', match: everything } }, { pause: {} }]),
      3000,
    );
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision();
    h.ticks(3); // 1.5 s: the canary replica is not ready yet
    expect(h.status.currentStepIndex).toBe(0);
    // A data plane that does not apply mirror routes (e.g. one older than them): the step waits.
    h.applyListener = ({ mirrorRoutes: _ignored, ...rest }) => rest;
    h.ticks(20);
    expect(h.status.currentStepIndex).toBe(0);
    expect(h.replicas(2)).toBe(1);
    expect(h.events.map((e) => e.reason)).not.toContain('SetMirrorRoute');
    h.applyListener = (l) => l;
    h.until(() => h.status.currentStepIndex === 1);
    expect(h.mirrorRoutes(8080)).toHaveLength(1);
  });

  it('should keep header and mirror routes while a setWeight step moves the weight (regression: the new weight dropped them for one reconcile)', () => {
    const h = new EngineHarness(
      canarySpec([
        {
          setHeaderRoute: {
            name: 'testers',
            match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }],
          },
        },
        { setMirrorRoute: { name: 'shadow', match: everything } },
        { setWeight: 50 },
        { pause: {} },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.currentStepIndex === 1);
    for (let i = 0; i < 40 && h.status.phase !== 'Paused'; i++) {
      h.tick();
      expect([h.headerRoutes(8080).length, h.mirrorRoutes(8080).length]).toEqual([1, 1]);
    }
    expect(h.status.phase).toBe('Paused');
    expect(h.weight(8080, 2)).toBe(50);
  });
});
