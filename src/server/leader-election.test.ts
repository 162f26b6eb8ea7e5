import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type FreshDatabase, freshDatabase } from '../../test/support/postgres.js';
import { openPostgresStore, type PostgresStore } from '../store/index.js';
import { CONTROLLER_LEASE, LeaderElection } from './leader-election.js';

const logger = pino({ level: 'silent' });

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LeaderElection on PostgreSQL', () => {
  let database: FreshDatabase;
  const stores: PostgresStore[] = [];
  const elections: LeaderElection[] = [];
  afterEach(async () => {
    for (const e of elections.splice(0)) await e.stop();
    for (const s of stores.splice(0)) await s.close();
    await database.drop();
  });

  async function replica(holder: string, leaseDurationMs = 600) {
    const store = await openPostgresStore(database.url);
    stores.push(store);
    const events: string[] = [];
    const election = new LeaderElection({
      store,
      holder,
      leaseDurationMs,
      retryPeriodMs: 50,
      logger,
      onStartedLeading: (token) => {
        events.push(`started ${token}`);
        store.setFence(token);
      },
      onStoppedLeading: (reason) => events.push(`stopped: ${reason}`),
    });
    elections.push(election);
    return { store, election, events };
  }

  it('should let exactly one of three replicas lead, and hand over with a higher token when it stops', async () => {
    database = await freshDatabase();
    const replicas = await Promise.all(['a', 'b', 'c'].map((h) => replica(h)));
    for (const r of replicas) r.election.start();
    await waitFor(() => replicas.some((r) => r.election.leading));
    // Several periods later, still exactly one.
    await new Promise((r) => setTimeout(r, 300));
    const leaders = replicas.filter((r) => r.election.leading);
    expect(leaders).toHaveLength(1);
    const first = leaders[0]!;
    expect(first.election.token).toBe(1);
    await first.election.stop();
    await waitFor(() => replicas.some((r) => r !== first && r.election.leading));
    const second = replicas.find((r) => r !== first && r.election.leading)!;
    expect(second.election.token).toBe(2);
    const { lease } = await second.store.getLease(CONTROLLER_LEASE);
    expect(lease?.token).toBe(2);
    expect(replicas.filter((r) => r.election.leading)).toHaveLength(1);
  });

  it('should refuse every write of a leader whose lease was taken over (fencing token), and change nothing', async () => {
    database = await freshDatabase();
    const a = await replica('a');
    a.election.start();
    await waitFor(() => a.election.leading);
    // a stops renewing (as a paused process would) but keeps its fencing token and writes later.
    await a.election.stop();
    a.store.setFence(1);
    const b = await replica('b');
    b.election.start();
    await waitFor(() => b.election.leading);
    expect(b.election.token).toBe(2);
    const event = {
      time: 1,
      rollout: null,
      type: 'Normal' as const,
      reason: 'Stale',
      message: 'x',
      actor: 'controller',
    };
    await expect(a.store.appendEvents([event])).rejects.toMatchObject({ code: 'CUTOVER_E_FENCED' });
    await expect(
      a.store.apply(
        {
          rollouts: [
            {
              name: 'web',
              spec: { port: 8080, template: { command: ['x'] }, strategy: { canary: { steps: [] } } },
              hash: 'h',
            },
          ],
          templates: [],
        },
        'controller',
        1,
      ),
    ).rejects.toMatchObject({ code: 'CUTOVER_E_FENCED' });
    expect(await b.store.listEvents()).toEqual([]);
    expect(await b.store.listRollouts()).toEqual([]);
    // The current leader writes.
    await b.store.appendEvents([{ ...event, reason: 'Current' }]);
    expect((await b.store.listEvents()).map((e) => e.reason)).toEqual(['Current']);
  });

  it('should stop leading when it cannot renew before its deadline (the database unreachable)', async () => {
    database = await freshDatabase();
    const a = await replica('a', 400);
    a.election.start();
    await waitFor(() => a.election.leading);
    // Every connection of the database cut: renewals fail, and the leader steps down on its own clock.
    await database.drop();
    await waitFor(() => !a.election.leading, 5000);
    expect(a.events.at(-1)).toMatch(/^stopped: the lease could not be renewed/);
    database = await freshDatabase(); // for afterEach
  });
});
