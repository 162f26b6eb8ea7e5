import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { FileData } from '../../spec/index.js';

/**
 * Writes a replica set's `files` (issue 14: ConfigMaps and Secrets as files, as Kubernetes'
 * configMap and secret volumes) into `dir` (created 0700), each file atomically (a temporary file
 * renamed over it: a running replica reads the old content or the new, never half) with its mode
 * (a Secret's 0600, a ConfigMap's 0644). Files of `dir` not listed are removed after, so a set whose
 * template changed keeps no file of the old one, and a replica adopted by a new router process never
 * misses a file it reads. Idempotent.
 * @throws Error when a path would leave `dir` (the data plane checked the paths already; this is
 *   the last line), or on an I/O error.
 */
export function writeReplicaFiles(dir: string, files: readonly FileData[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const listed = new Set<string>();
  for (const file of files) {
    const target = join(dir, file.path);
    const inside = relative(dir, target);
    if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep))
      throw new Error(`files path ${JSON.stringify(file.path)} leaves the replica set's files directory`);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, file.data, { mode: file.mode & 0o600 });
    // The data plane runs with umask 077: its mode is set explicitly (0644 for a ConfigMap's file).
    chmodSync(tmp, file.mode);
    renameSync(tmp, target);
    listed.add(target);
  }
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isDirectory() && !listed.has(path)) rmSync(path, { force: true });
  }
}

/** Removes a replica set's files directory (its last replica stopped). Idempotent. */
export function removeReplicaFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
