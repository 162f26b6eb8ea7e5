import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import type { DataPlaneClient } from '../dataplane/client.js';
import type { DataPlaneState, RolloutDataPlaneSpec, RolloutDataPlaneStatus } from '../dataplane/protocol.js';
import type { DriftFinding } from '../drift/types.js';
import { templateHash } from '../spec/revision.js';
import type { RolloutSpec } from '../spec/types.js';
import { type KyselyStore, openSqliteStore } from '../store/index.js';
import { Controller } from './controller.js';

/** The status a data plane reports for a desired state it runs, every replica ready. */
function statusOf(spec: RolloutDataPlaneSpec): RolloutDataPlaneStatus {
  return {
    rollout: spec.rollout,
    listeners: structuredClone(spec.listeners),
    ...(spec.activeReplica !== undefined ? { activeReplica: spec.activeReplica } : {}),
    replicaSets: spec.replicaSets.map((rs) => ({
      revision: rs.revision,
      hash: rs.hash,
      replicas: rs.replicas,
      readyReplicas: rs.replicas,
      replicaStatuses: Array.from({ length: rs.replicas }, (_, i) => ({
        id: `${spec.rollout}-r${rs.revision}-${i}`,
        pid: 100 + i,
        port: 9000 + i,
        state: 'Running' as const,
        ready: true,
        restarts: 0,
        startedAt: 0,
        lastExitCode: null,
      })),
    })),
  };
}

/** A data plane in memory: what it was last sent is what it runs. */
class FakeDataPlane {
  pid = 1;
  startedAt = 1;
  routerPid = 10;
  readonly running = new Map<string, RolloutDataPlaneStatus>();
  readonly applied: RolloutDataPlaneSpec[] = [];

  async state(): Promise<DataPlaneState> {
    return {
      pid: this.pid,
      routerPid: this.routerPid,
      startedAt: this.startedAt,
      routerRestarts: 0,
      adoptedReplicas: 0,
      routerExits: [],
      rollouts: [...this.running.values()].map((r) => structuredClone(r)),
    };
  }

  async apply(spec: RolloutDataPlaneSpec): Promise<RolloutDataPlaneStatus> {
    this.applied.push(spec);
    this.running.set(spec.rollout, statusOf(spec));
    return statusOf(spec);
  }

  async remove(rollout: string): Promise<boolean> {
    return this.running.delete(rollout);
  }

  /** Someone else's change: all traffic to revision 1. */
  intrude(rollout = 'web'): void {
    const r = this.running.get(rollout)!;
    r.listeners = r.listeners.map((l) => ({ ...l, backends: [{ revision: 1, weight: 100 }] }));
  }
}

const spec = (version: string): RolloutSpec => ({
  port: 18080,
  template: { command: ['node', 'server.js'], cwd: '/srv/web', env: { VERSION: version } },
  strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }] } },
});

describe('Controller and drift', () => {
  let store: KyselyStore;
  let dp: FakeDataPlane;
  let controller: Controller;
  let overwritten: { rollout: string; findings: DriftFinding[] }[];
  const clock = new SimulatedClock(1_000_000);

  const apply = (version: string) =>
    store.apply(
      {
        rollouts: [{ name: 'web', spec: spec(version), hash: templateHash(spec(version).template) }],
        templates: [],
      },
      'user:test',
      clock.now(),
    );
  /** Reconciles until the data plane is sent nothing more. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await controller.tick();
    }
  };

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    dp = new FakeDataPlane();
    overwritten = [];
    controller = new Controller({
      store,
      dataPlane: dp as unknown as DataPlaneClient,
      clock,
      logger: pino({ level: 'silent' }),
      onDriftOverwritten: async (rollout, findings) => {
        overwritten.push({ rollout, findings });
      },
    });
    await apply('v1');
    await settle();
    await apply('v2');
    await settle();
  });

  afterEach(async () => {
    // A tick leaves reads in flight (due measurements, handoff snapshots): let them end first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await store.close();
  });

  const weights = () => dp.running.get('web')!.listeners[0]!.backends.filter((b) => b.weight > 0);

  it('should leave drift of an unchanged desired state to the drift pass, which can restore it', async () => {
    expect(weights()).toEqual([
      { revision: 1, weight: 50 },
      { revision: 2, weight: 50 },
    ]);
    const writes = dp.applied.length;
    dp.intrude();
    await settle();
    expect(dp.applied.length).toBe(writes);
    expect(weights()).toEqual([{ revision: 1, weight: 100 }]);
    const [drift] = controller.driftOf(await dp.state());
    expect(drift?.findings).toMatchObject([
      { field: 'listeners[18080].weights', desired: 'r1=50 r2=50', observed: 'r1=100' },
    ]);
    expect(await controller.restore('web')).toHaveLength(1);
    expect(weights()).toEqual([
      { revision: 1, weight: 50 },
      { revision: 2, weight: 50 },
    ]);
    expect(controller.driftOf(await dp.state())[0]?.findings).toEqual([]);
    expect(await controller.restore('web')).toEqual([]);
    expect(overwritten).toEqual([]);
  });

  it('should write its own next change over drift, reporting the drift first', async () => {
    dp.intrude();
    await settle();
    await controller.command('web', 'promote', {}, 'user:test');
    await settle();
    expect(overwritten).toMatchObject([
      { rollout: 'web', findings: [{ field: 'listeners[18080].weights', observed: 'r1=100' }] },
    ]);
    expect(weights()).toEqual([{ revision: 2, weight: 100 }]);
  });

  it('should seed a new data plane, and a router process that lost the Rollout, whatever the drift', async () => {
    const writes = dp.applied.length;
    // A new data plane: empty.
    dp.running.clear();
    dp.pid = 2;
    dp.startedAt = 2;
    await settle();
    expect(dp.applied.length).toBe(writes + 1);
    // A replaced router process that could not restore the Rollout.
    dp.running.clear();
    dp.routerPid = 11;
    await settle();
    expect(dp.applied.length).toBe(writes + 2);
    expect(overwritten).toEqual([]);
    // The same router process without the Rollout: removed behind the controller's back.
    dp.running.clear();
    await settle();
    expect(dp.applied.length).toBe(writes + 2);
    expect(controller.driftOf(await dp.state())[0]?.findings).toMatchObject([
      { field: 'rollout', desired: 'running', observed: '(absent)' },
    ]);
  });

  it('should know nothing after a start: the first reconcile writes as it always did', async () => {
    dp.intrude();
    const fresh = new Controller({
      store,
      dataPlane: dp as unknown as DataPlaneClient,
      clock,
      logger: pino({ level: 'silent' }),
    });
    expect(fresh.driftOf(await dp.state())).toEqual([]);
    const writes = dp.applied.length;
    await fresh.tick();
    expect(dp.applied.length).toBe(writes + 1);
    expect(weights()).toHaveLength(2);
  });
});
