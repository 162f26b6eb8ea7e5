import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

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
