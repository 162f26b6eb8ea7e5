/**
 * Streams through the router (issue 12): the first byte of a server-sent event, and 1,000
 * concurrent WebSockets, each against a direct connection to the same upstream in the same run.
 *
 * - First byte: an upstream process writes an SSE event every 20 ms carrying its send time
 *   (`performance.timeOrigin + performance.now()`, ms); the client computes receive − send per
 *   event over 8 streams × 50 events directly and 8 × 50 through the router, all 16 streams at once
 *   (after a discarded warm-up pass), so machine noise and any clock offset between the two
 *   processes fall on both sides alike. Goal: the router adds ≤ 5 ms (p50 and p99 of router minus
 *   direct).
 * - WebSockets: 1,000 connections to the sample service's echo (`/ws`), directly and through the
 *   router; the router process' RSS after a full GC with none open and with 1,000 open (goal ≤ 20 KiB
 *   per connection), and again once they are closed (a leak shows there). Echo round trip of a
 *   32-byte text message with both sets open (2,000 in the client), alternating direct and
 *   routed: 5,000 echoes one at a time on each side, round robin over the connections (the latency
 *   the router adds to a message; p99 added reported, no goal), then 5 rounds of one echo on every
 *   connection of a side at once (a burst: mostly queueing in the client and the router).
 *   Needs a soft limit on open files of at least {@link FDS_NEEDED} (the router holds two
 *   descriptors per WebSocket and caps its connections below its limit); lower, the WebSocket part
 *   is reported NOT MEASURED with the command to raise it.
 *
 * The router runs in its own process (`router-server.ts`, `--expose-gc`); the client in this one.
 * Loopback only; every phase is bounded in connections, messages and time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
const SEQUENTIAL_ECHOES = 5_000;
/** Open files the WebSocket part needs: the router's two per connection plus its 512 reserved. */
const FDS_NEEDED = 2 * (WEBSOCKETS + 64) + 512;
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

/** Receive − send delays of every event of `streams` concurrent streams from `port`, ms, sorted. */
async function firstBytes(port: number, streams = STREAMS): Promise<number[]> {
  const delays: number[] = [];
  await Promise.all(
    Array.from({ length: streams }, async () => {
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

/** One echo of `payload` on `ws`: its round trip, ms. */
function echo(ws: WebSocket, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('echo timed out')), PHASE_TIMEOUT_MS);
    const sent = performance.now();
    ws.addEventListener(
      'message',
      () => {
        clearTimeout(timer);
        resolve(performance.now() - sent);
      },
      { once: true },
    );
    ws.send(payload);
  });
}

const PAYLOAD = 'x'.repeat(32);

/** Echo round trips directly and through the router, ms, each sorted. */
interface EchoPair {
  direct: number[];
  routed: number[];
}

/** `count` echoes one at a time on each side, alternating sides, round robin over the sockets. */
async function echoesOneAtATime(
  direct: readonly WebSocket[],
  routed: readonly WebSocket[],
  count: number,
): Promise<EchoPair> {
  const pair: EchoPair = { direct: [], routed: [] };
  for (let i = 0; i < count; i++) {
    pair.direct.push(await echo(direct[i % direct.length]!, PAYLOAD));
    pair.routed.push(await echo(routed[i % routed.length]!, PAYLOAD));
  }
  return { direct: pair.direct.sort((a, b) => a - b), routed: pair.routed.sort((a, b) => a - b) };
}

/** `ECHO_ROUNDS` rounds of one echo on every socket of a side at once, the sides alternating. */
async function echoBursts(direct: readonly WebSocket[], routed: readonly WebSocket[]): Promise<EchoPair> {
  const pair: EchoPair = { direct: [], routed: [] };
  for (let round = 0; round < ECHO_ROUNDS; round++) {
    pair.direct.push(...(await Promise.all(direct.map((ws) => echo(ws, PAYLOAD)))));
    pair.routed.push(...(await Promise.all(routed.map((ws) => echo(ws, PAYLOAD)))));
  }
  return { direct: pair.direct.sort((a, b) => a - b), routed: pair.routed.sort((a, b) => a - b) };
}

/** The soft limit on open files of this process (children inherit it), or undefined if unknown. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isInteger(soft) ? soft : undefined;
  } catch {
    return undefined;
  }
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

const KIB = 1024;
const MIB = 2 ** 20;
const verdict = (ok: boolean, miss: string): string => (ok ? '' : `  MISSED by ${miss}`);
const p = (sorted: readonly number[]) => `p50 ${ms(quantile(sorted, 0.5))} p99 ${ms(quantile(sorted, 0.99))}`;

/** Runs the benchmark and prints its figures against its goals. */
export async function benchStreams(): Promise<void> {
  const children: ChildProcess[] = [];
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`\n== streams through the router (machine load (1/5/15 min) at start: ${load}) ==`);
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
    await Promise.all([firstBytes(ssePort, 1), firstBytes(sseRouterPort, 1)]);
    const [direct, routed] = await Promise.all([firstBytes(ssePort), firstBytes(sseRouterPort)]);
    const added = [0.5, 0.99].map((q) => quantile(routed, q) - quantile(direct, q));
    console.log(
      `SSE event delay (upstream write -> client read), ${STREAMS} streams x ${EVENTS} events each way at once: direct ${p(direct)}; router ${p(routed)}`,
    );
    const worst = Math.max(...added);
    console.log(
      `first byte added by the router: p50 ${ms(added[0]!)}, p99 ${ms(added[1]!)}  (goal <= ${GOAL_FIRST_BYTE_ADDED_MS} ms)${verdict(worst <= GOAL_FIRST_BYTE_ADDED_MS, ms(worst - GOAL_FIRST_BYTE_ADDED_MS))}`,
    );

    // 1,000 WebSockets.
    const limit = openFilesLimit();
    if (limit !== undefined && limit < FDS_NEEDED) {
      console.log(
        `${WEBSOCKETS} WebSockets: NOT MEASURED: the soft limit on open files is ${limit}, the router needs ${FDS_NEEDED} (run \`ulimit -n 4096\` in the shell first)`,
      );
      return;
    }
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
    const routedSockets = await openSockets(`ws://127.0.0.1:${routerPort}/ws`, WEBSOCKETS);
    const open = await routerRss(router);
    // Both sets open at once, so each echo pattern alternates sides under the same conditions.
    const directSockets = await openSockets(`ws://127.0.0.1:${wsPort}/ws`, WEBSOCKETS);
    await echoesOneAtATime(directSockets, routedSockets, WEBSOCKETS / 5);
    const oneAtATime = await echoesOneAtATime(directSockets, routedSockets, SEQUENTIAL_ECHOES);
    const bursts = await echoBursts(directSockets, routedSockets);
    await closeSockets([...directSockets, ...routedSockets]);
    await new Promise((r) => setTimeout(r, 500));
    const closed = await routerRss(router);
    const perSocket = (open - before) / WEBSOCKETS;
    console.log(
      `${WEBSOCKETS} WebSockets through the router: router RSS after GC ${(before / MIB).toFixed(1)} MiB -> ${(open / MIB).toFixed(1)} MiB open -> ${(closed / MIB).toFixed(1)} MiB closed; ${(perSocket / KIB).toFixed(1)} KiB per connection  (goal <= ${GOAL_BYTES_PER_WEBSOCKET / KIB} KiB)${verdict(perSocket <= GOAL_BYTES_PER_WEBSOCKET, `${((perSocket - GOAL_BYTES_PER_WEBSOCKET) / KIB).toFixed(1)} KiB`)}`,
    );
    const p99Added = (e: EchoPair) => ms(quantile(e.routed, 0.99) - quantile(e.direct, 0.99));
    console.log(
      `echo round trip with ${WEBSOCKETS} open, ${SEQUENTIAL_ECHOES} one at a time: direct ${p(oneAtATime.direct)}; router ${p(oneAtATime.routed)}; p99 added ${p99Added(oneAtATime)}`,
    );
    console.log(
      `echo round trip, ${ECHO_ROUNDS} rounds x ${WEBSOCKETS} at once: direct ${p(bursts.direct)}; router ${p(bursts.routed)}; p99 added ${p99Added(bursts)}`,
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
