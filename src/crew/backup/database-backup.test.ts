import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../clock/index.js';
import { BackupError, RestoreError } from '../errors.js';
import type { BackupTarget, DatabaseBackup } from './index.js';
import { createBackup, restoreBackup, verifyBackup } from './index.js';
import { runCommand } from './run-command.js';

/** A database as the service sees it: `exec`/`rows` go through the connection the service keeps. */
interface Fixture {
  target: BackupTarget;
  /** A target the backup must not be restorable from: missing database. */
  missing: BackupTarget;
  exec(sql: string): Promise<void>;
  /** Result rows, columns joined with `|`. */
  rows(sql: string): Promise<string[]>;
  close(): Promise<void>;
}

const PG_ADMIN = 'postgres://root@127.0.0.1:5432/test';
const PG_TIMEOUT_MS = 30_000;
const pgDatabases: string[] = [];

async function psql(url: string, sql: string): Promise<string[]> {
  const result = await runCommand(
    'psql',
    ['--no-psqlrc', '--no-password', '-At', '-v', 'ON_ERROR_STOP=1', `--dbname=${url}`, '-c', sql],
    { timeoutMs: PG_TIMEOUT_MS },
  );
  if (!result.ok) throw new Error(`psql ${sql}: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** One contract suite per backend, as Kysely's DIALECTS loop. */
const BACKENDS: { name: string; open(): Promise<Fixture> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'cutover-backup-sqlite-'));
      const path = join(dir, 'app.db');
      // The service's connection: WAL mode, open for the whole test.
      const live = new BetterSqlite3(path);
      live.pragma('journal_mode = WAL');
      return {
        target: { kind: 'sqlite', path },
        missing: { kind: 'sqlite', path: join(dir, 'missing.db') },
        exec: async (sql) => {
          live.exec(sql);
        },
        rows: async (sql) =>
          (live.prepare(sql).raw().all() as unknown[][]).map((row) => row.map(String).join('|')),
        close: async () => {
          live.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const name = `cutover_backup_test_${randomBytes(4).toString('hex')}`;
      await psql(PG_ADMIN, `CREATE DATABASE ${name}`);
      pgDatabases.push(name);
      // trust auth ignores the password; it is here to check it never reaches a result.
      const url = `postgres://root:s3cret@127.0.0.1:5432/${name}`;
      return {
        target: { kind: 'postgres', url },
        missing: { kind: 'postgres', url: `postgres://root@127.0.0.1:5432/${name}_missing` },
        exec: async (sql) => {
          await psql(url, sql);
        },
        rows: (sql) => psql(url, sql),
        close: async () => {
          await psql(PG_ADMIN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  },
];

const SEED = `
  CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
  INSERT INTO items (id, name) VALUES (1, 'alpha'), (2, 'beta'), (3, 'gamma');
  CREATE TABLE orders (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items (id), qty INTEGER NOT NULL);
  INSERT INTO orders (id, item_id, qty) VALUES (1, 1, 5), (2, 3, 7);
`;
/** A migration that breaks the schema the running release needs. */
const BREAKING_MIGRATION = `
  DROP TABLE orders;
  ALTER TABLE items RENAME COLUMN name TO title;
  DELETE FROM items WHERE id = 2;
`;

afterAll(async () => {
  for (const name of pgDatabases) await psql(PG_ADMIN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

for (const backend of BACKENDS) {
  describe(`DatabaseBackup (${backend.name})`, () => {
    let db: Fixture;
    let dir: string;
    beforeEach(async () => {
      db = await backend.open();
      dir = mkdtempSync(join(tmpdir(), 'cutover-backups-'));
      await db.exec(SEED);
    });
    afterEach(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('should back up while the service holds the database open and verify it in a scratch database', async () => {
      const clock = new SimulatedClock(1_700_000_000_000);
      const backup = await createBackup(db.target, join(dir, 'nested'), { clock, timeoutMs: PG_TIMEOUT_MS });

      expect(backup.kind).toBe(backend.name);
      expect(backup.createdAt).toBe(1_700_000_000_000);
      expect(backup.file.startsWith(join(dir, 'nested'))).toBe(true);
      expect(backup.bytes).toBe(statSync(backup.file).size);
      expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(backup)).not.toContain('s3cret');
      expect(backup.verification).toMatchObject({
        verified: true,
        checkedAt: 1_700_000_000_000,
        tables: 2,
        rows: 5,
      });
      // The service's connection still works and saw nothing change.
      expect(await db.rows('SELECT count(*) FROM items')).toEqual(['3']);
      await db.exec("INSERT INTO items (id, name) VALUES (4, 'delta')");

      const again = await verifyBackup(backup, { timeoutMs: PG_TIMEOUT_MS });
      expect(again).toMatchObject({ verified: true, tables: 2, rows: 5 });
      if (backend.name === 'postgres') {
        const left = await psql(
          PG_ADMIN,
          "SELECT datname FROM pg_database WHERE datname LIKE 'cutover_verify_%'",
        );
        expect(left).toEqual([]);
      }
    });

    it('should restore the original schema and rows after a breaking migration, seen by the live connection', async () => {
      const backup = await createBackup(db.target, dir, { timeoutMs: PG_TIMEOUT_MS });
      await db.exec(BREAKING_MIGRATION);
      await expect(db.rows('SELECT name FROM items ORDER BY id')).rejects.toThrow();

      const restored = await restoreBackup(backup, db.target, { timeoutMs: PG_TIMEOUT_MS });

      expect(restored).toMatchObject({ tables: 2, rows: 5 });
      expect(await db.rows('SELECT id, name FROM items ORDER BY id')).toEqual([
        '1|alpha',
        '2|beta',
        '3|gamma',
      ]);
      expect(await db.rows('SELECT item_id, qty FROM orders ORDER BY id')).toEqual(['1|5', '3|7']);
      // The live connection can write again under the restored schema.
      await db.exec('INSERT INTO orders (id, item_id, qty) VALUES (3, 2, 1)');
      expect(await db.rows('SELECT count(*) FROM orders')).toEqual(['3']);
    });

    it('should not verify a tampered backup and refuse to restore it', async () => {
      const backup = await createBackup(db.target, dir, { timeoutMs: PG_TIMEOUT_MS });
      const bytes = readFileSync(backup.file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at]! + 1) % 256;
      writeFileSync(backup.file, bytes);
      await db.exec(BREAKING_MIGRATION);

      const verification = await verifyBackup(backup, { timeoutMs: PG_TIMEOUT_MS });
      expect(verification.verified).toBe(false);
      expect(verification.detail).toMatch(/sha256 mismatch/);
      const refused = await restoreBackup(backup, db.target).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RestoreError);
      expect(refused).toMatchObject({ code: 'CUTOVER_E_RESTORE_FAILED' });
      expect((refused as Error).message).toMatch(/refusing to restore/);
      // The database is left as the migration left it.
      expect(await db.rows('SELECT title FROM items ORDER BY id')).toEqual(['alpha', 'gamma']);
    });

    it('should report a backup that matches its checksum but does not restore as not verified', async () => {
      const backup = await createBackup(db.target, dir, { verify: false, timeoutMs: PG_TIMEOUT_MS });
      expect(backup.verification).toMatchObject({ verified: false, checkedAt: null });
      writeFileSync(backup.file, 'this is not a database backup\n'.repeat(100));
      const { createHash } = await import('node:crypto');
      const forged: DatabaseBackup = {
        ...backup,
        sha256: createHash('sha256').update(readFileSync(backup.file)).digest('hex'),
      };

      const verification = await verifyBackup(forged, { timeoutMs: PG_TIMEOUT_MS });

      expect(verification.verified).toBe(false);
      expect(verification.checkedAt).not.toBeNull();
      expect(verification.detail.length).toBeGreaterThan(0);
    });

    it('should throw BackupError naming the target and the cause when the database does not exist', async () => {
      const failed = await createBackup(db.missing, dir, { timeoutMs: PG_TIMEOUT_MS }).catch(
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(BackupError);
      expect(failed).toMatchObject({ code: 'CUTOVER_E_BACKUP_FAILED' });
      const error = failed as BackupError;
      expect(error.message).toContain(error.target);
      expect(error.target).toContain('missing');
      expect(error.stderr.length).toBeGreaterThan(0);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
}

describe('restoreBackup', () => {
  it('should refuse a backup of another kind of database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cutover-backup-kind-'));
    try {
      const path = join(dir, 'a.db');
      new BetterSqlite3(path).exec('CREATE TABLE t (x)').close();
      const backup = await createBackup({ kind: 'sqlite', path }, dir, { verify: false });
      const refused = await restoreBackup(backup, { kind: 'postgres', url: PG_ADMIN }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(RestoreError);
      expect((refused as Error).message).toMatch(/backup is of a sqlite database, the target is postgres/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('restoreBackup (postgres)', () => {
  it('should change nothing when the restore fails halfway (regression: a renamed table keeps its constraints)', async () => {
    const name = `cutover_backup_test_${randomBytes(4).toString('hex')}`;
    await psql(PG_ADMIN, `CREATE DATABASE ${name}`);
    pgDatabases.push(name);
    const url = `postgres://root@127.0.0.1:5432/${name}`;
    const dir = mkdtempSync(join(tmpdir(), 'cutover-backup-pg-'));
    try {
      await psql(url, SEED);
      const backup = await createBackup({ kind: 'postgres', url }, dir, {
        verify: false,
        timeoutMs: PG_TIMEOUT_MS,
      });
      await psql(url, 'ALTER TABLE orders RENAME TO orders_v2; DELETE FROM items WHERE id = 2');

      const failed = await restoreBackup(
        backup,
        { kind: 'postgres', url },
        { timeoutMs: PG_TIMEOUT_MS },
      ).catch((e: unknown) => e);

      expect(failed).toBeInstanceOf(RestoreError);
      expect((failed as RestoreError).stderr).toMatch(/pg_restore: error/);
      expect((failed as RestoreError).message).toContain(url);
      // One transaction: the deleted row is still missing and the renamed table still there.
      expect(await psql(url, 'SELECT id FROM items ORDER BY id')).toEqual(['1', '3']);
      expect(await psql(url, 'SELECT count(*) FROM orders_v2')).toEqual(['2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
