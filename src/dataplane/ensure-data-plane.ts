import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { isAlive } from '../platform/local/process-alive.js';
import { DataPlaneClient } from './client.js';
import { DATAPLANE_INFO_FILE, readDataPlaneInfo } from './data-plane-info.js';
import { DataPlaneStartError, DataPlaneUnavailableError } from './errors.js';
import { privateDirectory } from './private-directory.js';
import type { DataPlaneInfo } from './protocol.js';

/** Options of {@link ensureDataPlane}. */
export interface EnsureDataPlaneOptions {
  /** Data directory (`$CUTOVER_HOME`); created 0700, or made 0700. */
  home: string;
  /** Metrics port for a data plane started now. @default $CUTOVER_METRICS_PORT, else 7401 */
  metricsPort?: number;
  /** OFREP port for a data plane started now. @default $CUTOVER_OFREP_PORT, else 7402 */
  ofrepPort?: number;
  /** Bound on the wait for a started data plane to answer, ms. @default 10000 */
  timeoutMs?: number;
}

/** Built entry point; the same relative path works from src/dataplane and dist/dataplane. */
const MAIN = fileURLToPath(new URL('../../dist/dataplane/main.js', import.meta.url));

async function healthy(info: DataPlaneInfo): Promise<boolean> {
  if (!isAlive(info.pid)) return false;
  const client = new DataPlaneClient({ socketPath: info.adminSocket });
  try {
    return await client.healthy();
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Take `<home>/dataplane.lock` (exclusive create); a lock older than 15 s is stale. */
function tryLock(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', 0o600));
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
 * A shell that raises the soft limit on open files to the hard one, then runs the data plane: each
 * proxied connection holds two descriptors, and the common soft limit (1024) would refuse
 * connections long before the router is busy. Node has no setrlimit.
 */
const RAISE_NOFILE = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

/**
 * Return the running data plane of `home`, starting one if needed: reads `<home>/dataplane.json`,
 * checks that the supervisor's pid is alive and `/healthz` answers on the admin socket; otherwise
 * spawns `node dist/dataplane/main.js --home <home>` (its supervisor) detached (own session, open
 * files raised to the hard limit, stdio to `<home>/logs/dataplane.log`, unref'd, so it outlives the
 * caller) and waits for its router process to serve. Concurrent callers on one machine start at
 * most one (lock file).
 *
 * @throws DataPlaneStartError when no healthy data plane is there after `timeoutMs`.
 */
export async function ensureDataPlane(options: EnsureDataPlaneOptions): Promise<DataPlaneInfo> {
  const home = resolve(options.home);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logPath = join(home, 'logs', 'dataplane.log');
  privateDirectory(home);
  const existing = readDataPlaneInfo(home);
  if (existing !== null && (await healthy(existing))) return existing;
  mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
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
        const out = openSync(logPath, 'a', 0o600);
        const args = ['-c', RAISE_NOFILE, process.execPath, MAIN, '--home', home];
        if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
        if (options.ofrepPort !== undefined) args.push('--ofrep-port', String(options.ofrepPort));
        const child = spawn('/bin/sh', args, {
          detached: true,
          stdio: ['ignore', out, out],
          env: process.env,
        });
        closeSync(out);
        child.unref();
        spawnedPid = child.pid;
        if (spawnedPid === undefined) throw new DataPlaneStartError(home, logPath, 'spawn failed');
      }
      if (spawnedPid !== undefined && !isAlive(spawnedPid)) {
        throw new DataPlaneStartError(home, logPath, `process ${spawnedPid} exited`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (locked) rmSync(lockPath, { force: true });
  }
  throw new DataPlaneStartError(home, logPath, `no healthy data plane after ${timeoutMs} ms`);
}

/**
 * Stop the data plane of `home` gracefully (`POST /v1/shutdown`: every replica drained and
 * stopped, the listeners closed) and wait for its supervisor to exit, bounded by `timeoutMs`.
 * @returns false when no data plane of `home` was running.
 * @throws DataPlaneUnavailableError when it runs but does not answer.
 */
export async function shutdownDataPlane(home: string, timeoutMs = 60_000): Promise<boolean> {
  const info = readDataPlaneInfo(resolve(home));
  let pid: number;
  if (info !== null) {
    if (!isAlive(info.pid)) return false;
    pid = info.pid;
    const client = new DataPlaneClient({ socketPath: info.adminSocket });
    try {
      await client.shutdown();
    } finally {
      await client.close().catch(() => undefined);
    }
  } else {
    const legacy = readLegacyDataPlaneInfo(resolve(home));
    if (legacy === null || !isAlive(legacy.pid)) return false;
    pid = legacy.pid;
    await shutdownLegacyDataPlane(legacy.adminPort);
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return true;
}

/**
 * `dataplane.json` of a data plane started by cutover before 0.2 (`{pid, adminPort}`: one process,
 * an unauthenticated admin port), so that `cutover shutdown` can stop it during an upgrade.
 */
function readLegacyDataPlaneInfo(home: string): { pid: number; adminPort: number } | null {
  try {
    const info = JSON.parse(readFileSync(join(home, DATAPLANE_INFO_FILE), 'utf8')) as {
      pid?: unknown;
      adminPort?: unknown;
    };
    return typeof info.pid === 'number' && typeof info.adminPort === 'number'
      ? { pid: info.pid, adminPort: info.adminPort }
      : null;
  } catch {
    return null;
  }
}

async function shutdownLegacyDataPlane(adminPort: number): Promise<void> {
  const client = new Client(`http://127.0.0.1:${adminPort}`);
  try {
    const res = await client.request({ method: 'POST', path: '/v1/shutdown', headersTimeout: 5_000 });
    await res.body.text();
  } catch (err) {
    throw new DataPlaneUnavailableError(`127.0.0.1:${adminPort}`, (err as Error).message, { cause: err });
  } finally {
    await client.close().catch(() => undefined);
  }
}
