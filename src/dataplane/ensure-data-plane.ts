import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataPlaneClient } from './client.js';
import { DATAPLANE_INFO_FILE } from './data-plane.js';
import { DataPlaneStartError } from './errors.js';
import type { DataPlaneInfo } from './protocol.js';

/** Options of {@link ensureDataPlane}. */
export interface EnsureDataPlaneOptions {
  /** Data directory (`$CUTOVER_HOME`). */
  home: string;
  /** Admin port for a data plane started now. @default $CUTOVER_ADMIN_PORT, else 7401 */
  adminPort?: number;
  /** Bound on the wait for a started data plane to answer, ms. @default 10000 */
  timeoutMs?: number;
}

/** Built entry point; the same relative path works from src/dataplane and dist/dataplane. */
const MAIN = fileURLToPath(new URL('../../dist/dataplane/main.js', import.meta.url));

/**
 * The content of `<home>/dataplane.json`, or null when it is missing or unreadable. Does not check
 * that the process is alive.
 */
export function readDataPlaneInfo(home: string): DataPlaneInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(home, DATAPLANE_INFO_FILE), 'utf8')) as DataPlaneInfo;
    return typeof info.pid === 'number' && typeof info.adminPort === 'number' ? info : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function healthy(info: DataPlaneInfo): Promise<boolean> {
  if (!alive(info.pid)) return false;
  const client = new DataPlaneClient({ adminPort: info.adminPort });
  try {
    return await client.healthy();
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Take `<home>/dataplane.lock` (exclusive create); a lock older than 15 s is stale. */
function tryLock(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch {
    try {
      if (Date.now() - statSync(path).mtimeMs > 15_000) rmSync(path, { force: true });
    } catch {
      // Removed meanwhile.
    }
    return false;
  }
}

/**
 * Return the running data plane of `home`, starting one if needed: reads `<home>/dataplane.json`,
 * checks that the pid is alive and `/healthz` answers; otherwise spawns
 * `node dist/dataplane/main.js --home <home>` detached (own session, stdio to
 * `<home>/logs/dataplane.log`, unref'd, so it outlives the caller) and waits for it. Concurrent
 * callers on one machine start at most one (lock file).
 *
 * @throws DataPlaneStartError when no healthy data plane is there after `timeoutMs`.
 */
export async function ensureDataPlane(options: EnsureDataPlaneOptions): Promise<DataPlaneInfo> {
  const home = resolve(options.home);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logPath = join(home, 'logs', 'dataplane.log');
  const existing = readDataPlaneInfo(home);
  if (existing !== null && (await healthy(existing))) return existing;
  mkdirSync(join(home, 'logs'), { recursive: true });
  const lockPath = join(home, 'dataplane.lock');
  const deadline = Date.now() + timeoutMs;
  let spawnedPid: number | undefined;
  let locked = false;
  try {
    while (Date.now() < deadline) {
      const info = readDataPlaneInfo(home);
      if (info !== null && (spawnedPid === undefined || info.pid === spawnedPid) && (await healthy(info)))
        return info;
      if (spawnedPid === undefined && !locked && tryLock(lockPath)) {
        locked = true;
        // Re-check under the lock: another caller may have finished starting one.
        const again = readDataPlaneInfo(home);
        if (again !== null && (await healthy(again))) return again;
        const out = openSync(logPath, 'a');
        const args = [MAIN, '--home', home];
        if (options.adminPort !== undefined) args.push('--admin-port', String(options.adminPort));
        const child = spawn(process.execPath, args, {
          detached: true,
          stdio: ['ignore', out, out],
          env: process.env,
        });
        closeSync(out);
        child.unref();
        spawnedPid = child.pid;
        if (spawnedPid === undefined) throw new DataPlaneStartError(home, logPath, 'spawn failed');
      }
      if (spawnedPid !== undefined && !alive(spawnedPid)) {
        throw new DataPlaneStartError(home, logPath, `process ${spawnedPid} exited`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (locked) rmSync(lockPath, { force: true });
  }
  throw new DataPlaneStartError(home, logPath, `no healthy data plane after ${timeoutMs} ms`);
}
