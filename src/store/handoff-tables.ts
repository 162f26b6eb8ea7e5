import type { Kysely, Selectable } from 'kysely';
import type { HandoffRun, HandoffStateRef, StoredHandoffState } from '../handoff/types.js';
import type { Database } from './schema.js';

/** Snapshots kept per Rollout (the oldest go first); handoff exports are kept with their run. */
const SNAPSHOTS_KEPT = 5;

/**
 * The coordination handoff's tables (runs, stored states): SQL shared by every backend, used by
 * {@link KyselyStore}.
 */
export class HandoffTables {
  constructor(private readonly db: Kysely<Database>) {}

  async createRun(run: HandoffRun, now: number): Promise<void> {
    await this.db
      .insertInto('handoff_runs')
      .values({
        name: run.name,
        rollout: run.rollout,
        phase: run.phase,
        body: JSON.stringify(run),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async saveRun(run: HandoffRun, now: number): Promise<void> {
    await this.db
      .updateTable('handoff_runs')
      .set({ phase: run.phase, body: JSON.stringify(run), updated_at: now })
      .where('name', '=', run.name)
      .execute();
  }

  async getRun(name: string): Promise<HandoffRun | undefined> {
    const row = await this.db
      .selectFrom('handoff_runs')
      .select('body')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as HandoffRun) : undefined;
  }

  async listRuns(filter: { rollout?: string; active?: boolean } = {}): Promise<HandoffRun[]> {
    let q = this.db
      .selectFrom('handoff_runs')
      .select('body')
      .orderBy('created_at', 'desc')
      .orderBy('name', 'desc');
    if (filter.rollout !== undefined) q = q.where('rollout', '=', filter.rollout);
    if (filter.active) q = q.where('phase', '=', 'Running');
    const rows = await q.execute();
    return rows.map((r) => JSON.parse(r.body) as HandoffRun);
  }

  async putState(state: Omit<StoredHandoffState, 'id'>): Promise<HandoffStateRef> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('handoff_states')
        .values({
          rollout: state.rollout,
          kind: state.kind,
          run: state.run ?? null,
          replica: state.replica,
          sha256: state.sha256,
          size: state.size,
          data: state.data,
          exported_at: state.exportedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (state.kind === 'snapshot') {
        const keep = await tx
          .selectFrom('handoff_states')
          .select('id')
          .where('rollout', '=', state.rollout)
          .where('kind', '=', 'snapshot')
          .orderBy('id', 'desc')
          .limit(SNAPSHOTS_KEPT)
          .execute();
        await tx
          .deleteFrom('handoff_states')
          .where('rollout', '=', state.rollout)
          .where('kind', '=', 'snapshot')
          .where(
            'id',
            'not in',
            keep.map((k) => k.id),
          )
          .execute();
      }
      return { id: row.id, sha256: state.sha256, size: state.size, exportedAt: state.exportedAt };
    });
  }

  async getState(id: number): Promise<StoredHandoffState | undefined> {
    const row = await this.db
      .selectFrom('handoff_states')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toState(row);
  }

  /** The state a handoff run exported, if it got that far. */
  async stateOfRun(run: string): Promise<StoredHandoffState | undefined> {
    const row = await this.db
      .selectFrom('handoff_states')
      .selectAll()
      .where('run', '=', run)
      .executeTakeFirst();
    return row === undefined ? undefined : toState(row);
  }

  async latestState(rollout: string): Promise<StoredHandoffState | undefined> {
    const row = await this.db
      .selectFrom('handoff_states')
      .selectAll()
      .where('rollout', '=', rollout)
      .orderBy('exported_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toState(row);
  }

  /** Metadata of the Rollout's stored states, newest first (no data). */
  async listStates(rollout: string): Promise<Omit<StoredHandoffState, 'data'>[]> {
    const rows = await this.db
      .selectFrom('handoff_states')
      .select(['id', 'rollout', 'kind', 'run', 'replica', 'sha256', 'size', 'exported_at'])
      .where('rollout', '=', rollout)
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      rollout: r.rollout,
      kind: r.kind as StoredHandoffState['kind'],
      ...(r.run !== null ? { run: r.run } : {}),
      replica: r.replica,
      sha256: r.sha256,
      size: r.size,
      exportedAt: r.exported_at,
    }));
  }

  async deleteRollout(tx: Kysely<Database>, rollout: string): Promise<void> {
    await tx.deleteFrom('handoff_runs').where('rollout', '=', rollout).execute();
    await tx.deleteFrom('handoff_states').where('rollout', '=', rollout).execute();
  }
}

function toState(row: Selectable<Database['handoff_states']>): StoredHandoffState {
  return {
    id: row.id,
    rollout: row.rollout,
    kind: row.kind as StoredHandoffState['kind'],
    ...(row.run !== null ? { run: row.run } : {}),
    replica: row.replica,
    sha256: row.sha256,
    size: row.size,
    data: Buffer.from(row.data),
    exportedAt: row.exported_at,
  };
}
