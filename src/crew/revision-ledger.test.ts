import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployedRevisionsOf } from '../release/release-rollouts.js';
import { loadLedger, recordKnownGood, recordRolledBack, rollbackTarget } from './revision-ledger.js';

const dir = mkdtempSync(join(tmpdir(), 'cutover-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const revisions = [
  { number: 1, hash: 'good' },
  { number: 2, hash: 'slow' },
  { number: 3, hash: 'good' }, // an undo re-applied the good template
  { number: 4, hash: 'slow' }, // a failed rollback left the slow version stable
];

describe('revision ledger', () => {
  it('should return the stable revision when nothing was rolled back from it', () => {
    expect(rollbackTarget(loadLedger(dir, 'web'), 4, revisions)).toBe(4);
    expect(rollbackTarget(loadLedger(dir, 'web'), null, revisions)).toBeNull();
  });

  it('should name the newest known-good revision, never a version the crew rolled back from', () => {
    recordKnownGood(dir, 'web', { revision: 1, hash: 'good', release: 'v1', at: 1 });
    recordRolledBack(dir, 'web', { revision: 2, hash: 'slow', release: 'v2', at: 2 });
    expect(rollbackTarget(loadLedger(dir, 'web'), 4, revisions)).toBe(3);
    // Another Rollout's ledger is its own.
    expect(rollbackTarget(loadLedger(dir, 'api'), 4, revisions)).toBe(4);
  });

  it('should trust a rolled-back version again once a release ships it', () => {
    recordKnownGood(dir, 'web', { revision: 4, hash: 'slow', release: 'v5', at: 5 });
    expect(loadLedger(dir, 'web').rolledBack).toEqual([]);
    expect(rollbackTarget(loadLedger(dir, 'web'), 4, revisions)).toBe(4);
  });

  it("should read the revisions a release deployed from the Orchestrator's DEPLOY report", () => {
    const report = { deploy: { rollouts: [{ name: 'web-production', revision: 7, phase: 'Healthy' }] } };
    expect(
      deployedRevisionsOf({
        stageResults: [
          { stage: 'DEPLOY', result: 'Error' },
          { stage: 'DEPLOY', result: 'Success', report },
        ],
      }),
    ).toEqual([{ name: 'web-production', revision: 7 }]);
    expect(deployedRevisionsOf({ stageResults: [{ stage: 'DEPLOY', result: 'Error', report }] })).toBeNull();
  });
});
