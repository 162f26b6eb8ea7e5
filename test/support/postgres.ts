import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL server the tests use: `$CUTOVER_TEST_POSTGRES_URL`, else the machine's own at
 * 127.0.0.1:5432 (trust auth; `scripts/test-deps.sh` starts it when it is installed but stopped).
 */
const POSTGRES_URL = process.env.CUTOVER_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A database of its own for one test: its name, its URL, and `drop()` to remove it (connections first). */
export interface FreshDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database `cutover_test_<random>` on {@link POSTGRES_URL}'s server: empty, or a copy of
 * `template` (a database nobody is connected to; copying a migrated one is much faster than migrating).
 */
export async function freshDatabase(template?: string): Promise<FreshDatabase> {
  const name = `cutover_test_${randomBytes(6).toString('hex')}`;
  await admin((client) =>
    client.query(`create database ${name}${template === undefined ? '' : ` template ${template}`}`),
  );
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      admin(async (client) => {
        await client.query(`drop database if exists ${name} with (force)`);
      }),
  };
}
