import { describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  auditHash,
  canonicalJson,
  GENESIS_HASH,
  summarizeBody,
  verifyAuditChain,
} from './audit-chain.js';

function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let id = 1; id <= n; id++) {
    const unsealed = {
      id,
      time: 1000 + id,
      actor: 'user:alice',
      role: 'deployer',
      method: 'POST',
      path: `/api/v1/rollouts/web/promote?n=${id}`,
      summary: '{"full":false}',
      status: 200,
      prevHash: entries[id - 2]?.hash ?? GENESIS_HASH,
    };
    entries.push({ ...unsealed, hash: auditHash(unsealed) });
  }
  return entries;
}

describe('verifyAuditChain', () => {
  it('should accept an intact chain', () => {
    expect(verifyAuditChain(chain(4))).toEqual({ ok: true, entries: 4 });
  });

  it('should name an edited entry', () => {
    const entries = chain(4);
    entries[1] = { ...entries[1]!, status: 403 };
    expect(verifyAuditChain(entries).broken).toEqual({
      id: 2,
      reason: 'entry 2: content does not match its hash (edited)',
    });
  });

  it('should name an entry re-hashed after an edit by its successor', () => {
    const entries = chain(4);
    const edited = { ...entries[1]!, actor: 'user:mallory' };
    entries[1] = { ...edited, hash: auditHash(edited) };
    expect(verifyAuditChain(entries).broken?.id).toBe(3);
  });

  it('should name the entry after a deleted one', () => {
    const entries = chain(4);
    entries.splice(1, 1);
    expect(verifyAuditChain(entries).broken).toEqual({
      id: 3,
      reason: 'entry 3 follows entry 1: 1 entry before it deleted',
    });
  });

  it('should name the first entry when the first ones were deleted', () => {
    expect(verifyAuditChain(chain(3).slice(1)).broken?.id).toBe(2);
  });
});

describe('canonicalJson', () => {
  it('should sort keys at every level and drop undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('summarizeBody', () => {
  it('should keep a short body and digest a long one', () => {
    expect(summarizeBody(undefined)).toBe('');
    expect(summarizeBody({ full: true })).toBe('{"full":true}');
    expect(summarizeBody({ text: 'x'.repeat(300) })).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
