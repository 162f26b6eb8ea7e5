import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { privateDirectory } from '../dataplane/private-directory.js';
import { isAlive } from '../platform/local/process-alive.js';
import type { HomePaths, ServerInfo } from '../server/paths.js';
import { ApiClient } from './api-client.js';
import { CliError } from './errors.js';

/** How long to wait for a background server to answer, ms. */
const START_TIMEOUT_MS = 20_000;

/** Reads `server.json` if its server process is alive. */
export function runningServer(paths: HomePaths): ServerInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(paths.serverInfo, 'utf8')) as ServerInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await request(`http://127.0.0.1:${port}/healthz`, {
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/**
 * Returns a client of this data directory's server, starting `cutover server` in the background
 * first when none is running (as pm2 does). Its output goes to `logs/server.log`. The token is read
 * once the server answers: a new server writes the bootstrap token file first.
 * @throws CliError when the server does not answer within 20 s.
 */
export async function ensureServer(paths: HomePaths, token: () => string): Promise<ApiClient> {
  const info = runningServer(paths);
  if (info && (await healthy(info.port))) return new ApiClient(`http://127.0.0.1:${info.port}`, token());
  privateDirectory(paths.home);
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  const log = openSync(paths.serverLog, 'a', 0o600);
  const bin = fileURLToPath(new URL('../../bin/cutover.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'server'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, CUTOVER_HOME: paths.home },
  });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const started = runningServer(paths);
    if (started && (await healthy(started.port)))
      return new ApiClient(`http://127.0.0.1:${started.port}`, token());
    if (child.exitCode !== null) break;
  }
  let tail = '';
  try {
    tail = readFileSync(paths.serverLog, 'utf8').split('\n').slice(-6).join('\n');
  } catch {}
  throw new CliError(
    'CUTOVER_E_SERVER_START',
    `the cutover server did not start; see ${paths.serverLog}\n${tail}`,
  );
}
