import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One revision as the ledger remembers it: its template hash names it across `undo`s. */
export interface LedgerEntry {
  revision: number;
  /** Template hash (a revision number changes when `undo` re-applies a template; the hash does not). */
  hash: string;
  /** The release that made it so. */
  release: string;
  /** ms since the epoch. */
  at: number;
}

/**
 * What the crew knows of one Rollout's versions across releases: the last version a release
 * shipped (MONITOR passed) or a rollback restored, and the versions it rolled back from. A DEPLOY
 * checkpoint never names a rolled-back version as the one to return to, even when a failed
 * rollback left it stable.
 */
export interface RevisionLedger {
  knownGood: LedgerEntry | null;
  rolledBack: LedgerEntry[];
}

const EMPTY: RevisionLedger = { knownGood: null, rolledBack: [] };
/** Rolled-back versions remembered per Rollout (oldest forgotten first). */
const MAX_ROLLED_BACK = 50;

// `_` cannot start a release name (a DNS-1123 label), so the directory never meets a release's.
const file = (workDir: string, rollout: string) => join(workDir, '_rollouts', `${rollout}.json`);

/** The Rollout's ledger under the crew's work directory (`$CUTOVER_HOME/releases`); empty when none. */
export function loadLedger(workDir: string, rollout: string): RevisionLedger {
  try {
    return JSON.parse(readFileSync(file(workDir, rollout), 'utf8')) as RevisionLedger;
  } catch {
    return EMPTY;
  }
}

function save(workDir: string, rollout: string, ledger: RevisionLedger): void {
  const path = file(workDir, rollout);
  mkdirSync(join(workDir, '_rollouts'), { recursive: true });
  writeFileSync(`${path}.tmp`, JSON.stringify(ledger, null, 2));
  renameSync(`${path}.tmp`, path);
}

/** Records a version as good (shipped, or restored by a rollback); it is no longer a rolled-back one. */
export function recordKnownGood(workDir: string, rollout: string, entry: LedgerEntry): void {
  const ledger = loadLedger(workDir, rollout);
  save(workDir, rollout, {
    knownGood: entry,
    rolledBack: ledger.rolledBack.filter((r) => r.hash !== entry.hash),
  });
}

/** Records a version the RollbackCoordinator rolls back from. */
export function recordRolledBack(workDir: string, rollout: string, entry: LedgerEntry): void {
  const ledger = loadLedger(workDir, rollout);
  if (ledger.knownGood?.hash === entry.hash) return; // rolled back to a good version's twin: nothing learned
  save(workDir, rollout, {
    knownGood: ledger.knownGood,
    rolledBack: [...ledger.rolledBack.filter((r) => r.hash !== entry.hash), entry].slice(-MAX_ROLLED_BACK),
  });
}

/**
 * The revision a DEPLOY checkpoint records as the one to return to: the stable revision, unless
 * its template is one the crew rolled back from (a failed rollback left it serving); then the
 * ledger's known-good revision, if that revision still exists. Pure.
 */
export function rollbackTarget(
  ledger: RevisionLedger,
  stableRevision: number | null,
  revisions: readonly { number: number; hash: string }[],
): number | null {
  if (stableRevision === null) return null;
  const stable = revisions.find((r) => r.number === stableRevision);
  if (stable === undefined || !ledger.rolledBack.some((r) => r.hash === stable.hash)) return stableRevision;
  const good = ledger.knownGood;
  if (good === null) return stableRevision;
  // The newest revision with the known-good template (an undo may have re-numbered it).
  const match = [...revisions].reverse().find((r) => r.hash === good.hash);
  return match?.number ?? stableRevision;
}
