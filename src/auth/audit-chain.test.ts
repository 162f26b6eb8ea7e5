import { describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  auditHash,
  auditHmac,
  canonicalJson,
  GENESIS_HASH,
  summarizeBody,
  verifyAuditChain,
} from './audit-chain.js';

const KEY = Buffer.alloc(32, 7);

/** `n` entries; those with id >= `keyedFrom` sealed with {@link KEY}'s HMAC, older ones with sha256. */
function chain(n: number, keyedFrom = Number.POSITIVE_INFINITY): AuditEntry[] {
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
    entries.push({ ...unsealed, hash: id >= keyedFrom ? auditHmac(KEY, unsealed) : auditHash(unsealed) });
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

describe('verifyAuditChain with the audit key and head checkpoint', () => {
  const anchored = (entries: AuditEntry[], keyedFrom = 1) => ({
    key: KEY,
    keyedFrom,
    head: { id: entries.at(-1)!.id, hash: entries.at(-1)!.hash },
  });

  it('should accept an intact HMAC chain that ends at its head checkpoint', () => {
    const entries = chain(4, 1);
    expect(verifyAuditChain(entries, anchored(entries))).toEqual({
      ok: true,
      entries: 4,
      keyedFrom: 1,
      head: 4,
    });
  });

  // Issue 9 (6): dropping the triggers, editing an entry and recomputing the chain passed `audit verify`.
  it('should name an entry edited and re-hashed without the key, as the unkeyed chain could not', () => {
    const entries = chain(4, 1);
    const head = anchored(entries);
    for (let i = 1; i < entries.length; i++) {
      const edited = {
        ...entries[i]!,
        prevHash: entries[i - 1]!.hash,
        ...(i === 1 ? { actor: 'user:mallory' } : {}),
      };
      entries[i] = { ...edited, hash: auditHash(edited) };
    }
    expect(verifyAuditChain(entries, head).broken).toEqual({
      id: 2,
      reason: 'entry 2: HMAC does not match (edited or re-hashed without the audit key)',
    });
  });

  // Issue 9 (6): deleting the newest entries was never detected.
  it('should name the newest entries deleted behind the head checkpoint', () => {
    const entries = chain(5, 1);
    const head = anchored(entries);
    expect(verifyAuditChain(entries.slice(0, 3), head)).toMatchObject({
      ok: false,
      broken: {
        id: 4,
        reason: 'the head checkpoint names entry 5 but the log ends at entry 3: entries 4..5 deleted',
      },
    });
  });

  it('should name a tail rewritten with other entries under the same ids', () => {
    const entries = chain(3, 1);
    const head = anchored(entries);
    const forged = { ...entries[2]!, status: 500 };
    entries[2] = { ...forged, hash: auditHmac(KEY, forged) };
    expect(verifyAuditChain(entries, head).broken?.reason).toBe(
      'entry 3 is not the entry the head checkpoint names (rewritten)',
    );
  });

  it('should report a missing head checkpoint once HMAC-sealed entries exist', () => {
    expect(verifyAuditChain(chain(2, 1), { key: KEY, keyedFrom: 1 }).ok).toBe(false);
  });

  it('should verify entries older than the key by sha256 and newer ones by HMAC (an upgraded installation)', () => {
    const entries = chain(5, 4);
    expect(verifyAuditChain(entries, anchored(entries, 4))).toMatchObject({ ok: true, keyedFrom: 4 });
    // An old entry edited and re-hashed is still caught: the first HMAC entry seals its prevHash.
    const edited = { ...entries[1]!, actor: 'user:mallory' };
    entries[1] = { ...edited, hash: auditHash(edited) };
    entries[2] = {
      ...entries[2]!,
      prevHash: entries[1].hash,
      hash: auditHash({ ...entries[2]!, prevHash: entries[1].hash }),
    };
    const tampered = { ...entries[3]!, prevHash: entries[2].hash };
    entries[3] = { ...tampered, hash: auditHash(tampered) };
    expect(verifyAuditChain(entries, { key: KEY, keyedFrom: 4 }).broken?.id).toBe(4);
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
