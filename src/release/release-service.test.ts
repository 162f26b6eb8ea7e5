import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SimulatedClock } from '../clock/index.js';
import type { IncidentRecord } from '../records/index.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { ReleaseService } from './release-service.js';

const dir = mkdtempSync(join(tmpdir(), 'cutover-release-service-'));
const T0 = Date.UTC(2026, 11, 1, 10);

function releaseText(name: string): string {
  return stringify({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version: name,
      environments: ['production'],
      // The port is a spec field only: nothing here binds it.
      rollouts: [
        {
          name: 'shop',
          spec: { replicas: 1, port: 18_080, template: { command: ['node'] }, strategy: { recreate: {} } },
        },
      ],
    },
  });
}

/** The release service against a real SQLite store: incidents and their times (issue 10 §4). */
describe('ReleaseService incidents', () => {
  let store: KyselyStore;
  const clock = new SimulatedClock(T0);
  let service: ReleaseService;

  beforeAll(async () => {
    store = await openSqliteStore(join(dir, 'c.db'));
    await store.apply(
      {
        // The port is a spec field only: nothing here binds it.
        rollouts: [],
        templates: [],
        environments: [
          {
            apiVersion: 'cutover.dev/v1alpha1',
            kind: 'Environment',
            metadata: { name: 'production' },
            spec: { order: 1 },
          },
        ],
      },
      'user:admin',
      T0,
    );
    service = new ReleaseService({ store, clock });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Creates a release and carries it to MONITOR running. */
  async function toMonitor(name: string): Promise<void> {
    await service.create(releaseText(name), join(dir, `${name}.yaml`), 'user:dana', 'deployer');
    await service.dispatch(
      name,
      { type: 'stageSucceeded', stage: 'PREPARE' },
      'agent:pre-deployment-validator',
    );
    await service.dispatch(
      name,
      { type: 'approve', actor: 'user:mia', role: 'approver', qualifier: 'manager', comment: 'ok' },
      'user:mia',
    );
    await service.dispatch(name, { type: 'stageSucceeded', stage: 'DEPLOY' }, 'agent:orchestrator');
  }

  it("should date an incident from the trigger's onset, and name the crew agent on its stage results", async () => {
    await toMonitor('shop-a');
    clock.advance(30_000);
    await service.dispatch(
      'shop-a',
      {
        type: 'rollbackRequested',
        rollbackType: 'traffic',
        reason: 'errors',
        actor: 'agent:rollback-coordinator',
      },
      'agent:rollback-coordinator',
      { type: 'traffic', reason: 'errors', trigger: 'errorRate', values: { onsetAt: T0 + 12_000 } },
    );
    const [incident] = await store.listIncidents({ release: 'shop-a' });
    expect(incident?.detectedAt).toBe(T0 + 12_000);
    const view = await service.get('shop-a');
    // Every entry names who caused it: the crew agents' stage results included.
    expect(view.history.filter((h) => h.actor === undefined)).toEqual([]);
    expect(view.history.map((h) => h.actor)).toContain('agent:orchestrator');
    // The rollback fails: the incident stays open.
    await service.dispatch(
      'shop-a',
      { type: 'stageFailed', stage: 'ROLLBACK', reason: 'no update in progress' },
      'agent:rollback-coordinator',
    );
    const failed = (await store.listIncidents({ release: 'shop-a' }))[0] as IncidentRecord;
    expect(failed).toMatchObject({ status: 'FAILED', resolvedAt: null });
  });

  it('should count a failed rollback until a later release of the same service ships', async () => {
    clock.advance(60_000);
    await toMonitor('shop-b');
    clock.advance(5_000);
    await service.dispatch(
      'shop-b',
      { type: 'stageSucceeded', stage: 'MONITOR' },
      'agent:post-deployment-verifier',
    );
    expect((await service.get('shop-b')).status).toBe('SUCCESS');
    const restored = (await store.listIncidents({ release: 'shop-a' }))[0] as IncidentRecord;
    expect(restored.status).toBe('FAILED');
    expect(restored.resolvedAt).toBe(clock.now());
    expect(restored.timeline.at(-1)).toMatchObject({ reason: 'ServiceRestored' });
    expect(restored.timeline.at(-1)?.message).toContain('shop-b');
  });
});
