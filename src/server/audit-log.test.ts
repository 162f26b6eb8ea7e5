import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { auditHash } from '../auth/index.js';
import { type KyselyStore, openSqliteStore } from '../store/index.js';
import { AuditLog } from './audit-log.js';

const entry = (n: number) => ({
  time: 1000 + n,
  actor: 'user:alice',
  role: 'admin',
  method: 'POST',
  path: `/api/v1/tokens?n=${n}`,
  summary: '',
  status: 200,
});

describe('AuditLog', () => {
  let dir = '';
  let store: KyselyStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function open() {
    dir ||= mkdtempSync(join(tmpdir(), 'cutover-audit-'));
    store ??= await openSqliteStore(join(dir, 'cutover.db'));
    return AuditLog.open({
      store,
      keyFile: join(dir, 'audit.key'),
      headFile: join(dir, 'audit-head.json'),
      logger: pino({ level: 'silent' }),
    });
  }

  /** A second connection to the database, its append-only triggers dropped (as an attacker would). */
  function tamper(statements: (db: BetterSqlite3.Database) => void): void {
    const db = new BetterSqlite3(join(dir, 'cutover.db'));
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    statements(db);
    db.close();
  }

  it('should create the key and the head checkpoint as files of mode 0600 outside the database', async () => {
    const log = await open();
    await log.append(entry(1));
    const sealed = await log.append(entry(2));
    for (const file of ['audit.key', 'audit-head.json']) {
      expect((statSync(join(dir, file)).mode & 0o777).toString(8)).toBe('600');
    }
    expect(JSON.parse(readFileSync(join(dir, 'audit-head.json'), 'utf8'))).toEqual({
      id: 2,
      hash: sealed.hash,
    });
    expect(await log.verify()).toEqual({ ok: true, entries: 2, keyedFrom: 1, head: 2 });
  });

  it('should detect an entry rewritten and the chain recomputed with the triggers dropped', async () => {
    const log = await open();
    for (let n = 1; n <= 3; n++) await log.append(entry(n));
    tamper((db) => {
      const rows = db.prepare('SELECT * FROM audit ORDER BY id').all() as Record<string, unknown>[];
      let prevHash = rows[0]!['hash'] as string;
      for (const row of rows.slice(1)) {
        const e = {
          id: row['id'] as number,
          time: row['time'] as number,
          actor: row['id'] === 2 ? 'user:mallory' : (row['actor'] as string),
          role: row['role'] as string,
          method: row['method'] as string,
          path: row['path'] as string,
          summary: row['summary'] as string,
          status: row['status'] as number,
          prevHash,
        };
        prevHash = auditHash(e);
        db.prepare('UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?').run(
          e.actor,
          e.prevHash,
          prevHash,
          e.id,
        );
      }
    });
    expect((await log.verify()).broken?.id).toBe(2);
  });

  it('should detect the newest entries deleted, and keep the evidence after later appends', async () => {
    const log = await open();
    for (let n = 1; n <= 4; n++) await log.append(entry(n));
    tamper((db) => db.exec('DELETE FROM audit WHERE id >= 3'));
    expect((await log.verify()).broken?.reason).toBe(
      'the head checkpoint names entry 4 but the log ends at entry 2: entries 3..4 deleted',
    );
    // The server appends on; entries 3, 4, 5 are new ones: the checkpoint stays frozen at the old 4.
    for (let n = 5; n <= 7; n++) await log.append(entry(n));
    expect((await log.verify()).broken?.reason).toBe(
      'entry 4 is not the entry the head checkpoint names (rewritten)',
    );
  });

  it('should keep an unkeyed chain of an older installation valid and HMAC-seal the entries after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cutover-audit-'));
    store = await openSqliteStore(join(dir, 'cutover.db'));
    for (let n = 1; n <= 2; n++) await store.appendAudit(entry(n), auditHash); // before audit keys
    const log = await open();
    await log.append(entry(3));
    expect(await log.verify()).toEqual({ ok: true, entries: 3, keyedFrom: 3, head: 3 });
    expect(JSON.parse(readFileSync(join(dir, 'audit.key'), 'utf8'))).toMatchObject({ keyedFrom: 3 });
    // Reopened (a restart), the key is the same: the chain still verifies.
    expect(await (await open()).verify()).toMatchObject({ ok: true, keyedFrom: 3 });
  });
});
