import type { Kysely, Selectable } from 'kysely';
import type { DeploymentRecord, IncidentRecord } from '../records/types.js';
import type { Environment, ReleaseSpec } from '../spec/release-types.js';
import type { FreezeOverride, PlanProgress, Release } from '../workflow/index.js';
import { StoreError } from './errors.js';
import type { Database } from './schema.js';
import type { NewEvent, StoredRelease } from './store.js';

/**
 * The release workflow's tables (environments, releases, deployment records, incidents, freeze
 * overrides): SQL shared by every backend, used by {@link KyselyStore}.
 */
export class ReleaseTables {
  constructor(private readonly db: Kysely<Database>) {}

  async putEnvironments(tx: Kysely<Database>, environments: Environment[], now: number): Promise<void> {
    for (const env of environments) {
      const spec = JSON.stringify(env);
      await tx
        .insertInto('environments')
        .values({ name: env.metadata.name, spec, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ spec, updated_at: now }))
        .execute();
    }
  }

  async getEnvironment(name: string): Promise<Environment | undefined> {
    const row = await this.db
      .selectFrom('environments')
      .select('spec')
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? (JSON.parse(row.spec) as Environment) : undefined;
  }

  async listEnvironments(): Promise<Environment[]> {
    const rows = await this.db.selectFrom('environments').select('spec').execute();
    return rows
      .map((r) => JSON.parse(r.spec) as Environment)
      .sort((a, b) => a.spec.order - b.spec.order || a.metadata.name.localeCompare(b.metadata.name));
  }

  async createRelease(release: StoredRelease, events: NewEvent[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('releases')
        .select('name')
        .where('name', '=', release.state.name)
        .executeTakeFirst();
      if (existing) {
        throw new StoreError('CUTOVER_E_STORE_CONFLICT', `release ${release.state.name} already exists`);
      }
      await tx
        .insertInto('releases')
        .values({
          name: release.state.name,
          state: JSON.stringify(release.state),
          spec: JSON.stringify(release.spec),
          base_dir: release.baseDir,
          status: release.state.status,
          created_at: release.state.createdAt,
          updated_at: release.state.createdAt,
        })
        .execute();
      if (events.length > 0) await tx.insertInto('events').values(events).execute();
    });
  }

  async saveRelease(state: Release, events: NewEvent[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const last = state.history[state.history.length - 1]?.at ?? state.createdAt;
      const updated = await tx
        .updateTable('releases')
        .set({ state: JSON.stringify(state), status: state.status, updated_at: last })
        .where('name', '=', state.name)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) {
        throw new StoreError('CUTOVER_E_STORE_NOT_FOUND', `release ${state.name} not found`);
      }
      if (events.length > 0) await tx.insertInto('events').values(events).execute();
    });
  }

  async saveReleaseProgress(name: string, progress: PlanProgress, events: NewEvent[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const row = await tx
        .selectFrom('releases')
        .select('progress')
        .where('name', '=', name)
        .executeTakeFirst();
      if (row === undefined) throw new StoreError('CUTOVER_E_STORE_NOT_FOUND', `release ${name} not found`);
      const others = progressOf(row.progress).filter((p) => p.environment !== progress.environment);
      await tx
        .updateTable('releases')
        .set({ progress: JSON.stringify([...others, progress]) })
        .where('name', '=', name)
        .execute();
      if (events.length > 0) await tx.insertInto('events').values(events).execute();
    });
  }

  async getRelease(name: string): Promise<StoredRelease | undefined> {
    const row = await this.db.selectFrom('releases').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? toRelease(row) : undefined;
  }

  async listReleases(): Promise<StoredRelease[]> {
    const rows = await this.db.selectFrom('releases').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toRelease);
  }

  async saveDeploymentRecord(record: DeploymentRecord): Promise<void> {
    const body = JSON.stringify(record);
    await this.db
      .insertInto('deployment_records')
      .values({
        release: record.release,
        environment: record.environment,
        deploy_started_at: record.deployStartedAt,
        body,
      })
      .onConflict((oc) =>
        oc.column('release').doUpdateSet({ body, deploy_started_at: record.deployStartedAt }),
      )
      .execute();
  }

  async getDeploymentRecord(release: string): Promise<DeploymentRecord | undefined> {
    const row = await this.db
      .selectFrom('deployment_records')
      .select('body')
      .where('release', '=', release)
      .executeTakeFirst();
    return row ? (JSON.parse(row.body) as DeploymentRecord) : undefined;
  }

  async listDeploymentRecords(query: { from?: number; to?: number } = {}): Promise<DeploymentRecord[]> {
    let q = this.db.selectFrom('deployment_records').select('body').orderBy('deploy_started_at');
    if (query.from !== undefined) q = q.where('deploy_started_at', '>=', query.from);
    if (query.to !== undefined) q = q.where('deploy_started_at', '<', query.to);
    return (await q.execute()).map((r) => JSON.parse(r.body) as DeploymentRecord);
  }

  async saveIncident(incident: IncidentRecord): Promise<void> {
    const body = JSON.stringify(incident);
    await this.db
      .insertInto('incidents')
      .values({ name: incident.name, release: incident.release, detected_at: incident.detectedAt, body })
      .onConflict((oc) => oc.column('name').doUpdateSet({ body }))
      .execute();
  }

  async listIncidents(query: { release?: string } = {}): Promise<IncidentRecord[]> {
    let q = this.db.selectFrom('incidents').select('body').orderBy('detected_at');
    if (query.release !== undefined) q = q.where('release', '=', query.release);
    return (await q.execute()).map((r) => JSON.parse(r.body) as IncidentRecord);
  }

  async appendFreezeOverride(environment: string, override: FreezeOverride): Promise<void> {
    await this.db
      .insertInto('freeze_overrides')
      .values({ environment, body: JSON.stringify(override) })
      .execute();
  }

  async listFreezeOverrides(environment: string): Promise<FreezeOverride[]> {
    const rows = await this.db
      .selectFrom('freeze_overrides')
      .select('body')
      .where('environment', '=', environment)
      .orderBy('id')
      .execute();
    return rows.map((r) => JSON.parse(r.body) as FreezeOverride);
  }
}

function toRelease(row: Selectable<Database['releases']>): StoredRelease {
  return {
    state: JSON.parse(row.state) as Release,
    spec: JSON.parse(row.spec) as ReleaseSpec,
    baseDir: row.base_dir,
    progress: progressOf(row.progress),
  };
}

function progressOf(column: string | null): PlanProgress[] {
  return column === null ? [] : (JSON.parse(column) as PlanProgress[]);
}
