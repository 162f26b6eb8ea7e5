import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseBackup } from './backup/index.js';

/**
 * What DEPLOY records before it changes anything: each production Rollout's revisions and
 * configuration, the database backup, and the pre-deploy latency baseline. The RollbackCoordinator
 * rolls back to it.
 */
export interface DeployCheckpoint {
  /** ms since the epoch. */
  at: number;
  rollouts: { name: string; stableRevision: number | null; revisions: number[]; spec: unknown }[];
  backup: DatabaseBackup | null;
  /** p99 of the stable revisions before DEPLOY, ms; null without traffic. */
  baselineP99Ms: number | null;
}

const FILE = 'checkpoint.json';

/** Writes the checkpoint to `<workDir>/checkpoint.json` (atomically enough: written once per DEPLOY). */
export function saveCheckpoint(workDir: string, checkpoint: DeployCheckpoint): void {
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, FILE), JSON.stringify(checkpoint, null, 2));
}

/** The checkpoint of the release's DEPLOY, or null when DEPLOY never took one. */
export function loadCheckpoint(workDir: string): DeployCheckpoint | null {
  try {
    return JSON.parse(readFileSync(join(workDir, FILE), 'utf8')) as DeployCheckpoint;
  } catch {
    return null;
  }
}
