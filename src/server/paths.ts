import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * Files of one data directory (`$CUTOVER_HOME`, default `~/.cutover`). One data directory is one
 * cutover installation: one server, one data plane, one database.
 */
export interface HomePaths {
  home: string;
  /** SQLite database. */
  database: string;
  /** pid of the running `cutover server`. */
  serverPid: string;
  /** `{pid, port, startedAt}` of the running server's API. */
  serverInfo: string;
  logs: string;
  serverLog: string;
  /** The bootstrap admin token (mode 0600), written by the server; the local CLI's default token. */
  token: string;
  /** The audit chain's HMAC key (mode 0600), created at the first start; outside the database. */
  auditKey: string;
  /** The audit chain's head checkpoint (mode 0600), rewritten after each append. */
  auditHead: string;
}

/** Resolves the data directory: `explicit`, else `$CUTOVER_HOME`, else `~/.cutover`. */
export function homePaths(explicit?: string): HomePaths {
  const home = resolve(explicit ?? process.env.CUTOVER_HOME ?? join(homedir(), '.cutover'));
  return {
    home,
    database: join(home, 'cutover.db'),
    serverPid: join(home, 'server.pid'),
    serverInfo: join(home, 'server.json'),
    logs: join(home, 'logs'),
    serverLog: join(home, 'logs', 'server.log'),
    token: join(home, 'token'),
    auditKey: join(home, 'audit.key'),
    auditHead: join(home, 'audit-head.json'),
  };
}

/** Default API port of `cutover server` (env `CUTOVER_API_PORT`; 0 picks a free port). */
export const DEFAULT_API_PORT = 7400;

/** The API port to bind: `explicit`, else `$CUTOVER_API_PORT`, else {@link DEFAULT_API_PORT}. */
export function apiPort(explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const env = process.env.CUTOVER_API_PORT;
  return env !== undefined && env !== '' ? Number(env) : DEFAULT_API_PORT;
}

/** Info file written by a running server. */
export interface ServerInfo {
  pid: number;
  port: number;
  startedAt: number;
  version: string;
}

/**
 * What cutover itself writes at the top of a data directory (docs/architecture.md, "Data
 * directory"): the database and its WAL, pid and info files (and their temporary copies), tokens
 * and keys, the admin socket and replica registry, logs, state directories, backups, flags served,
 * the crew's release work directories.
 */
const DATA_DIRECTORY_ENTRIES = new Set([
  'run',
  'logs',
  'state',
  'backups',
  'keys',
  'releases',
  'token',
  'audit.key',
  'audit-head.json',
  'dataplane.lock',
]);
const DATA_DIRECTORY_PREFIXES = ['cutover.db', 'server.pid', 'server.json', 'dataplane.json', 'flags.json'];

/**
 * Whether `path` (absolute) is one of cutover's own files in the data directory `home`, or under
 * one: drift detection leaves them out of a working directory that holds the data directory (or is
 * it). Anything else under `home` (a test's replica directory) is not. Pure.
 */
export function dataDirectoryEntry(home: string): (path: string) => boolean {
  return (path) => {
    const rel = relative(home, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return false;
    const first = rel.split(sep)[0]!;
    return DATA_DIRECTORY_ENTRIES.has(first) || DATA_DIRECTORY_PREFIXES.some((p) => first.startsWith(p));
  };
}
