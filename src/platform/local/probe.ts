import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import type { Probe } from '../../spec/types.js';

/** Where and how a probe runs. */
export interface ProbeContext {
  host: string;
  /** The replica's $PORT; the default port of httpGet and tcpSocket. */
  port: number;
  /** Environment and working directory of `exec` probes (the replica's). */
  env: Record<string, string>;
  cwd: string | undefined;
}

/** Kubernetes' probe defaults. */
export const PROBE_DEFAULTS = {
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
} as const;

function httpGet(probe: Probe, ctx: ProbeContext, timeoutMs: number): Promise<boolean> {
  const action = probe.httpGet!;
  const secure = action.scheme === 'HTTPS';
  const headers: Record<string, string> = { 'user-agent': 'cutover-probe/1' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const req = (secure ? https : http).request(
      {
        host: ctx.host,
        port: action.port ?? ctx.port,
        path: action.path ?? '/',
        method: 'GET',
        headers,
        agent: false,
        timeout: timeoutMs,
        // As the kubelet: HTTPS probes do not verify the certificate.
        ...(secure ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        // Kubernetes: any code >= 200 and < 400 is a success.
        resolve(status >= 200 && status < 400);
      },
    );
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

function tcpSocket(probe: Probe, ctx: ProbeContext, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: ctx.host, port: probe.tcpSocket?.port ?? ctx.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function exec(probe: Probe, ctx: ProbeContext, timeoutMs: number): Promise<boolean> {
  const [command, ...args] = probe.exec!.command;
  if (command === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ctx.cwd, env: ctx.env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/**
 * Run one probe attempt, as the kubelet does: `httpGet` succeeds on a status in 200..399,
 * `tcpSocket` when the connection opens, `exec` when the command exits 0, each within
 * `timeoutSeconds` (default 1 s). A probe without an action always succeeds. Never throws.
 */
export function runProbe(probe: Probe, ctx: ProbeContext): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds) * 1000;
  if (probe.httpGet !== undefined) return httpGet(probe, ctx, timeoutMs);
  if (probe.tcpSocket !== undefined) return tcpSocket(probe, ctx, timeoutMs);
  if (probe.exec !== undefined) return exec(probe, ctx, timeoutMs);
  return Promise.resolve(true);
}
