/**
 * Streams through the router (issue 12): the first byte of a server-sent event, and 1,000
 * concurrent WebSockets, each against a direct connection to the same upstream in the same run.
 *
 * - First byte: an upstream process writes an SSE event every 20 ms carrying its send time
 *   (`performance.timeOrigin + performance.now()`, ms, the same clock in every process of the
 *   machine); the client computes receive − send per event over 8 streams × 50 events, directly
 *   and through the router. Goal: the router adds ≤ 5 ms (median and p99 reported).
 * - WebSockets: 1,000 connections to the sample service's echo (`/ws`) opened at once, directly and
 *   through the router; the router process' RSS after a full GC with none open and with 1,000 open
 *   (goal ≤ 20 KiB per connection); then 5 rounds of one 32-byte echo on every connection at once,
 *   round-trip p50 / p99 direct and through the router (the added p99 is reported, no goal).
 *
 * The router runs in its own process (`router-server.ts`, `--expose-gc`); the client in this one.
 * Loopback only; every phase is bounded in connections, messages and time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { request, WebSocket } from 'undici';
import { freePort } from '../src/platform/local/free-port.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../examples/sample-service/server.mjs', import.meta.url));
const GOAL_FIRST_BYTE_ADDED_MS = 5;
const GOAL_BYTES_PER_WEBSOCKET = 20 * 1024;
const STREAMS = 8;
const EVENTS = 50;
const WEBSOCKETS = 1_000;
const ECHO_ROUNDS = 5;
const PHASE_TIMEOUT_MS = 60_000;

/** The SSE upstream: an event with its send time every 20 ms, `EVENTS` per stream. */
const SSE_UPSTREAM = `
const http = require('node:http');
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let n = 0;
  const t = setInterval(() => {
    res.write('data: ' + (performance.timeOrigin + performance.now()) + '\\n\\n');
    if (++n >= ${EVENTS}) { clearInterval(t); res.end(); }
  }, 20);
  res.on('close', () => clearInterval(t));
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

/** Start a node process and wait for the line `ready` on its stdout. */
function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 20_000);
    child.stdout!.setEncoding('utf8');
    const onData = (text: string) => {
      if (!text.includes('ready')) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve(child);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

/** The router process' RSS after a full GC, bytes. */
function routerRss(router: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no rss answer')), 10_000);
    const onData = (text: string) => {
      const m = /rss (\d+)/.exec(text);
      if (m === null) return;
      clearTimeout(timer);
      router.stdout!.off('data', onData);
      resolve(Number(m[1]));
    };
    router.stdout!.on('data', onData);
    router.stdin!.write('rss\n');
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

/** Receive − send delays of every event of `STREAMS` concurrent streams from `port`, ms, sorted. */
async function firstBytes(port: number): Promise<number[]> {
  const delays: number[] = [];
  await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const res = await request(`http://127.0.0.1:${port}/events`, {
        signal: AbortSignal.timeout(PHASE_TIMEOUT_MS),
      });
      let text = '';
      for await (const chunk of res.body) {
        const now = performance.timeOrigin + performance.now();
        text += String(chunk);
        const events = text.split('\n\n');
        text = events.pop()!;
        for (const e of events) delays.push(now - Number(e.slice('data: '.length)));
      }
    }),
  );
  return delays.sort((a, b) => a - b);
}

/** Open `count` WebSockets to `url` at once; resolves when all got their greeting. */
async function openSockets(url: string, count: number): Promise<WebSocket[]> {
  const sockets = Array.from({ length: count }, () => new WebSocket(url));
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('WebSocket did not open')), PHASE_TIMEOUT_MS);
          ws.addEventListener(
            'message',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
          ws.addEventListener('error', () => reject(new Error('WebSocket error')), { once: true });
        }),
    ),
  );
  return sockets;
}

/** `ECHO_ROUNDS` rounds of one echo on every socket at once; round trips, ms, sorted. */
async function echoes(sockets: readonly WebSocket[]): Promise<number[]> {
  const rtts: number[] = [];
  const payload = 'x'.repeat(32);
  for (let round = 0; round < ECHO_ROUNDS; round++) {
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('echo timed out')), PHASE_TIMEOUT_MS);
            const sent = performance.now();
            ws.addEventListener(
              'message',
              () => {
                clearTimeout(timer);
                rtts.push(performance.now() - sent);
                resolve();
              },
              { once: true },
            );
            ws.send(payload);
          }),
      ),
    );
  }
  return rtts.sort((a, b) => a - b);
}

async function closeSockets(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.addEventListener('close', () => resolve(), { once: true });
          setTimeout(resolve, 5_000);
          ws.close();
        }),
    ),
  );
}

export async function benchStreams(): Promise<void> {
  const children: ChildProcess[] = [];
  console.log(
    `\n== streams through the router (load average at start ${loadavg()[0]!.toFixed(2)}, 2 cores) ==`,
  );
  try {
    // First byte of a server-sent event.
    const ssePort = await freePort();
    children.push(await startProcess(['-e', SSE_UPSTREAM], { PORT: String(ssePort) }));
    const sseRouterPort = await freePort();
    const sseRouter = await startProcess([
      '--import',
      'tsx',
      'bench/router-server.ts',
      String(sseRouterPort),
      String(ssePort),
      String(ssePort),
    ]);
    children.push(sseRouter);
    const direct = await firstBytes(ssePort);
    const routed = await firstBytes(sseRouterPort);
    const added = [0.5, 0.99].map((q) => quantile(routed, q) - quantile(direct, q));
    console.log(
      `SSE event delay (upstream write -> client read), ${STREAMS} streams x ${EVENTS} events: direct p50 ${ms(quantile(direct, 0.5))} p99 ${ms(quantile(direct, 0.99))}; router p50 ${ms(quantile(routed, 0.5))} p99 ${ms(quantile(routed, 0.99))}`,
    );
    const worst = Math.max(...added);
    console.log(
      `first byte added by the router: p50 ${ms(added[0]!)}, p99 ${ms(added[1]!)}  (goal <= ${GOAL_FIRST_BYTE_ADDED_MS} ms)${worst <= GOAL_FIRST_BYTE_ADDED_MS ? '' : `  MISSED by ${ms(worst - GOAL_FIRST_BYTE_ADDED_MS)}`}`,
    );

    // 1,000 WebSockets.
    const wsPort = await freePort();
    await startSample(wsPort, children);
    const routerPort = await freePort();
    const router = await startProcess([
      '--expose-gc',
      '--import',
      'tsx',
      'bench/router-server.ts',
      String(routerPort),
      String(wsPort),
      String(wsPort),
    ]);
    children.push(router);
    // Warm the router's WebSocket path (JIT, pools) before the baseline.
    await closeSockets(await openSockets(`ws://127.0.0.1:${routerPort}/ws`, 20));
    await new Promise((r) => setTimeout(r, 500));
    const before = await routerRss(router);
    const directSockets = await openSockets(`ws://127.0.0.1:${wsPort}/ws`, WEBSOCKETS);
    const directRtts = await echoes(directSockets);
    await closeSockets(directSockets);
    const routedSockets = await openSockets(`ws://127.0.0.1:${routerPort}/ws`, WEBSOCKETS);
    const after = await routerRss(router);
    const routedRtts = await echoes(routedSockets);
    await closeSockets(routedSockets);
    const perSocket = (after - before) / WEBSOCKETS;
    console.log(
      `${WEBSOCKETS} WebSockets through the router: router RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB, ${(perSocket / 1024).toFixed(1)} KiB per connection  (goal <= ${GOAL_BYTES_PER_WEBSOCKET / 1024} KiB)${perSocket <= GOAL_BYTES_PER_WEBSOCKET ? '' : `  MISSED by ${((perSocket - GOAL_BYTES_PER_WEBSOCKET) / 1024).toFixed(1)} KiB`}`,
    );
    console.log(
      `echo round trip, ${ECHO_ROUNDS} rounds x ${WEBSOCKETS} at once: direct p50 ${ms(quantile(directRtts, 0.5))} p99 ${ms(quantile(directRtts, 0.99))}; router p50 ${ms(quantile(routedRtts, 0.5))} p99 ${ms(quantile(routedRtts, 0.99))}; p99 added ${ms(quantile(routedRtts, 0.99) - quantile(directRtts, 0.99))}`,
    );
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}

/** The sample service prints nothing: wait for its port instead of a `ready` line. */
async function startSample(port: number, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SAMPLE], {
    env: { ...process.env, PORT: String(port) },
    stdio: 'ignore',
  });
  children.push(child);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      await (await request(`http://127.0.0.1:${port}/healthz`)).body.text();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the sample service did not start');
}
