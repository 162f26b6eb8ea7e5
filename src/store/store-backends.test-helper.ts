import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { type FreshDatabase, freshDatabase } from '../../test/support/postgres.js';
import type { KyselyStore } from './kysely-store.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** The store under test and a way to open a second one on the same database. */
export interface StoreUnderTest {
  /** A new, empty store for each test. */
  store(): KyselyStore;
  /** Another store on the test's database (another replica); closed after the test. */
  openAnother(): Promise<KyselyStore>;
}

/**
 * One contract suite per backend, as Kysely's DIALECTS loop: `describe(<title> (<backend>))` for
 * SQLite and PostgreSQL, each test with a new, empty store (PostgreSQL: a fresh database copied
 * from one migrated once per file, so a test costs a `create database`, not the migrations).
 */
export function describeStore(
  title: string,
  suite: (t: StoreUnderTest) => void,
  backends: readonly ('sqlite' | 'postgres')[] = ['sqlite', 'postgres'],
): void {
  for (const backend of backends) {
    describe(`${title} (${backend})`, () => {
      let template: FreshDatabase | undefined;
      let location = '';
      let drop: () => Promise<void> = async () => undefined;
      let opened: KyselyStore[] = [];
      const open = (): Promise<KyselyStore> =>
        backend === 'sqlite' ? openSqliteStore(location) : openPostgresStore(location);
      if (backend === 'postgres') {
        beforeAll(async () => {
          template = await freshDatabase();
          await (await openPostgresStore(template.url)).close();
        });
        afterAll(async () => {
          await template?.drop();
        });
      }
      beforeEach(async () => {
        if (backend === 'sqlite') {
          location = join(mkdtempSync(join(tmpdir(), 'cutover-store-')), 'c.db');
        } else {
          const database = await freshDatabase(template?.name);
          location = database.url;
          drop = () => database.drop();
        }
        opened = [await open()];
      });
      afterEach(async () => {
        await Promise.all(opened.map((s) => s.close()));
        await drop();
      });
      suite({
        store: () => opened[0] as KyselyStore,
        openAnother: async () => {
          const another = await open();
          opened.push(another);
          return another;
        },
      });
    });
  }
}
