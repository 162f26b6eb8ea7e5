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
const DEPLOYED = 'deployed.json';

/** The revisions DEPLOY applied: what the RollbackCoordinator's watch judges (never the one before). */
export interface DeployedRevisions {
  /** When DEPLOY applied them, ms since the epoch. */
  at: number;
  rollouts: { name: string; revision: number }[];
}

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

/** Records the revisions DEPLOY applied to `<workDir>/deployed.json`. */
export function saveDeployedRevisions(workDir: string, deployed: DeployedRevisions): void {
  mkdirSync(workDir, { recursive: true });
  writeFileSync(join(workDir, DEPLOYED), JSON.stringify(deployed, null, 2));
}

/** The revisions DEPLOY applied, or null before it applied any. */
export function loadDeployedRevisions(workDir: string): DeployedRevisions | null {
  try {
    return JSON.parse(readFileSync(join(workDir, DEPLOYED), 'utf8')) as DeployedRevisions;
  } catch {
    return null;
  }
}
