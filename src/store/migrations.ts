import { type Kysely, type Migration, type MigrationProvider, PostgresAdapter } from 'kysely';

/**
 * The two column types SQLite and PostgreSQL spell differently; every other type is the same in
 * both, so one list of migrations serves both backends.
 */
function types(db: Kysely<unknown>) {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  return {
    /** An id the database assigns, 1, 2, 3...: SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT`, PostgreSQL's `bigserial`. */
    id: (table: ReturnType<Kysely<unknown>['schema']['createTable']>) =>
      postgres
        ? table.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
    /** Bytes: SQLite's `blob`, PostgreSQL's `bytea`. */
    bytes: postgres ? ('bytea' as const) : ('blob' as const),
  };
}

/** Schema migrations, in order; run by Kysely's Migrator at open. */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rollouts')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('target_revision', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('revisions')
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('revisions_pk', ['rollout', 'number'])
        .execute();
      await db.schema
        .createTable('analysis_templates')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('cluster_scope', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('analysis_templates_pk', ['name', 'cluster_scope'])
        .execute();
      await db.schema
        .createTable('analysis_runs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('analysis_runs_rollout')
        .on('analysis_runs')
        .columns(['rollout', 'phase'])
        .execute();
      await types(db)
        .id(db.schema.createTable('events'))
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('rollout', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_rollout').on('events').columns(['rollout', 'id']).execute();
    },
  },
  '0002_auth_audit': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('qualifier', 'text')
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('tokens_user').on('tokens').column('user').execute();
      // Hash-chained, append-only (triggers in the backend): ids are assigned by the writer, 1, 2, 3...
      await db.schema
        .createTable('audit')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('time', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0003_releases': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('events').addColumn('release', 'text').execute();
      await db.schema.createIndex('events_release').on('events').columns(['release', 'id']).execute();
      await db.schema
        .createTable('environments')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('releases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('base_dir', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('deployment_records')
        .addColumn('release', 'text', (c) => c.primaryKey())
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('deploy_started_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('incidents')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('release', 'text', (c) => c.notNull())
        .addColumn('detected_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await types(db)
        .id(db.schema.createTable('freeze_overrides'))
        .addColumn('environment', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0004_handoffs': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('handoff_runs')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('phase', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('handoff_runs_rollout')
        .on('handoff_runs')
        .columns(['rollout', 'phase'])
        .execute();
      await types(db)
        .id(db.schema.createTable('handoff_states'))
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('run', 'text')
        .addColumn('replica', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('data', types(db).bytes, (c) => c.notNull())
        .addColumn('exported_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('handoff_states_rollout')
        .on('handoff_states')
        .columns(['rollout', 'id'])
        .execute();
    },
  },
  '0005_release_progress': {
    async up(db: Kysely<unknown>): Promise<void> {
      // The plan's progress per environment (JSON array of PlanProgress), reported by the crew.
      await db.schema.alterTable('releases').addColumn('progress', 'text').execute();
    },
  },
  '0006_config_versions': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Every version of every ConfigMap and Secret (a Secret's data is an encrypted envelope).
      await db.schema
        .createTable('config_versions')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('keys', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('config_versions_pk', ['kind', 'name', 'version'])
        .execute();
    },
  },
  '0007_feature_flags': {
    async up(db: Kysely<unknown>): Promise<void> {
      // FeatureFlags resources (issue 14, part 3): the resource as applied (JSON), by name.
      await db.schema
        .createTable('feature_flags')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('environment', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0008_secret_rotations': {
    async up(db: Kysely<unknown>): Promise<void> {
      // A Secret's rotationSchedule (issue 14) and the version whose due period was notified.
      await db.schema
        .createTable('secret_rotations')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('schedule', 'text', (c) => c.notNull())
        .addColumn('notifications', 'text', (c) => c.notNull())
        .addColumn('notified_version', 'integer')
        .execute();
    },
  },
  '0009_drift': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Drift detection (issue 14, part 4): the checksum of each revision's working directory,
      // taken when the revision was created.
      await db.schema
        .createTable('workdir_checksums')
        .addColumn('rollout', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('cwd', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('manifest', 'text')
        .addColumn('taken_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('workdir_checksums_pk', ['rollout', 'revision'])
        .execute();
    },
  },
  '0010_control_plane': {
    async up(db: Kysely<unknown>): Promise<void> {
      // Several control-plane replicas on one PostgreSQL (issue 15): the controller lease, whose
      // token fences the leader's writes, and the replicas seen (for `cutover server status`).
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('token', 'bigint', (c) => c.notNull())
        .addColumn('acquired_at', 'bigint', (c) => c.notNull())
        .addColumn('renewed_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
