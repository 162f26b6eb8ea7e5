import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { StoredWorkdirChecksum } from './store.js';

/** Checksums of revisions' working directories (drift detection): SQL shared by every backend. */
export class DriftTables {
  constructor(private readonly db: Kysely<Database>) {}

  /** Stores the checksum of a revision's working directory unless one is stored already (the first is kept). */
  async put(c: StoredWorkdirChecksum): Promise<void> {
    await this.db
      .insertInto('workdir_checksums')
      .values({
        rollout: c.rollout,
        revision: c.revision,
        cwd: c.cwd,
        sha256: c.checksum.sha256,
        files: c.checksum.files,
        bytes: c.checksum.bytes,
        manifest: c.checksum.manifest === undefined ? null : JSON.stringify(c.checksum.manifest),
        taken_at: c.takenAt,
      })
      .onConflict((oc) => oc.columns(['rollout', 'revision']).doNothing())
      .execute();
  }

  async list(rollout?: string): Promise<StoredWorkdirChecksum[]> {
    let q = this.db.selectFrom('workdir_checksums').selectAll().orderBy('rollout').orderBy('revision');
    if (rollout !== undefined) q = q.where('rollout', '=', rollout);
    return (await q.execute()).map((row) => ({
      rollout: row.rollout,
      revision: Number(row.revision),
      cwd: row.cwd,
      checksum: {
        sha256: row.sha256,
        files: Number(row.files),
        bytes: Number(row.bytes),
        ...(row.manifest === null ? {} : { manifest: JSON.parse(row.manifest) as Record<string, string> }),
      },
      takenAt: Number(row.taken_at),
    }));
  }

  /** Inside a rollout's deletion. */
  async deleteRollout(tx: Transaction<Database>, rollout: string): Promise<void> {
    await tx.deleteFrom('workdir_checksums').where('rollout', '=', rollout).execute();
  }
}
