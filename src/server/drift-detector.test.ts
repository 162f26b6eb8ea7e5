import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock/index.js';
import type { DataPlaneClient } from '../dataplane/client.js';
import type { DataPlaneState, FlagSetsServed, FlagSetsSpec, FlagSetsStatus } from '../dataplane/protocol.js';
import { flagSetsHash, type ServedFlagSet } from '../flags/index.js';
import type { FeatureFlags } from '../spec/index.js';
import { type KyselyStore, openSqliteStore } from '../store/index.js';
import { DriftDetector } from './drift-detector.js';
import { FeatureFlagSync } from './feature-flag-sync.js';

/** A data plane in memory serving flag sets, with no Rollout. */
class FakeDataPlane {
  sets: ServedFlagSet[] = [];
  servedSince = 0;
  puts = 0;
  rollouts: DataPlaneState['rollouts'] = [];

  async state(): Promise<DataPlaneState> {
    return {
      pid: 1,
      routerPid: 2,
      startedAt: 1,
      routerRestarts: 0,
      adoptedReplicas: 0,
      routerExits: [],
      rollouts: this.rollouts,
    };
  }
  async flags(): Promise<FlagSetsStatus> {
    return { hash: flagSetsHash(this.sets), servedSince: this.servedSince, flagSets: [] };
  }
  async flagSets(): Promise<FlagSetsServed> {
    return {
      hash: flagSetsHash(this.sets),
      servedSince: this.servedSince,
      flagSets: structuredClone(this.sets),
    };
  }
  async putFlags(spec: FlagSetsSpec): Promise<FlagSetsStatus> {
    this.puts++;
    this.sets = structuredClone(spec.flagSets);
    this.servedSince++;
    return this.flags();
  }
}

const flags = (name: string, state: string, policy?: string): FeatureFlags => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'FeatureFlags',
  metadata: {
    name,
    ...(policy !== undefined ? { annotations: { 'cutover.dev/drift-policy': policy } } : {}),
  },
  spec: { flags: { [name]: { state, variants: { on: true, off: false }, defaultVariant: 'off' } } },
});

describe('DriftDetector', () => {
  let store: KyselyStore;
  let dp: FakeDataPlane;
  let sync: FeatureFlagSync;
  let detector: DriftDetector;
  const clock = new SimulatedClock(1_000_000);
  const logger = pino({ level: 'silent' });
  /** A detector on the test's store, data plane and flags, with empty memory (a new leader's). */
  const newDetector = () =>
    new DriftDetector({
      store,
      controller: { driftOf: () => [], restore: async () => [] },
      dataPlane: () => dp as unknown as DataPlaneClient,
      clock,
      logger,
      intervalMs: 1000,
      flags: sync,
    });

  beforeEach(async () => {
    store = await openSqliteStore(':memory:');
    dp = new FakeDataPlane();
    sync = new FeatureFlagSync({ store, dataPlane: () => dp as unknown as DataPlaneClient, logger });
    detector = newDetector();
  });

  afterEach(async () => {
    await store.close();
  });

  /** FeatureFlags `search` stored ENABLED, served DISABLED, and reported by `detector`. */
  const reportSearchDrift = async () => {
    await store.apply(
      { rollouts: [], templates: [], featureFlags: [flags('search', 'ENABLED')] },
      'user:test',
      clock.now(),
    );
    await sync.push();
    await dp.putFlags({ flagSets: [{ name: 'search', spec: flags('search', 'DISABLED').spec }] });
    await detector.pass();
  };

  const events = async () => (await store.listEvents()).map((e) => [e.reason, e.message]);

  it("should report flags changed on the data plane, restore those annotated remediate, and keep the others' drift", async () => {
    await store.apply(
      {
        rollouts: [],
        templates: [],
        featureFlags: [flags('planner', 'DISABLED', 'remediate'), flags('search', 'ENABLED')],
      },
      'user:test',
      clock.now(),
    );
    await sync.push();
    expect(dp.puts).toBe(1);
    await detector.pass();
    expect(detector.report().items).toEqual([]);

    // Someone else turns both flags around on the admin API.
    await dp.putFlags({
      flagSets: [
        { name: 'planner', spec: flags('planner', 'ENABLED').spec },
        { name: 'search', spec: flags('search', 'DISABLED').spec },
      ],
    });
    await sync.push();
    expect(dp.puts).toBe(2); // the periodic check does not overwrite drift
    await detector.pass();
    const reasons = await events();
    expect(reasons).toContainEqual([
      'DriftDetected',
      'FeatureFlags/planner: spec.flags.planner.state: desired DISABLED, observed ENABLED (driftPolicy remediate: restoring)',
    ]);
    expect(reasons).toContainEqual([
      'DriftDetected',
      'FeatureFlags/search: spec.flags.search.state: desired ENABLED, observed DISABLED (driftPolicy alert: reported, not restored)',
    ]);
    expect(reasons).toContainEqual([
      'DriftRemediated',
      'FeatureFlags/planner: driftPolicy remediate restored the desired state: spec.flags.planner.state back to DISABLED (was ENABLED)',
    ]);
    expect(dp.sets.map((s) => [s.name, s.spec.flags[s.name]?.['state']])).toEqual([
      ['planner', 'DISABLED'],
      ['search', 'DISABLED'],
    ]);
    expect(detector.report().items).toMatchObject([
      { kind: 'FeatureFlags', name: 'search', field: 'spec.flags.search.state', policy: 'alert' },
    ]);
    // The drift left (alert) is still not overwritten by the periodic check...
    const puts = dp.puts;
    await sync.push();
    expect(dp.puts).toBe(puts);
    await detector.pass();
    expect(detector.stats()).toMatchObject({
      passes: 3,
      remediations: [{ kind: 'FeatureFlags', name: 'planner', count: 1 }],
      detected: [
        { kind: 'FeatureFlags', name: 'planner', aspect: 'flags', count: 1 },
        { kind: 'FeatureFlags', name: 'search', aspect: 'flags', count: 1 },
      ],
    });
    // ...but a change of the stored flags (a kill switch, an apply) is served whole.
    await store.apply(
      { rollouts: [], templates: [], featureFlags: [flags('onboarding', 'ENABLED')] },
      'user:test',
      clock.now(),
    );
    await sync.push();
    expect(dp.puts).toBe(puts + 1);
    await detector.pass();
    expect(detector.report().items).toEqual([]);
    expect(await events()).toContainEqual([
      'DriftResolved',
      'FeatureFlags/search: spec.flags.search.state no longer drifts (desired ENABLED; it was DISABLED)',
    ]);
  });

  it('should push the stored flags to a data plane that serves none, whatever was pushed before', async () => {
    await store.apply({ rollouts: [], templates: [], featureFlags: [flags('planner', 'ENABLED')] }, 'u', 1);
    await sync.push();
    dp.sets = [];
    dp.servedSince = 0;
    await sync.push();
    expect(dp.puts).toBe(2);
    expect(dp.sets.map((s) => s.name)).toEqual(['planner']);
  });

  it("should report a working directory it cannot check once, and drift the controller's write replaces", async () => {
    await store.apply(
      {
        rollouts: [
          {
            name: 'web',
            spec: {
              port: 18080,
              template: { command: ['node', 'x.js'], cwd: '/nonexistent/cutover-drift' },
              strategy: { recreate: {} },
            },
            hash: 'h1',
          },
        ],
        templates: [],
      },
      'u',
      1,
    );
    await detector.revisionsCreated([{ name: 'web', change: 'created', revision: 1 }]);
    dp.rollouts = [
      {
        rollout: 'web',
        listeners: [],
        replicaSets: [{ revision: 1, hash: 'h1', replicas: 1, readyReplicas: 1, replicaStatuses: [] }],
      },
    ];
    await detector.pass();
    await detector.pass();
    const notChecked = (await events()).filter(([reason]) => reason === 'WorkingDirectoryNotChecked');
    expect(notChecked).toEqual([
      [
        'WorkingDirectoryNotChecked',
        'The working directory of revision 1 (/nonexistent/cutover-drift) is not checked for drift: cannot read /nonexistent/cutover-drift: ENOENT',
      ],
    ]);
    await detector.overwritten('web', [
      {
        kind: 'Rollout',
        name: 'web',
        aspect: 'dataPlane',
        field: 'replicaSets[r1].replicas',
        desired: '1',
        observed: '3',
      },
    ]);
    expect(await events()).toContainEqual([
      'DriftDetected',
      "Rollout/web: replicaSets[r1].replicas: desired 1, observed 3 (the controller's next change to the Rollout replaces it)",
    ]);
  });

  it('should not report a drift again after a failover: a new detector resumes from the event log (regression: a new leader reported every current drift again)', async () => {
    await reportSearchDrift();
    const detected = async () => (await events()).filter(([reason]) => reason === 'DriftDetected');
    expect(await detected()).toHaveLength(1);
    const since = detector.report().items[0]?.since;

    // The leader is replaced: a new detector on the same store, with empty memory.
    clock.advance(5000);
    const successor = newDetector();
    await successor.pass();
    expect(await detected()).toHaveLength(1);
    expect(successor.report().items).toMatchObject([
      { kind: 'FeatureFlags', name: 'search', field: 'spec.flags.search.state', observed: 'DISABLED', since },
    ]);

    // Once the drift goes away, the successor resolves it.
    await dp.putFlags({ flagSets: [{ name: 'search', spec: flags('search', 'ENABLED').spec }] });
    await successor.pass();
    expect((await events()).at(-1)).toEqual([
      'DriftResolved',
      'FeatureFlags/search: spec.flags.search.state no longer drifts (desired ENABLED; it was DISABLED)',
    ]);
    expect(successor.report().items).toEqual([]);
  });

  it('should resolve after a failover a drift that went away while no leader ran', async () => {
    await reportSearchDrift();
    await dp.putFlags({ flagSets: [{ name: 'search', spec: flags('search', 'ENABLED').spec }] });
    const successor = newDetector();
    await successor.pass();
    await successor.pass();
    expect(
      (await events()).filter(([reason]) => reason?.startsWith('Drift')).map(([reason]) => reason),
    ).toEqual(['DriftDetected', 'DriftResolved']);
  });
});
