#!/usr/bin/env node
// cutover's sample service: a small HTTP server used by the demo, the tests and the benchmarks.
// Environment:
//   PORT        port to listen on (set by cutover for every replica)
//   VERSION     version string returned in bodies and the `x-version` header (default "v1")
//   FAULT_RATE  ratio 0..1 of requests answered with 500 (default 0)
//   LATENCY_MS  added latency per request, ms (default 0)
//   FAULT_EVERY every Nth request answered with 500, deterministically (default 0: none; adds to FAULT_RATE)
//   FAULT_REPLICA  a replica id (CUTOVER_REPLICA): that replica answers 500 to every request
//   QUALITY     a model-quality score this replica reports (default unset: not reported)
//   EXIT_AFTER_MS  exits with code 1 this long after it started, ms (default 0: never), after the
//               requests in flight are answered: a crash loop no client sees when others serve
//   FLAG_OFREP_URL  an OFREP base URL (cutover's data plane, e.g. http://127.0.0.1:7402): every
//               request evaluates the feature flag FLAG_KEY (default new-planner) for the
//               targetingKey in its `x-user` header (default "anonymous") and answers with
//               `x-cutover-flag-variant: FLAG_KEY=<variant>` (the router records outcomes per variant)
//   FLAG_FAULT_VARIANT  with FLAG_OFREP_URL: requests that got this variant are answered with 500
// Endpoints: GET /healthz (always 200), anything else: 200 "hello from VERSION" (or a 500 fault),
// with headers x-version and x-replica (CUTOVER_REPLICA).
// Streams: GET /events is a server-sent events stream, one event "VERSION REPLICA n" every
// `intervalMs` (query, default 100) ms, ending after `count` events (query, default 0: never);
// GET /ws with `Upgrade: websocket` is a WebSocket echo (websocket.mjs) that first sends
// "hello from VERSION REPLICA".
// Agent mesh: GET /health/coordination-ready answers {"ready": true} (false with
// COORDINATION_READY=false); GET /mesh checks GET /healthz of each URL in PEERS (comma-separated,
// e.g. http://127.0.0.1:8081) within 1 s and answers 200 {"peers": {url: status}} when every peer
// answered 200, else 503.
// Configuration: GET /env-sha256/NAME answers the sha256 (hex) of the environment variable NAME
// (404 when unset): a test sees which value a replica got without the value leaving it;
// GET /file-sha256/PATH the same of the file $CUTOVER_FILES_DIR/PATH (template.files; 404 when absent).
// It exports progressive_agent_requests_total{agent_type,status} on GET /metrics, and with QUALITY
// set also sample_quality_score{agent_type} there and {"quality": QUALITY} on GET /quality.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { acceptEchoWebSocket } from './websocket.mjs';

const port = Number(process.env.PORT ?? 8080);
const version = process.env.VERSION ?? 'v1';
const faultRate = Number(process.env.FAULT_RATE ?? 0);
const latencyMs = Number(process.env.LATENCY_MS ?? 0);
const agentType = process.env.AGENT_TYPE ?? 'sample';
const faultEvery = Number(process.env.FAULT_EVERY ?? 0);
const quality = process.env.QUALITY === undefined ? undefined : Number(process.env.QUALITY);
const exitAfterMs = Number(process.env.EXIT_AFTER_MS ?? 0);
const replica = process.env.CUTOVER_REPLICA ?? '';
// FAULT_REPLICA: the replica id (CUTOVER_REPLICA) that answers 500 to everything: a bad replica.
const faultyReplica = replica !== '' && replica === process.env.FAULT_REPLICA;
const peers = (process.env.PEERS ?? '').split(',').filter((p) => p !== '');
const coordinationReady = process.env.COORDINATION_READY !== 'false';
const flagOfrepUrl = process.env.FLAG_OFREP_URL ?? '';
const flagKey = process.env.FLAG_KEY ?? 'new-planner';
const flagFaultVariant = process.env.FLAG_FAULT_VARIANT ?? '';
const counts = new Map();
let served = 0;

function count(status) {
  counts.set(status, (counts.get(status) ?? 0) + 1);
}

function respond(req, res) {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (req.url === '/metrics') {
    let body = '# TYPE progressive_agent_requests_total counter\n';
    for (const [status, n] of counts) {
      body += `progressive_agent_requests_total{agent_type="${agentType}",status="${status}"} ${n}\n`;
    }
    if (quality !== undefined) {
      body += '# TYPE sample_quality_score gauge\n';
      body += `sample_quality_score{agent_type="${agentType}"} ${quality}\n`;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    return;
  }
  if (req.url.startsWith('/events')) {
    streamEvents(req, res);
    return;
  }
  if (req.url.startsWith('/env-sha256/')) {
    const value = process.env[decodeURIComponent(req.url.slice('/env-sha256/'.length))];
    if (value === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('unset\n');
    else
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end(`${createHash('sha256').update(value).digest('hex')}\n`);
    return;
  }
  if (req.url.startsWith('/file-sha256/')) {
    const path = decodeURIComponent(req.url.slice('/file-sha256/'.length));
    let content;
    try {
      if (path.split('/').includes('..')) throw new Error('outside');
      content = readFileSync(`${process.env.CUTOVER_FILES_DIR ?? '.'}/${path}`);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('absent\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/plain' })
      .end(`${createHash('sha256').update(content).digest('hex')}\n`);
    return;
  }
  if (req.url === '/health/coordination-ready') {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ready: coordinationReady }));
    return;
  }
  if (req.url === '/mesh') {
    checkPeers().then((statuses) => {
      const ok = Object.values(statuses).every((s) => s === 200);
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ peers: statuses }));
    });
    return;
  }
  if (req.url === '/quality' && quality !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ quality }));
    return;
  }
  if (flagOfrepUrl !== '') {
    flagVariant(req).then((variant) => answer(res, variant));
    return;
  }
  answer(res, '');
}

/** The variant of FLAG_KEY for the request's `x-user` (OFREP), or '' when it has none. */
async function flagVariant(req) {
  const user = String(req.headers['x-user'] ?? 'anonymous');
  try {
    const answer = await fetch(`${flagOfrepUrl}/ofrep/v1/evaluate/flags/${encodeURIComponent(flagKey)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: user } }),
      signal: AbortSignal.timeout(1000),
    });
    const body = await answer.json();
    return typeof body.variant === 'string' ? body.variant : '';
  } catch {
    return '';
  }
}

function answer(res, variant) {
  served++;
  const headers = { 'content-type': 'text/plain', 'x-version': version, 'x-replica': replica };
  if (variant !== '') headers['x-cutover-flag-variant'] = `${flagKey}=${variant}`;
  if (
    faultyReplica ||
    (variant !== '' && variant === flagFaultVariant) ||
    (faultRate > 0 && Math.random() < faultRate) ||
    (faultEvery > 0 && served % faultEvery === 0)
  ) {
    count('error');
    res.writeHead(500, headers).end(`fault in ${version}\n`);
    return;
  }
  count('ok');
  res.writeHead(200, headers).end(`hello from ${version}\n`);
}

async function checkPeers() {
  const statuses = {};
  await Promise.all(
    peers.map(async (peer) => {
      try {
        const answer = await fetch(`${peer}/healthz`, { signal: AbortSignal.timeout(1000) });
        statuses[peer] = answer.status;
      } catch (error) {
        statuses[peer] = String(error.cause?.code ?? error.name);
      }
    }),
  );
  return statuses;
}

function streamEvents(req, res) {
  const query = new URL(req.url, 'http://sample').searchParams;
  const intervalMs = Number(query.get('intervalMs') ?? 100);
  const total = Number(query.get('count') ?? 0);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-version': version,
    'x-replica': replica,
  });
  let n = 0;
  const timer = setInterval(() => {
    res.write(`data: ${version} ${replica} ${n++}\n\n`);
    if (total > 0 && n >= total) {
      clearInterval(timer);
      res.end();
    }
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (latencyMs > 0) setTimeout(() => respond(req, res), latencyMs);
    else respond(req, res);
  });
});
server.on('upgrade', (req, socket, head) => {
  if (req.url === '/ws') acceptEchoWebSocket(req, socket, head, `hello from ${version} ${replica}`);
  else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
if (exitAfterMs > 0) {
  setTimeout(() => {
    server.close(() => process.exit(1));
    server.closeIdleConnections();
  }, exitAfterMs).unref();
}

// Graceful stop: finish in-flight requests, close idle keep-alive sockets, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
