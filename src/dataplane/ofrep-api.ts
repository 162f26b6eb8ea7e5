import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ENVIRONMENT_HEADER, type OfrepAnswer, type ServedFlags } from '../flags/index.js';

/** Largest accepted evaluation request (its context), bytes. */
const MAX_OFREP_BODY_BYTES = 64 * 1024;

const SINGLE_PREFIX = '/ofrep/v1/evaluate/flags/';
const BULK_PATH = '/ofrep/v1/evaluate/flags';
const ENVIRONMENT = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A request that could not be read as an evaluation request: 400 (or 404/405/415) before any flag is looked at. */
function refuse(res: ServerResponse, status: number, key: string | undefined, details: string): void {
  send(res, status, {
    ...(key !== undefined ? { key } : {}),
    errorCode: 'INVALID_CONTEXT',
    errorDetails: details,
  });
}

/**
 * The OFREP listener of the data plane: the OpenFeature Remote Evaluation Protocol (OFREP 0.3,
 * github.com/open-feature/protocol `service/openapi.yaml`) over the flag sets the control plane
 * pushed, evaluated by flagd-core in this process, so evaluation goes on while the control plane
 * is down.
 *
 * Who may call it: anyone who can reach the port (as the Rollouts' public ports: it binds
 * `$CUTOVER_ROUTER_HOST`, 127.0.0.1 by default): the services and their OpenFeature SDKs. It only
 * evaluates flags; it changes nothing and takes no credential. Flag definitions are not secrets
 * (put none in a flag).
 *
 * Routes: `POST /ofrep/v1/evaluate/flags/{key}` (one flag), `POST /ofrep/v1/evaluate/flags` (every
 * flag, with `ETag` and `If-None-Match` -> 304), `GET /healthz`. The request body is
 * `{"context": {...}}` (`application/json`, at most 64 KiB); the header `x-cutover-environment`
 * adds that environment's flag sets to the environment-less ones.
 *
 * @param flags - the flag sets served now (read at each request: a push takes effect at once).
 */
export function ofrepHandler(flags: () => ServedFlags): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const bulk = path === BULK_PATH;
    const single = !bulk && path.startsWith(SINGLE_PREFIX) && path.length > SINGLE_PREFIX.length;
    if (!bulk && !single) {
      if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true });
      req.resume();
      return send(res, 404, {
        errorDetails: `no route ${req.method} ${path}: OFREP is POST ${BULK_PATH}/{key} and POST ${BULK_PATH}`,
      });
    }
    let key: string | undefined;
    if (single) {
      try {
        key = decodeURIComponent(path.slice(SINGLE_PREFIX.length));
      } catch {
        req.resume();
        return refuse(
          res,
          400,
          path.slice(SINGLE_PREFIX.length),
          'the flag key is not valid percent-encoding',
        );
      }
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, { errorDetails: 'OFREP evaluation is POST' }, { allow: 'POST' });
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return refuse(
        res,
        415,
        key,
        `expected content-type: application/json, got ${type === '' ? 'none' : type}`,
      );
    }
    const environmentHeader = req.headers[ENVIRONMENT_HEADER];
    const environment = typeof environmentHeader === 'string' ? environmentHeader : undefined;
    if (environment !== undefined && !ENVIRONMENT.test(environment)) {
      req.resume();
      return refuse(res, 400, key, `${ENVIRONMENT_HEADER}: expected an environment name (a DNS-1123 label)`);
    }
    readBody(req, (error, text) => {
      if (error !== undefined) return refuse(res, 400, key, error);
      let context: unknown = {};
      if (text !== '') {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return refuse(res, 400, key, 'the request body is not JSON: expected {"context": {...}}');
        }
        if (typeof body !== 'object' || body === null || Array.isArray(body))
          return refuse(res, 400, key, 'expected a body {"context": {...}}');
        context = (body as { context?: unknown }).context ?? {};
      }
      const served = flags();
      if (key !== undefined) return answer(res, served.evaluate(key, context, environment));
      const result = served.evaluateAll(context, environment);
      if (result.status !== 200) return answer(res, result);
      const json = JSON.stringify(result.body);
      // A strong validator of this very answer (RFC 9110 section 8.8.3): the same flags and the
      // same context give the same bytes.
      const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
      if (matches(req.headers['if-none-match'], etag)) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
        etag,
      });
      res.end(json);
    });
  };
}

function answer(res: ServerResponse, result: OfrepAnswer): void {
  send(res, result.status, result.body);
}

/** `If-None-Match` (RFC 9110 section 13.1.2: weak comparison, `*` matches any). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

function readBody(req: IncomingMessage, done: (error: string | undefined, text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (chunk: Buffer) => {
    if (over) return;
    size += chunk.length;
    if (size > MAX_OFREP_BODY_BYTES) {
      over = true;
      done(`the request body is larger than ${MAX_OFREP_BODY_BYTES} bytes`, '');
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (!over) done(undefined, Buffer.concat(chunks).toString('utf8'));
  });
  req.on('error', () => undefined);
}
