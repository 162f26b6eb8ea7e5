#!/usr/bin/env node
// cutover's sample coordinator agent: holds the live coordination state of every conversation
// (sessions with a counter, registered peers, agent memory) and speaks the coordination handoff
// protocol cutover drives when a new version ships (see docs/concepts.md#coordination-handoff).
//
// A coordinator starts as a standby (not active): it answers session requests with 503 until
// cutover activates it. Activation, preparation and shutdown follow the seed's MCA handoff.
//
// Environment:
//   PORT           port to listen on (set by cutover)
//   VERSION        version string in answers (default "v1")
//   MODEL_LOAD_MS  time before the model is loaded, ms (default 0): until then /healthz/startup,
//                  /healthz and /healthz/ready answer 503 (a startupProbe keeps the liveness probe
//                  from restarting it meanwhile)
//   START_ACTIVE   "1": active at start, without a handoff (default: standby)
//   VERIFY_FAIL    "1": the status endpoint never reports active (a broken successor)
//   HANG           name of a coordination endpoint that never answers (prepare-handoff, export,
//                  import, activate, status, shutdown), or name:count for only its first count
//                  requests: a hung handoff step
// Endpoints:
//   POST /api/v1/sessions/:id/increment  the session's counter + 1 (503 unless active)
//   GET  /api/v1/sessions/:id            the session's counter
//   PUT  /api/v1/memory/:key             stores the body (agent memory; part of the state)
//   POST /api/v1/peers/:name             registers a peer agent
//   POST /api/v1/coordination/prepare-handoff  stops acting as active (new work is refused)
//   GET  /api/v1/coordination/export     the whole coordination state (JSON)
//   POST /api/v1/coordination/import     replaces the state with the body
//   POST /api/v1/coordination/activate   becomes the active coordinator
//   GET  /api/v1/coordination/status     {"active", "version", "replica", "sessions", ...}
//   POST /api/v1/coordination/shutdown   stops for good (no longer activatable)
//   GET  /healthz/startup, /healthz, /healthz/ready  200 once the model is loaded
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const version = process.env.VERSION ?? 'v1';
const replica = process.env.CUTOVER_REPLICA ?? `coordinator-${process.pid}`;
const loadMs = Number(process.env.MODEL_LOAD_MS ?? 0);
const verifyFails = process.env.VERIFY_FAIL === '1';
// HANG=name or name:count (only the first `count` requests of that endpoint hang).
const [hang, hangCountText] = (process.env.HANG ?? '').split(':');
let hangsLeft = hangCountText === undefined ? Number.POSITIVE_INFINITY : Number(hangCountText);
const startedAt = Date.now();

let state = { sessions: {}, peers: {}, memory: {} };
let active = process.env.START_ACTIVE === '1';
let preparing = false;
let shutDown = false;
let imports = 0;

const loaded = () => Date.now() - startedAt >= loadMs;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-version': version, 'x-replica': replica });
  res.end(`${text}\n`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const coordination = {
  'POST prepare-handoff': () => {
    active = false;
    preparing = true;
    return [200, { prepared: true, sessions: Object.keys(state.sessions).length }];
  },
  'GET export': () => [200, state],
  'POST import': (body) => {
    const next = JSON.parse(body);
    if (typeof next !== 'object' || next === null || typeof next.sessions !== 'object') {
      return [400, { error: 'expected {"sessions": {...}, ...}' }];
    }
    state = { sessions: {}, peers: {}, memory: {}, ...next };
    imports++;
    return [200, { imported: true, sessions: Object.keys(state.sessions).length }];
  },
  'POST activate': () => {
    if (shutDown) return [409, { error: 'shut down' }];
    active = true;
    preparing = false;
    return [200, { active: true }];
  },
  'GET status': () => [
    200,
    {
      active: active && !verifyFails,
      version,
      replica,
      preparing,
      shutDown,
      imports,
      sessions: Object.keys(state.sessions).length,
    },
  ],
  'POST shutdown': () => {
    active = false;
    shutDown = true;
    return [200, { shutDown: true }];
  },
};

async function respond(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path === '/healthz/startup' || path === '/healthz' || path === '/healthz/ready') {
    send(res, loaded() ? 200 : 503, { loaded: loaded() });
    return;
  }
  const coord = path.match(/^\/api\/v1\/coordination\/([a-z-]+)$/);
  if (coord !== null) {
    if (coord[1] === hang && hangsLeft > 0) {
      hangsLeft--;
      return; // never answers
    }
    const handler = coordination[`${req.method} ${coord[1]}`];
    if (handler === undefined) {
      send(res, 404, { error: `no ${req.method} ${path}` });
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : '';
    try {
      const [status, answer] = handler(body);
      send(res, status, answer);
    } catch (err) {
      send(res, 400, { error: String(err.message ?? err) });
    }
    return;
  }
  const session = path.match(/^\/api\/v1\/sessions\/([^/]+)(\/increment)?$/);
  if (session !== null) {
    const id = decodeURIComponent(session[1]);
    if (session[2] === undefined && req.method === 'GET') {
      const counter = state.sessions[id]?.counter;
      send(res, counter === undefined ? 404 : 200, {
        session: id,
        counter: counter ?? null,
        version,
        replica,
      });
      return;
    }
    if (!active) {
      send(res, 503, { error: 'not the active coordinator', replica });
      return;
    }
    const entry = state.sessions[id] ?? { counter: 0 };
    entry.counter++;
    state.sessions[id] = entry;
    send(res, 200, { session: id, counter: entry.counter, version, replica });
    return;
  }
  const memory = path.match(/^\/api\/v1\/memory\/([^/]+)$/);
  if (memory !== null && req.method === 'PUT') {
    if (!active) return send(res, 503, { error: 'not the active coordinator', replica });
    const body = await readBody(req);
    state.memory[decodeURIComponent(memory[1])] = body;
    send(res, 200, { stored: body.length });
    return;
  }
  const peer = path.match(/^\/api\/v1\/peers\/([^/]+)$/);
  if (peer !== null && req.method === 'POST') {
    if (!active) return send(res, 503, { error: 'not the active coordinator', replica });
    state.peers[decodeURIComponent(peer[1])] = { registeredAt: Date.now() };
    send(res, 200, { peers: Object.keys(state.peers).length });
    return;
  }
  send(res, 404, { error: `no ${req.method} ${path}` });
}

const server = http.createServer((req, res) => {
  respond(req, res).catch((err) => send(res, 500, { error: String(err) }));
});
server.keepAliveTimeout = 5_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
});
