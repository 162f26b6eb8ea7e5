import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ListenError, PortInUseError } from '../traffic/index.js';
import type { DataPlane } from './data-plane.js';
import { TRAFFIC_RING_SECONDS } from './data-plane.js';
import { DataPlaneError, InvalidDataPlaneSpecError } from './errors.js';
import type { DataPlaneErrorBody } from './protocol.js';

/** Largest accepted admin request body, bytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) =>
    typeof v === 'number' && Number.isNaN(v) ? null : v,
  );
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, error: DataPlaneErrorBody['error']): void {
  sendJson(res, status, { error } satisfies DataPlaneErrorBody);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new InvalidDataPlaneSpecError('(body)', `body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Requests from a web page are refused on both listeners: a browser sends `Origin` on every
 * cross-origin request (and on same-origin non-GET ones), and no client of the data plane is a
 * browser. This closes the CORS "simple request" a page could otherwise send (RFC 6454 section 7).
 */
function refuseBrowser(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.origin === undefined) return false;
  sendError(res, 403, {
    code: 'CUTOVER_E_DATAPLANE_FORBIDDEN',
    message: 'requests with an Origin header (from a web page) are refused',
  });
  return true;
}

/** A body must be declared JSON: the one media type the admin API reads (no form, no text/plain). */
function refuseNonJson(req: IncomingMessage, res: ServerResponse): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return false;
  sendError(res, 415, {
    code: 'CUTOVER_E_DATAPLANE_UNSUPPORTED_MEDIA_TYPE',
    message: `expected content-type: application/json, got ${type === '' ? 'none' : type}`,
  });
  return true;
}

function internalError(res: ServerResponse, err: unknown): void {
  if (!res.headersSent) sendError(res, 500, { code: 'CUTOVER_E_INTERNAL', message: String(err) });
  else res.destroy();
}

/** The read-only routes both listeners serve. @returns false if `path` is not one of them. */
function readOnly(dp: DataPlane, method: string, path: string, res: ServerResponse): boolean {
  if (method !== 'GET') return false;
  if (path === '/healthz') {
    sendJson(res, 200, { ok: true });
    return true;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(dp.router.metricsText());
    return true;
  }
  if (path === '/v1/sd') {
    sendJson(res, 200, dp.serviceDiscovery());
    return true;
  }
  return false;
}

/**
 * The read-only metrics listener (TCP, 127.0.0.1): `GET /metrics` (the router's Prometheus
 * exposition), `GET /v1/sd` (Prometheus HTTP service discovery of the replicas) and `GET /healthz`.
 *
 * Who may call it: anyone on this machine (like a Prometheus exporter): it changes nothing and tells
 * nothing secret. Requests with an `Origin` header, or whose `Host` is not a loopback address
 * (DNS rebinding), are refused with 403.
 */
export function metricsHandler(dp: DataPlane): RequestListener {
  return (req, res) => {
    try {
      if (refuseBrowser(req, res)) return;
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
        sendError(res, 403, {
          code: 'CUTOVER_E_DATAPLANE_FORBIDDEN',
          message: `host ${host} is not loopback`,
        });
        return;
      }
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (readOnly(dp, req.method ?? 'GET', path, res)) return;
      sendError(res, 404, {
        code: 'CUTOVER_E_NOT_FOUND',
        message: `no route ${req.method} ${path} on the metrics port (GET /metrics, /v1/sd, /healthz); the admin API is the data plane's Unix socket`,
      });
    } catch (err) {
      internalError(res, err);
    }
  };
}

/**
 * The admin API, on the data plane's Unix socket (mode 0600 in the 0700 data directory).
 *
 * Who may call it: the control plane alone, i.e. a process of the server's user (the socket's
 * file mode is the credential, as Docker's and containerd's sockets). Requests with an `Origin`
 * header are refused (403); PUT and POST take `application/json` only (415).
 *
 * Routes: the read-only ones of {@link metricsHandler}, `GET /v1/state`, `GET /v1/stats`,
 * `GET /v1/traffic`, `GET /v1/stream` (server-sent events), `PUT|GET|DELETE /v1/rollouts/:name`,
 * `PUT|GET /v1/flags` (the flag sets the OFREP listener serves), `GET /v1/flags/sets` (those sets
 * whole, for drift detection),
 * `POST /v1/shutdown`.
 *
 * @param afterShutdown - called once a shutdown asked with `POST /v1/shutdown` has completed.
 */
export function adminHandler(dp: DataPlane, afterShutdown: () => void): RequestListener {
  return (req, res) => {
    void handleAdmin(dp, afterShutdown, req, res).catch((err: unknown) => internalError(res, err));
  };
}

async function handleAdmin(
  dp: DataPlane,
  afterShutdown: () => void,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (refuseBrowser(req, res)) return;
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if ((method === 'PUT' || method === 'POST') && refuseNonJson(req, res)) return;
  if (readOnly(dp, method, path, res)) return;
  if (method === 'GET' && path === '/v1/state') return sendJson(res, 200, dp.state());
  if (method === 'GET' && path === '/v1/stats') return stats(dp, url, res);
  if (method === 'GET' && path === '/v1/stream') return stream(dp, req, res);
  if (method === 'GET' && path === '/v1/traffic') return traffic(dp, url, res);
  if (method === 'GET' && path === '/v1/flags') return sendJson(res, 200, dp.flagsStatus());
  if (method === 'GET' && path === '/v1/flags/sets') return sendJson(res, 200, dp.flagSets());
  if (method === 'PUT' && path === '/v1/flags') return putFlags(dp, req, res);
  if (method === 'POST' && path === '/v1/shutdown') {
    sendJson(res, 202, { ok: true });
    res.once('finish', () => {
      void dp.shutdown().then(afterShutdown);
    });
    return;
  }
  const match = /^\/v1\/rollouts\/([^/]+)$/.exec(path);
  if (match !== null) {
    const name = decodeURIComponent(match[1]!);
    if (method === 'PUT') return put(dp, name, req, res);
    if (method === 'DELETE') {
      const removed = await dp.remove(name);
      return sendJson(res, 200, { rollout: name, removed });
    }
    if (method === 'GET') return sendJson(res, 200, dp.status(name));
  }
  sendError(res, 404, { code: 'CUTOVER_E_NOT_FOUND', message: `no route ${method} ${path}` });
}

/** `PUT /v1/flags`: the whole set of FeatureFlags resources to serve (see `DataPlane.setFlags`). */
async function putFlags(dp: DataPlane, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    return sendError(res, 400, {
      code: 'CUTOVER_E_DATAPLANE_INVALID_SPEC',
      message: `(body): expected JSON: ${(err as Error).message}`,
      path: '(body)',
    });
  }
  try {
    sendJson(res, 200, await dp.setFlags(body));
  } catch (err) {
    if (err instanceof InvalidDataPlaneSpecError)
      return sendError(res, 400, { code: err.code, message: err.message, path: err.path });
    if (err instanceof DataPlaneError && err.code === 'CUTOVER_E_DATAPLANE_SHUTTING_DOWN')
      return sendError(res, 503, { code: err.code, message: err.message });
    throw err;
  }
}

async function put(dp: DataPlane, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (err) {
    if (err instanceof InvalidDataPlaneSpecError) {
      return sendError(res, 400, { code: err.code, message: err.message, path: err.path });
    }
    return sendError(res, 400, {
      code: 'CUTOVER_E_DATAPLANE_INVALID_SPEC',
      message: `(body): expected JSON: ${(err as Error).message}`,
      path: '(body)',
    });
  }
  try {
    sendJson(res, 200, await dp.apply(name, body));
  } catch (err) {
    if (err instanceof InvalidDataPlaneSpecError) {
      return sendError(res, 400, { code: err.code, message: err.message, path: err.path, rollout: name });
    }
    if (err instanceof PortInUseError || err instanceof ListenError) {
      return sendError(res, 409, { code: err.code, message: err.message, port: err.port, rollout: name });
    }
    if (err instanceof DataPlaneError && err.code === 'CUTOVER_E_DATAPLANE_SHUTTING_DOWN') {
      return sendError(res, 503, { code: err.code, message: err.message });
    }
    throw err;
  }
}

/** A query parameter that is not what a route expects: `[parameter, what was expected]`. */
type QueryProblem = [string, string] | null;

/** @returns true when it answered 400 for `problem`. */
function invalidQuery(res: ServerResponse, problem: QueryProblem): boolean {
  if (problem === null) return false;
  const [field, expected] = problem;
  sendError(res, 400, {
    code: 'CUTOVER_E_DATAPLANE_INVALID_QUERY',
    message: `${field}: expected ${expected}`,
    path: field,
  });
  return true;
}

/** `GET /v1/stats?rollout=R&revision=N[&window=S][&quantile=Q][&set=X]`: see `DataPlane.stats`. */
function stats(dp: DataPlane, url: URL, res: ServerResponse): void {
  const rollout = url.searchParams.get('rollout') ?? '';
  const revision = Number(url.searchParams.get('revision'));
  const window = Number(url.searchParams.get('window') ?? '10');
  const quantile = Number(url.searchParams.get('quantile') ?? '0.95');
  const set = url.searchParams.get('set') ?? undefined;
  const problem: QueryProblem =
    rollout === ''
      ? ['rollout', 'a Rollout name']
      : !Number.isInteger(revision) || revision < 1
        ? ['revision', 'an integer >= 1']
        : !Number.isFinite(window) || window <= 0 || window > TRAFFIC_RING_SECONDS
          ? ['window', `seconds, 0 < window <= ${TRAFFIC_RING_SECONDS}`]
          : !Number.isFinite(quantile) || quantile < 0 || quantile > 1
            ? ['quantile', 'a ratio 0..1']
            : set === ''
              ? ['set', 'a replica set name']
              : null;
  if (invalidQuery(res, problem)) return;
  sendJson(res, 200, dp.router.stats(rollout, revision, window, quantile, set));
}

/**
 * `GET /v1/traffic?rollout=R&from=S` (or `&window=N`): per-second traffic of every revision of the
 * Rollout over the whole seconds `[S, now)` (or the last N), with latency histograms, for the
 * judges. Seconds older than the router's ring (300 s) are left out and `from` says where the
 * answer starts.
 */
function traffic(dp: DataPlane, url: URL, res: ServerResponse): void {
  const rollout = url.searchParams.get('rollout') ?? '';
  const fromParam = url.searchParams.get('from');
  const windowParam = url.searchParams.get('window');
  const from = Number(fromParam);
  const window = Number(windowParam);
  const problem: QueryProblem =
    rollout === ''
      ? ['rollout', 'a Rollout name']
      : (fromParam === null) === (windowParam === null)
        ? ['from', 'either from or window']
        : fromParam !== null && !(Number.isInteger(from) && from >= 0)
          ? ['from', 'an integer number of seconds since the epoch']
          : windowParam !== null &&
              !(Number.isInteger(window) && window >= 1 && window <= TRAFFIC_RING_SECONDS)
            ? ['window', `an integer number of seconds, 1..${TRAFFIC_RING_SECONDS}`]
            : null;
  if (invalidQuery(res, problem)) return;
  const start = fromParam !== null ? from : Math.floor(Date.now() / 1000) - window;
  sendJson(res, 200, dp.traffic(rollout, start));
}

/** `GET /v1/stream`: one server-sent event `second` per second with every revision's traffic. */
function stream(dp: DataPlane, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.write(': cutover data plane stream\n\n');
  const stop = dp.onSecond((event) => {
    res.write(`event: second\nid: ${event.at / 1000}\ndata: ${JSON.stringify(event)}\n\n`);
  });
  req.once('close', stop);
}
