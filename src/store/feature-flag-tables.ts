import type { Kysely, Transaction } from 'kysely';
import type { FeatureFlags } from '../spec/feature-flags-schema.js';
import type { Database } from './schema.js';

/** The FeatureFlags resources' table: SQL shared by every backend, used by {@link KyselyStore}. */
export class FeatureFlagTables {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Creates or replaces FeatureFlags resources inside the apply's transaction, with one event
   * (`FeatureFlagsConfigured`, no rollout) for each one created or changed. Idempotent: the same
   * resource applied again changes nothing and records nothing.
   */
  async put(
    tx: Transaction<Database>,
    resources: readonly FeatureFlags[],
    actor: string,
    now: number,
  ): Promise<void> {
    for (const resource of resources) {
      const name = resource.metadata.name;
      const body = JSON.stringify(resource);
      const row = await tx
        .selectFrom('feature_flags')
        .select('body')
        .where('name', '=', name)
        .executeTakeFirst();
      if (row?.body === body) continue;
      const environment = resource.metadata.environment ?? null;
      if (row === undefined) {
        await tx
          .insertInto('feature_flags')
          .values({ name, environment, body, created_at: now, updated_at: now })
          .execute();
      } else {
        await tx
          .updateTable('feature_flags')
          .set({ environment, body, updated_at: now })
          .where('name', '=', name)
          .execute();
      }
      const keys = Object.keys(resource.spec.flags);
      await tx
        .insertInto('events')
        .values({
          time: now,
          rollout: null,
          type: 'Normal',
          reason: 'FeatureFlagsConfigured',
          message: `FeatureFlags ${name} ${row === undefined ? 'created' : 'updated'}${
            environment === null ? '' : ` (environment ${environment})`
          }: ${keys.length} flag(s): ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', ...' : ''}`,
          actor,
          release: null,
        })
        .execute();
    }
  }

  async get(name: string): Promise<FeatureFlags | undefined> {
    const row = await this.db
      .selectFrom('feature_flags')
      .select('body')
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.body) as FeatureFlags);
  }

  async list(): Promise<FeatureFlags[]> {
    const rows = await this.db.selectFrom('feature_flags').select('body').orderBy('name').execute();
    return rows.map((row) => JSON.parse(row.body) as FeatureFlags);
  }
}
