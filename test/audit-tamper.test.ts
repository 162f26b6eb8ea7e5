import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditHash } from '../src/auth/index.js';
import { CutoverEnv } from './support/cutover-env.js';

type Row = {
  id: number;
  time: number;
  actor: string;
  role: string;
  method: string;
  path: string;
  summary: string;
  status: number;
  prev_hash: string;
  hash: string;
};

/**
 * Issue 9 (6): the audit chain could be rewritten. Someone with write access to the database drops
 * the append-only triggers and edits it while the server runs; `cutover audit verify` must name what
 * was done. Both cases passed `audit verify` before the chain was keyed and anchored.
 */
describe('cutover audit verify against a tampered database', () => {
  const env = CutoverEnv.create('cutover-audit-');

  /** A connection of the attacker's: the append-only triggers dropped. */
  function tamper(change: (db: BetterSqlite3.Database) => void): void {
    const db = new BetterSqlite3(env.path('cutover.db'));
    db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
    change(db);
    db.close();
  }
  const rows = (db: BetterSqlite3.Database) => db.prepare('SELECT * FROM audit ORDER BY id').all() as Row[];
  const insert = (db: BetterSqlite3.Database, row: Row) =>
    db
      .prepare(
        'INSERT INTO audit (id, time, actor, role, method, path, summary, status, prev_hash, hash) VALUES (@id, @time, @actor, @role, @method, @path, @summary, @status, @prev_hash, @hash)',
      )
      .run(row);

  beforeAll(async () => {
    for (const user of ['ann', 'bob', 'cid', 'dee']) await env.token(user, 'viewer');
    const intact = await env.cli(['audit', 'verify']);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/audit log intact: 4 entries verified/);
  });

  afterAll(() => env.cleanup());

  it('should detect the newest entries deleted (and pass again once they are restored)', async () => {
    let saved: Row[] = [];
    tamper((db) => {
      saved = rows(db).slice(-2);
      db.exec('DELETE FROM audit WHERE id >= 3');
    });
    const result = await env.cli(['audit', 'verify']);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain('audit log broken at entry 3: the head checkpoint names entry 4');
    tamper((db) => {
      for (const row of saved) insert(db, row);
    });
    expect((await env.cli(['audit', 'verify'])).code).toBe(0);
  });

  it('should detect an entry rewritten with the chain after it recomputed', async () => {
    tamper((db) => {
      const all = rows(db);
      let prevHash = all[0]!.hash;
      for (const row of all.slice(1)) {
        const actor = row.id === 2 ? 'user:mallory' : row.actor;
        const { prev_hash: _p, hash: _h, ...fields } = row;
        const hash = auditHash({ ...fields, actor, prevHash });
        db.prepare('UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?').run(
          actor,
          prevHash,
          hash,
          row.id,
        );
        prevHash = hash;
      }
    });
    const result = await env.cli(['audit', 'verify']);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain('audit log broken at entry 2: entry 2: HMAC does not match');
  });
});
