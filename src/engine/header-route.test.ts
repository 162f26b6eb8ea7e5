import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { CanaryStep, RolloutSpec } from '../spec/types.js';
import { headerRoutesAt } from './canary.js';

const template = { command: ['node', 'server.mjs'] };
const canaryHeader = [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }];

function canarySpec(steps: CanaryStep[]): RolloutSpec {
  return {
    replicas: 2,
    port: 8080,
    template,
    strategy: { canary: { steps, abortScaleDownDelaySeconds: 5, scaleDownDelaySeconds: 5 } },
  };
}

describe('headerRoutesAt', () => {
  it('should fold setHeaderRoute steps by name, a step without match removing its route', () => {
    const steps: CanaryStep[] = [
      { setHeaderRoute: { name: 'a', match: canaryHeader } },
      { setHeaderRoute: { name: 'b', match: [{ headerName: 'user', headerValue: { prefix: 'qa-' } }] } },
      { pause: {} },
      { setHeaderRoute: { name: 'a' } },
    ];
    expect(headerRoutesAt(steps, 0, 2).map((r) => r.name)).toEqual(['a']);
    expect(headerRoutesAt(steps, 2, 2)).toEqual([
      { name: 'a', match: canaryHeader, revision: 2 },
      { name: 'b', match: [{ headerName: 'user', headerValue: { prefix: 'qa-' } }], revision: 2 },
    ]);
    expect(headerRoutesAt(steps, 3, 2).map((r) => r.name)).toEqual(['b']);
  });
});

describe('reconcile (setHeaderRoute)', () => {
  it('should route matching clients to the canary at weight 0, then remove the route on completion', () => {
    const h = new EngineHarness(
      canarySpec([
        { setHeaderRoute: { name: 'testers', match: canaryHeader } },
        { pause: {} },
        { setWeight: 50 },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision({ V: '2' });
    h.until(() => h.status.phase === 'Paused');
    expect(h.status.currentStepIndex).toBe(1);
    expect(h.weight(8080, 2)).toBe(0);
    expect(h.replicas(2)).toBe(1); // kept up for the header route, though its weight is 0
    expect(h.headerRoutes(8080)).toEqual([{ name: 'testers', match: canaryHeader, revision: 2 }]);
    expect(h.events.find((e) => e.reason === 'SetHeaderRoute')?.message).toBe(
      'Set header route testers to revision 2',
    );
    h.command('promote');
    h.until(() => h.status.phase === 'Healthy');
    expect(h.status.stableRevision).toBe(2);
    expect(h.headerRoutes(8080)).toEqual([]);
  });

  it('should not complete the step before the canary has a ready replica and the router applies the route', () => {
    const h = new EngineHarness(
      canarySpec([{ setHeaderRoute: { name: 't', match: canaryHeader } }, { pause: {} }]),
      3000,
    );
    h.until(() => h.status.phase === 'Healthy', 400);
    h.addRevision();
    h.ticks(3); // 1.5 s: the canary replica is not ready yet
    expect(h.status.currentStepIndex).toBe(0);
    h.until(() => h.status.currentStepIndex === 1);
    expect(h.replicas(2)).toBe(1);
  });

  it('should remove header routes when the update aborts', () => {
    const analysis = { templates: [{ templateName: 'error-rate' }] };
    const h = new EngineHarness(
      canarySpec([{ setHeaderRoute: { name: 't', match: canaryHeader } }, { analysis }]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => 'web-r2-s1' in h.runs);
    expect(h.headerRoutes(8080)).toHaveLength(1);
    h.runs['web-r2-s1'] = { phase: 'Failed', message: 'metric error-rate' };
    h.tick();
    expect(h.status.abort).toBe(true);
    h.tick();
    expect(h.headerRoutes(8080)).toEqual([]);
    expect(h.weight(8080, 1)).toBe(100);
  });

  it('should remove a route at a later setHeaderRoute step without match', () => {
    const h = new EngineHarness(
      canarySpec([
        { setHeaderRoute: { name: 't', match: canaryHeader } },
        { pause: {} },
        { setHeaderRoute: { name: 't' } },
        { pause: {} },
      ]),
    );
    h.until(() => h.status.phase === 'Healthy');
    h.addRevision();
    h.until(() => h.status.phase === 'Paused');
    expect(h.headerRoutes(8080)).toHaveLength(1);
    h.command('promote');
    h.until(() => h.status.currentStepIndex === 3);
    expect(h.headerRoutes(8080)).toEqual([]);
    expect(h.events.map((e) => e.message)).toContain('Removed header route t');
  });
});
