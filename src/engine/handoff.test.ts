import { describe, expect, it } from 'vitest';
import { EngineHarness } from '../../test/support/engine-harness.js';
import type { Handoff, RolloutSpec } from '../spec/types.js';

const handoff: Handoff = {
  singleton: true,
  export: { httpGet: { path: '/export' } },
  import: { httpGet: { path: '/import', method: 'POST' } },
};

function spec(strategy: RolloutSpec['strategy']): RolloutSpec {
  return { replicas: 2, port: 8080, template: { command: ['node', 'a.mjs'] }, strategy, handoff };
}

/** The harness' last handoff run, moved to `step` or ended. */
function move(
  h: EngineHarness,
  change: { phase?: 'Successful' | 'Failed'; step?: 'release' | 'shutdown'; message?: string },
) {
  const name = h.status.handoff!.name;
  const run = h.handoffs[name]!;
  h.handoffs[name] = {
    ...run,
    ...(change.phase !== undefined ? { phase: change.phase, step: null } : {}),
    ...(change.step !== undefined ? { step: change.step } : {}),
    ...(change.message !== undefined ? { message: change.message } : {}),
  };
}

describe('the handoff in the engine', () => {
  it('should hold requests until the first revision is activated, then route to the active replica only', () => {
    const h = new EngineHarness(spec({ recreate: {} }));
    h.until(() => h.status.handoff !== undefined);
    expect(h.status.handoff).toMatchObject({ kind: 'Activation', toReplica: '1-0', phase: 'Running' });
    h.tick();
    expect(h.activeReplica).toBeNull();
    move(h, { step: 'release' });
    h.tick();
    expect(h.activeReplica).toBe('1-0');
    expect(h.status.activeReplica).toMatchObject({ id: '1-0', revision: 1 });
    move(h, { phase: 'Successful' });
    h.ticks(3);
    expect(h.activeReplica).toBe('1-0');
    expect(h.actions.filter((a) => a.type === 'createHandoffRun')).toHaveLength(1);
  });

  it('should retry a failed activation only after 10 s', () => {
    const h = new EngineHarness(spec({ recreate: {} }));
    h.until(() => h.status.handoff !== undefined);
    h.tick();
    move(h, { phase: 'Failed', message: 'verify 1-0 failed' });
    h.tick();
    const created = () => h.actions.filter((a) => a.type === 'createHandoffRun').length;
    expect(created()).toBe(1);
    h.ticks(18); // 9 s
    expect(created()).toBe(1);
    expect(h.activeReplica).toBeNull();
    h.ticks(4);
    expect(created()).toBe(2);
  });

  it('should switch a blue-green port only once the handoff released the held requests, and abort on a failed one', () => {
    const h = new EngineHarness(spec({ blueGreen: { autoPromotionSeconds: 0, scaleDownDelaySeconds: 1 } }));
    h.until(() => h.status.handoff !== undefined);
    move(h, { phase: 'Successful', step: 'release' });
    h.until(() => h.status.phase === 'Healthy' && h.status.activeReplica?.id === '1-0');
    h.addRevision({ V: '2' });
    h.until(() => h.status.handoff?.kind === 'Update');
    expect(h.status.handoff).toMatchObject({ fromReplica: '1-0', toReplica: '2-0', toRevision: 2 });
    h.ticks(4);
    expect(h.activeReplica).toBeNull(); // held while the state moves
    expect(h.weight(8080, 1)).toBe(100);
    move(h, { phase: 'Failed', message: 'verify 2-0 failed: HTTP 200' });
    h.tick();
    expect(h.status.abort).toBe(true);
    expect(h.status.message).toContain('verify 2-0 failed: HTTP 200');
    expect(h.activeReplica).toBe('1-0');
    expect(h.weight(8080, 1)).toBe(100);
  });
});
