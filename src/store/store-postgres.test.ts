import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { auditHash, verifyAuditChain } from '../auth/index.js';
import { describeStore } from './store-backends.test-helper.js';

describeStore(
  'Store on one PostgreSQL database',
  (t) => {
    it('should chain 2×50 audit entries appended at once by two replicas into one valid chain', async () => {
      const other = await t.openAnother();
      const entry = (actor: string, i: number) => ({
        time: i,
        actor,
        role: 'admin',
        method: 'POST',
        path: `/api/v1/x/${i}`,
        summary: '',
        status: 200,
      });
      const appends = Array.from({ length: 50 }, (_, i) => [
        t.store().appendAudit(entry('user:a', i), auditHash),
        other.appendAudit(entry('user:b', i), auditHash),
      ]).flat();
      const appended = await Promise.all(appends);
      expect(appended.map((e) => e.id).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      const audit = await other.listAudit();
      expect(audit.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(verifyAuditChain(audit).ok).toBe(true);
      expect(audit.filter((e) => e.actor === 'user:b')).toHaveLength(50);
    });

    it('should refuse to truncate the event log or the audit log', async () => {
      await t
        .store()
        .appendEvents([{ time: 1, rollout: 'web', type: 'Normal', reason: 'X', message: 'm', actor: 'u' }]);
      await expect(sql`TRUNCATE events`.execute(t.store().kysely)).rejects.toThrow(/append-only/);
      await expect(sql`TRUNCATE audit`.execute(t.store().kysely)).rejects.toThrow(/append-only/);
      expect(await t.store().listEvents()).toHaveLength(1);
    });
  },
  ['postgres'],
);
