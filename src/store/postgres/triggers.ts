import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.js';
import { FENCED_SQLSTATE } from './fenced-driver.js';

/** The tables whose rows only the lease holder's writes may change while it is fenced. */
const FENCED_TABLES = [
  'rollouts',
  'revisions',
  'analysis_templates',
  'analysis_runs',
  'events',
  'users',
  'tokens',
  'audit',
  'environments',
  'releases',
  'deployment_records',
  'incidents',
  'freeze_overrides',
  'handoff_runs',
  'handoff_states',
  'config_versions',
  'secret_rotations',
  'feature_flags',
  'workdir_checksums',
] as const;

/**
 * Installs PostgreSQL's triggers (idempotent, in one serialized transaction so replicas starting
 * together do not race): the event and audit logs refuse UPDATE, DELETE and TRUNCATE; every write
 * made with a fencing token (`cutover.fence_token`) locks the controller lease's row (FOR SHARE,
 * so a takeover waits for it) and is refused with SQLSTATE `CU001` unless the lease still holds
 * that token.
 */
export async function installTriggers(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`
      create or replace function cutover_append_only() returns trigger language plpgsql as $$
      begin raise exception '%', tg_argv[0]; end $$`.execute(tx);
    await sql
      .raw(`
      create or replace function cutover_fence() returns trigger language plpgsql as $$
      declare expected text := current_setting('cutover.fence_token', true);
      begin
        if expected is null or expected = '' then return null; end if;
        perform 1 from leases where name = 'controller' and token = expected::bigint for share;
        if not found then
          raise exception 'fencing token % is no longer the controller lease''s', expected
            using errcode = '${FENCED_SQLSTATE}';
        end if;
        return null;
      end $$`)
      .execute(tx);
    for (const [table, message] of [
      ['events', 'events are append-only'],
      ['audit', 'the audit log is append-only'],
    ] as const) {
      await sql
        .raw(
          `create or replace trigger ${table}_append_only before update or delete on ${table} for each row execute function cutover_append_only('${message}')`,
        )
        .execute(tx);
      await sql
        .raw(
          `create or replace trigger ${table}_no_truncate before truncate on ${table} for each statement execute function cutover_append_only('${message}')`,
        )
        .execute(tx);
    }
    for (const table of FENCED_TABLES) {
      await sql
        .raw(
          `create or replace trigger ${table}_fence before insert or update or delete on ${table} for each statement execute function cutover_fence()`,
        )
        .execute(tx);
    }
  });
}
