import type { Kysely, Selectable } from 'kysely';
import type { Database } from './schema.js';
import type { ConfigKind, NewEvent, SecretRotation, StoredConfigVersion } from './store.js';

/** The versions of ConfigMaps and Secrets: SQL shared by every backend, used by the KyselyStore. */
export class ConfigTables {
  constructor(private readonly db: Kysely<Database>) {}

  async put(
    input: Omit<StoredConfigVersion, 'version'>,
    events: (version: number) => NewEvent[],
  ): Promise<{ version: number; created: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      const latest = await tx
        .selectFrom('config_versions')
        .select(['version', 'sha256'])
        .where('kind', '=', input.kind)
        .where('name', '=', input.name)
        .orderBy('version', 'desc')
        .executeTakeFirst();
      if (latest !== undefined && latest.sha256 === input.sha256)
        return { version: latest.version, created: false };
      const version = (latest?.version ?? 0) + 1;
      await tx
        .insertInto('config_versions')
        .values({
          kind: input.kind,
          name: input.name,
          version,
          data: input.data,
          sha256: input.sha256,
          keys: JSON.stringify(input.keys),
          created_at: input.createdAt,
          actor: input.actor,
        })
        .execute();
      const log = events(version);
      if (log.length > 0) await tx.insertInto('events').values(log).execute();
      return { version, created: true };
    });
  }

  async get(kind: ConfigKind, name: string, version?: number): Promise<StoredConfigVersion | undefined> {
    let q = this.db
      .selectFrom('config_versions')
      .selectAll()
      .where('kind', '=', kind)
      .where('name', '=', name)
      .orderBy('version', 'desc');
    if (version !== undefined) q = q.where('version', '=', version);
    const row = await q.executeTakeFirst();
    return row === undefined ? undefined : toVersion(row);
  }

  async list(options: { kind?: ConfigKind; all?: boolean }): Promise<StoredConfigVersion[]> {
    let q = this.db.selectFrom('config_versions').selectAll().orderBy('name').orderBy('version');
    if (options.kind !== undefined) q = q.where('kind', '=', options.kind);
    const rows = (await q.execute()).map(toVersion);
    if (options.all === true) return rows;
    const latest = new Map<string, StoredConfigVersion>();
    for (const r of rows) latest.set(`${r.kind}/${r.name}`, r);
    return [...latest.values()];
  }

  async putRotation(
    name: string,
    rotation: { schedule: string; notifications: unknown[] } | null,
  ): Promise<void> {
    if (rotation === null) {
      await this.db.deleteFrom('secret_rotations').where('name', '=', name).execute();
      return;
    }
    const values = { schedule: rotation.schedule, notifications: JSON.stringify(rotation.notifications) };
    await this.db
      .insertInto('secret_rotations')
      .values({ name, ...values, notified_version: null })
      .onConflict((oc) => oc.column('name').doUpdateSet(values))
      .execute();
  }

  async listRotations(): Promise<SecretRotation[]> {
    const rows = await this.db.selectFrom('secret_rotations').selectAll().orderBy('name').execute();
    return rows.map((r) => ({
      name: r.name,
      schedule: r.schedule,
      notifications: JSON.parse(r.notifications) as unknown[],
      notifiedVersion: r.notified_version === null ? null : Number(r.notified_version),
    }));
  }

  async markNotified(name: string, version: number): Promise<void> {
    await this.db
      .updateTable('secret_rotations')
      .set({ notified_version: version })
      .where('name', '=', name)
      .execute();
  }

  async replaceData(kind: ConfigKind, name: string, version: number, data: string): Promise<void> {
    await this.db
      .updateTable('config_versions')
      .set({ data })
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('version', '=', version)
      .execute();
  }
}

function toVersion(row: Selectable<Database['config_versions']>): StoredConfigVersion {
  return {
    kind: row.kind as ConfigKind,
    name: row.name,
    version: Number(row.version),
    data: row.data,
    sha256: row.sha256,
    keys: JSON.parse(row.keys) as string[],
    createdAt: Number(row.created_at),
    actor: row.actor,
  };
}
