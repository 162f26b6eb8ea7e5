import { sql } from 'kysely';
import { StoreError } from './errors.js';
import type { KyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';

/**
 * The tables an installation's history lives in, in copy order, with the columns that order their
 * rows. The lease and the replicas seen are the running control plane's, not history: not copied.
 */
const COPIED: readonly (readonly [keyof Database, readonly string[]])[] = [
  ['users', ['name']],
  ['tokens', ['id']],
  ['audit', ['id']],
  ['events', ['id']],
  ['environments', ['name']],
  ['analysis_templates', ['name', 'cluster_scope']],
  ['rollouts', ['name']],
  ['revisions', ['rollout', 'number']],
  ['analysis_runs', ['name']],
  ['handoff_runs', ['name']],
  ['handoff_states', ['id']],
  ['releases', ['name']],
  ['deployment_records', ['release']],
  ['incidents', ['name']],
  ['freeze_overrides', ['id']],
  ['config_versions', ['kind', 'name', 'version']],
  ['secret_rotations', ['name']],
  ['feature_flags', ['name']],
  ['workdir_checksums', ['rollout', 'revision']],
];

/** Tables whose ids the database assigns (a sequence to move past the copied ids on PostgreSQL). */
const GENERATED_IDS: readonly (keyof Database)[] = ['events', 'handoff_states', 'freeze_overrides'];

/** Rows per INSERT. */
const BATCH = 200;

/** What {@link copyStore} copied: rows per table, in copy order. */
export type StoreCopyReport = { table: string; rows: number }[];

/**
 * Copies an installation's whole history (Rollouts, revisions, AnalysisRuns, events, the audit log
 * with its ids and hashes unchanged, tokens, releases, records, ConfigMap and Secret versions —
 * Secrets stay encrypted with the same keys) from one store into another, in one transaction on
 * the target: all or nothing. Both stores must be migrated to the same schema (opening them does).
 * Stop the server of the source first: rows written during the copy are not copied.
 * @throws StoreError `CUTOVER_E_STORE_COPY` when the target already holds any row of these tables
 *   (nothing is written).
 */
export async function copyStore(from: KyselyStore, to: KyselyStore): Promise<StoreCopyReport> {
  const source = from.kysely;
  const target = to.kysely;
  for (const [table] of COPIED) {
    const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(target);
    const count = Number(rows[0]?.n ?? 0);
    if (count > 0)
      throw new StoreError(
        'CUTOVER_E_STORE_COPY',
        `the target store is not empty (${table}: ${count} rows): copy into a new, empty database`,
      );
  }
  const report: StoreCopyReport = [];
  const postgres = to.backend === 'postgres';
  await target.transaction().execute(async (tx) => {
    for (const [table, order] of COPIED) {
      let query = source.selectFrom(table).selectAll();
      for (const column of order) query = query.orderBy(sql.ref(column));
      const rows = (await query.execute()) as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += BATCH) {
        await tx
          .insertInto(table)
          .values(rows.slice(i, i + BATCH) as never)
          .execute();
      }
      if (postgres && GENERATED_IDS.includes(table) && rows.length > 0) {
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(
          tx,
        );
      }
      report.push({ table, rows: rows.length });
    }
  });
  return report;
}
