/**
 * Router benchmark: throughput and added latency of the cutover router against a direct
 * connection to the upstream and against nginx doing the same 90/10 split with upstream keep-alive.
 *
 * Layout (2 cores): the proxy under test (cutover router or nginx, one process / one worker) on
 * core 0; the load generator (wrk) and the upstreams (a separate nginx with two `return 200`
 * servers, the "tiny fast upstream") on core 1. Loopback only; every run is bounded in time.
 *
 * Throughput: `wrk -t1 -c64 -d5s` after a 1 s warm-up. Latency: at half of the router's
 * saturation rate, with wrk pacing each connection by a Lua `delay()` (wrk has no fixed-rate mode;
 * the connection count is calibrated so the achieved rate matches the target), p50 and p99 added
 * over the direct connection at the same rate.
 *
 * Goals: router/nginx throughput >= 0.40; p50 added <= 0.25 ms; p99 added <= 1 ms.
 * Run: npm run bench (needs nginx, wrk and taskset on PATH or in /usr/sbin).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/platform/local/free-port.js';

const GOAL_RATIO = 0.4;
const GOAL_P50_ADDED_MS = 0.25;
const GOAL_P99_ADDED_MS = 1;
const THROUGHPUT_SECONDS = 5;
const LATENCY_SECONDS = 6;
const PROXY_CORE = '0';
const LOAD_CORE = '1';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? 'nginx';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function waitPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.text();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`port ${port} did not answer within ${timeoutMs} ms`);
}

function nginxConfig(dir: string, name: string, http: string): string {
  const prefix = join(dir, name);
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  // Non-root friendly: every path nginx writes is inside the temp dir.
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  keepalive_requests 100000;
${http}
}
`,
  );
  return conf;
}

function startNginx(conf: string, prefix: string, core: string): ChildProcess {
  return spawn('taskset', ['-c', core, NGINX, '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], {
    stdio: 'ignore',
  });
}

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function parseDuration(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (m === null) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = /\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? '';
  const p99 = /\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? '';
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const e = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = e === null ? 0 : Number(e[1]) + Number(e[2]) + Number(e[3]) + Number(e[4]);
  return { rps, p50Ms: parseDuration(p50), p99Ms: parseDuration(p99), non2xx, errors };
}

async function wrk(url: string, connections: number, seconds: number, script?: string): Promise<WrkResult> {
  const args = [
    '-c',
    LOAD_CORE,
    'wrk',
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    '--timeout',
    '5s',
  ];
  if (script !== undefined) args.push('-s', script);
  args.push(url);
  return parseWrk(await run('taskset', args, (seconds + 15) * 1000));
}

async function saturate(url: string): Promise<WrkResult> {
  await wrk(url, 64, 1);
  return wrk(url, 64, THROUGHPUT_SECONDS);
}

/** wrk paced by `delay()` at ~`rate` req/s: calibrate the connection count, then measure. */
async function atRate(
  url: string,
  rate: number,
  paceScript: string,
): Promise<WrkResult & { connections: number }> {
  let connections = Math.max(1, Math.round(rate * 0.0012));
  for (let i = 0; i < 3; i++) {
    const probe = await wrk(url, connections, 2, paceScript);
    const next = Math.max(1, Math.round((connections * rate) / probe.rps));
    if (Math.abs(next - connections) <= Math.max(1, connections * 0.03)) break;
    connections = next;
  }
  return { ...(await wrk(url, connections, LATENCY_SECONDS, paceScript)), connections };
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export async function benchRouter(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-'));
  const children: ChildProcess[] = [];
  try {
    const [u1, u2, nginxPort, routerPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const upConf = nginxConfig(
      dir,
      'upstream',
      `  server { listen 127.0.0.1:${u1}; location / { add_header x-version v1; return 200 'hello from v1\\n'; } }
  server { listen 127.0.0.1:${u2}; location / { add_header x-version v2; return 200 'hello from v2\\n'; } }`,
    );
    children.push(startNginx(upConf, join(dir, 'upstream'), LOAD_CORE));
    const pxConf = nginxConfig(
      dir,
      'proxy',
      `  upstream v1 { server 127.0.0.1:${u1}; keepalive 128; }
  upstream v2 { server 127.0.0.1:${u2}; keepalive 128; }
  split_clients "\${request_id}" $backend { 90% v1; * v2; }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass http://$backend;
    }
  }`,
    );
    children.push(startNginx(pxConf, join(dir, 'proxy'), PROXY_CORE));
    const router = spawn(
      'taskset',
      [
        '-c',
        PROXY_CORE,
        process.execPath,
        '--import',
        'tsx',
        join(ROOT, 'bench/router-server.ts'),
        String(routerPort),
        String(u1),
        String(u2),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: ROOT,
      },
    );
    children.push(router);
    // The same router with ClientIP session affinity and outlier detection on.
    const policiesPort = await freePort();
    const withPolicies = spawn(
      'taskset',
      [
        '-c',
        PROXY_CORE,
        process.execPath,
        '--import',
        'tsx',
        join(ROOT, 'bench/router-server.ts'),
        String(policiesPort),
        String(u1),
        String(u2),
        'policies',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT },
    );
    children.push(withPolicies);
    await Promise.all([
      waitPort(u1, 10_000),
      waitPort(u2, 10_000),
      waitPort(nginxPort, 10_000),
      waitPort(routerPort, 20_000),
      waitPort(policiesPort, 20_000),
    ]);
    const pace = join(dir, 'pace.lua');
    writeFileSync(pace, 'function delay()\n  return 1\nend\n');

    const direct = await saturate(`http://127.0.0.1:${u1}/`);
    const nginx = await saturate(`http://127.0.0.1:${nginxPort}/`);
    const cutover = await saturate(`http://127.0.0.1:${routerPort}/`);
    const policed = await saturate(`http://127.0.0.1:${policiesPort}/`);
    const rate = Math.round(cutover.rps / 2);
    const directLat = await atRate(`http://127.0.0.1:${u1}/`, rate, pace);
    const routerLat = await atRate(`http://127.0.0.1:${routerPort}/`, rate, pace);
    const nginxLat = await atRate(`http://127.0.0.1:${nginxPort}/`, rate, pace);

    const ratio = cutover.rps / nginx.rps;
    const p50Added = routerLat.p50Ms - directLat.p50Ms;
    const p99Added = routerLat.p99Ms - directLat.p99Ms;
    console.log('\nrouter benchmark (proxy pinned to core 0; wrk + upstream nginx on core 1; loopback)');
    console.log(`machine load (1/5/15 min) at start: ${load}`);
    console.log(`\nthroughput, wrk -t1 -c64 -d${THROUGHPUT_SECONDS}s (req/s per proxy core)`);
    console.log('target                 req/s     p50 ms   p99 ms   errors');
    for (const [name, r] of [
      ['direct (upstream)', direct],
      ['nginx 90/10', nginx],
      ['cutover router 90/10', cutover],
      ['  + affinity, outliers', policed],
    ] as const) {
      console.log(
        `${name.padEnd(22)} ${fmt(r.rps).padStart(8)} ${fmt(r.p50Ms, 3).padStart(10)} ${fmt(r.p99Ms, 3).padStart(8)} ${String(r.errors + r.non2xx).padStart(8)}`,
      );
    }
    console.log(
      `\nlatency at ${rate} req/s (half the router's saturation), ${LATENCY_SECONDS}s, wrk paced by delay()`,
    );
    console.log('target                 conns  achieved req/s   p50 ms   p99 ms');
    for (const [name, r] of [
      ['direct (upstream)', directLat],
      ['nginx 90/10', nginxLat],
      ['cutover router 90/10', routerLat],
    ] as const) {
      console.log(
        `${name.padEnd(22)} ${String(r.connections).padStart(5)} ${fmt(r.rps).padStart(15)} ${fmt(r.p50Ms, 3).padStart(8)} ${fmt(r.p99Ms, 3).padStart(8)}`,
      );
    }
    const verdict = (ok: boolean, miss: string): string => (ok ? 'met' : `MISSED by ${miss}`);
    console.log('\ngoals');
    console.log(
      `  router/nginx throughput ${ratio.toFixed(2)} (goal >= ${GOAL_RATIO}): ${verdict(ratio >= GOAL_RATIO, `${(GOAL_RATIO - ratio).toFixed(2)} (${fmt(GOAL_RATIO * nginx.rps - cutover.rps)} req/s)`)}`,
    );
    const policedRatio = policed.rps / cutover.rps;
    const policedNginx = policed.rps / nginx.rps;
    console.log(
      `  with ClientIP affinity and outlier detection: ${policedRatio.toFixed(2)}x the router without them (goal >= 0.9): ${verdict(policedRatio >= 0.9, (0.9 - policedRatio).toFixed(2))}; ${policedNginx.toFixed(2)}x nginx (goal >= 0.6): ${verdict(policedNginx >= 0.6, (0.6 - policedNginx).toFixed(2))}`,
    );
    console.log(
      `  p50 added over direct ${p50Added.toFixed(3)} ms (goal <= ${GOAL_P50_ADDED_MS} ms): ${verdict(p50Added <= GOAL_P50_ADDED_MS, `${(p50Added - GOAL_P50_ADDED_MS).toFixed(3)} ms`)}`,
    );
    console.log(
      `  p99 added over direct ${p99Added.toFixed(3)} ms (goal <= ${GOAL_P99_ADDED_MS} ms): ${verdict(p99Added <= GOAL_P99_ADDED_MS, `${(p99Added - GOAL_P99_ADDED_MS).toFixed(3)} ms`)}`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const name of ['upstream', 'proxy']) {
      const pidFile = join(dir, name, 'nginx.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
        } catch {
          // Already stopped.
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
