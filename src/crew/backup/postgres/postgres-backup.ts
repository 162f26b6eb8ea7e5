import { randomBytes } from 'node:crypto';
import { BackupError, BackupVerifyError, RestoreError } from '../../errors.js';
import type { BackupDriver, PostgresBackupTarget, ScratchCheck, TableCounts } from '../backup.js';
import { runCommand } from '../run-command.js';

/** A parsed connection URL: the password goes to the environment, never to a command line. */
interface Connection {
  /** The URL without its password: what commands get and what errors show. */
  url: string;
  /** Name of the database the URL points at. */
  database: string;
  /** `PGPASSWORD` when the URL had a password. */
  env: Record<string, string>;
}

/**
 * PostgreSQL backups with the server's own tools, run without a shell: `pg_dump --format=custom`
 * to take, `pg_restore` into a scratch database to verify, `pg_restore --clean --if-exists` to
 * restore. Needs `pg_dump`, `pg_restore` and `psql` on PATH, of a version not older than the server.
 */
export const postgresBackupDriver: BackupDriver<PostgresBackupTarget> = {
  kind: 'postgres',
  extension: '.dump',

  describe(target) {
    return redact(target.url);
  },

  baseName(target) {
    try {
      return parseConnection(target.url).database.replace(/[^A-Za-z0-9_-]/g, '_') || 'postgres';
    } catch {
      return 'postgres';
    }
  },

  async dump(target, file, options) {
    const conn = connectionOr(target.url, (reason) => new BackupError(redact(target.url), reason));
    const result = await runCommand(
      'pg_dump',
      ['--no-password', '--format=custom', `--file=${file}`, `--dbname=${conn.url}`],
      { timeoutMs: options.timeoutMs, env: conn.env },
    );
    if (!result.ok) throw new BackupError(conn.url, result.stderr);
  },

  async check(file, server, options): Promise<ScratchCheck> {
    const conn = connectionOr(server.url, (reason) => new BackupVerifyError(redact(server.url), reason));
    const scratch = `cutover_verify_${randomBytes(6).toString('hex')}`;
    const scratchUrl = withDatabase(conn.url, scratch);
    const run = { timeoutMs: options.timeoutMs, env: conn.env };
    // template0: a restore must not meet objects someone added to template1.
    const created = await psql(conn.url, `CREATE DATABASE "${scratch}" TEMPLATE template0`, run);
    if (!created.ok) throw new BackupVerifyError(conn.url, `psql: ${created.stderr}`);
    let outcome: ScratchCheck | undefined;
    let failure: unknown;
    try {
      // No owners/grants: the scratch copy only has to prove the archive restores and holds the data.
      const restored = await runCommand(
        'pg_restore',
        ['--no-password', '--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${scratchUrl}`, file],
        run,
      );
      if (!restored.ok) {
        outcome = { ok: false, tables: 0, rows: 0, detail: restored.stderr };
      } else {
        const counts = await countTables(scratchUrl, null, run);
        if ('error' in counts) failure = new BackupVerifyError(conn.url, `psql: ${counts.error}`);
        else outcome = { ok: true, ...counts, detail: `restored into scratch database ${scratch}` };
      }
    } finally {
      const dropped = await psql(conn.url, `DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`, run);
      if (!dropped.ok && failure === undefined) {
        failure = new BackupVerifyError(
          conn.url,
          `cannot drop scratch database ${scratch}: ${dropped.stderr}`,
        );
      }
    }
    if (failure !== undefined || outcome === undefined) throw failure;
    return outcome;
  },

  async load(file, target, options): Promise<TableCounts> {
    const conn = connectionOr(target.url, (reason) => new RestoreError(redact(target.url), reason));
    const run = { timeoutMs: options.timeoutMs, env: conn.env };
    const listed = await runCommand('pg_restore', ['--list', file], run);
    if (!listed.ok) throw new RestoreError(conn.url, listed.stderr);
    // One transaction: a restore that fails halfway leaves the database as it was.
    const restored = await runCommand(
      'pg_restore',
      [
        '--no-password',
        '--clean',
        '--if-exists',
        '--single-transaction',
        '--exit-on-error',
        `--dbname=${conn.url}`,
        file,
      ],
      run,
    );
    if (!restored.ok) throw new RestoreError(conn.url, restored.stderr);
    const counts = await countTables(conn.url, tablesInArchive(listed.stdout), run);
    if ('error' in counts)
      throw new RestoreError(conn.url, `restored, but cannot count tables: ${counts.error}`);
    return counts;
  },
};

/** The URL without its password, for results and messages. */
function redact(raw: string): string {
  try {
    return parseConnection(raw).url;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

function parseConnection(raw: string): Connection {
  const url = new URL(raw);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new TypeError(`expected a postgres:// URL, got ${url.protocol}//`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new TypeError('the URL names no database (expected postgres://user@host:port/dbname)');
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), database, env: password ? { PGPASSWORD: password } : {} };
}

function connectionOr(raw: string, fail: (reason: string) => Error): Connection {
  try {
    return parseConnection(raw);
  } catch (error) {
    throw fail(`invalid postgres URL: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function withDatabase(url: string, database: string): string {
  const copy = new URL(url);
  copy.pathname = `/${encodeURIComponent(database)}`;
  return copy.toString();
}

function psql(url: string, statement: string, run: { timeoutMs: number; env: Record<string, string> }) {
  return runCommand(
    'psql',
    [
      '--no-password',
      '--no-psqlrc',
      '--quiet',
      '--tuples-only',
      '--no-align',
      '--set=ON_ERROR_STOP=1',
      `--dbname=${url}`,
      '--command',
      statement,
    ],
    run,
  );
}

/** Schema-qualified tables of a `pg_restore --list` table of contents. */
function tablesInArchive(toc: string): [schema: string, name: string][] {
  const tables: [string, string][] = [];
  for (const line of toc.split('\n')) {
    // e.g. `215; 1259 16386 TABLE public items root` (the owner is the last word; TABLE DATA lines are data)
    const match = /^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (.+) (\S+)$/.exec(line.trim());
    if (match) tables.push([match[1]!, match[2]!]);
  }
  return tables;
}

/**
 * Ordinary tables (relkind `r`: partitions count, their partitioned parents do not) outside the
 * system schemas, restricted to `only` when given, and the sum of their rows.
 */
async function countTables(
  url: string,
  only: [string, string][] | null,
  run: { timeoutMs: number; env: Record<string, string> },
): Promise<TableCounts | { error: string }> {
  if (only && only.length === 0) return { tables: 0, rows: 0 };
  const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const filter = only
    ? `AND (n.nspname, c.relname) IN (VALUES ${only.map(([s, t]) => `(${literal(s)}, ${literal(t)})`).join(', ')})`
    : '';
  const statement = `SELECT count(*), coalesce(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint), 0)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ${filter}`;
  const result = await psql(url, statement, run);
  if (!result.ok) return { error: result.stderr };
  const [tables, rows] = result.stdout.trim().split('|').map(Number);
  if (tables === undefined || rows === undefined || Number.isNaN(tables) || Number.isNaN(rows)) {
    return { error: `unexpected psql output: ${result.stdout.trim()}` };
  }
  return { tables, rows };
}
