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
});
