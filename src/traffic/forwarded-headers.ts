/**
 * Header rewriting of the reverse proxy, on the hot path.
 *
 * Hop-by-hop fields are not forwarded: RFC 9110 section 7.6.1 says a proxy MUST remove
 * `Connection` and every field it names, and SHOULD remove `Proxy-Connection`, `Keep-Alive`, `TE`,
 * `Transfer-Encoding` and `Upgrade` (section 7.6.1 lists them as commonly hop-by-hop). `Trailer`
 * only describes the framing of this hop, and `Expect: 100-continue` is answered by the router's
 * own HTTP server, so both are dropped too (undici also refuses them in a request).
 *
 * Header names are classified once per distinct spelling and cached, so the per-request cost is a
 * Map lookup per field (no lower-casing, no regular expression).
 */

const KIND_FORWARD = 0;
const KIND_DROP = 1;
const KIND_XFF = 2;
const KIND_XF_PROTO = 3;
const KIND_XF_HOST = 4;
const KIND_HOST = 5;
const KIND_CONNECTION = 6;

const DROPPED = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
  'expect',
]);

/** Bound on the cache so that random header names sent by a client cannot grow it forever. */
const CACHE_LIMIT = 2048;
const kinds = new Map<string, number>();

function classify(name: string): number {
  let kind = kinds.get(name);
  if (kind !== undefined) return kind;
  const lower = name.toLowerCase();
  if (lower === 'connection') kind = KIND_CONNECTION;
  else if (DROPPED.has(lower)) kind = KIND_DROP;
  else if (lower === 'x-forwarded-for') kind = KIND_XFF;
  else if (lower === 'x-forwarded-proto') kind = KIND_XF_PROTO;
  else if (lower === 'x-forwarded-host') kind = KIND_XF_HOST;
  else if (lower === 'host') kind = KIND_HOST;
  else kind = KIND_FORWARD;
  if (kinds.size < CACHE_LIMIT) kinds.set(name, kind);
  return kind;
}

/** Tokens of a `Connection` field that name other fields (`close` / `keep-alive` name none to remove). */
function connectionTokens(value: string): string[] | null {
  let tokens: string[] | null = null;
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase();
    if (token === '' || token === 'close' || token === 'keep-alive') continue;
    if (tokens === null) tokens = [];
    tokens.push(token);
  }
  return tokens;
}

function removeNamed(out: string[], names: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (names.includes(out[i]!.toLowerCase())) continue;
    kept.push(out[i]!, out[i + 1]!);
  }
  return kept;
}

/**
 * The header list sent upstream for a client request: hop-by-hop fields removed, `Host` kept as the
 * client sent it, `X-Forwarded-For` appended with the client address, `X-Forwarded-Proto` and
 * `X-Forwarded-Host` set when the client did not send them (a proxy in front of the router did).
 *
 * @param raw - the request's `rawHeaders` (name, value, name, value...).
 * @param remoteAddress - the client's address, or undefined if the socket is already gone.
 * @returns a flat name/value list in the format undici accepts.
 */
export function forwardRequestHeaders(raw: string[], remoteAddress: string | undefined): string[] {
  const out: string[] = [];
  let xff: string | null = null;
  let proto = false;
  let forwardedHost = false;
  let host: string | null = null;
  let named: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (classify(name)) {
      case KIND_FORWARD:
        out.push(name, value);
        break;
      case KIND_DROP:
        break;
      case KIND_CONNECTION:
        named = connectionTokens(value);
        break;
      case KIND_XFF:
        // Several X-Forwarded-For lines are one list (RFC 9110 section 5.3).
        xff = xff === null ? value : `${xff}, ${value}`;
        break;
      case KIND_XF_PROTO:
        proto = true;
        out.push(name, value);
        break;
      case KIND_XF_HOST:
        forwardedHost = true;
        out.push(name, value);
        break;
      case KIND_HOST:
        host = value;
        out.push(name, value);
        break;
    }
  }
  const client = remoteAddress ?? 'unknown';
  out.push('x-forwarded-for', xff === null ? client : `${xff}, ${client}`);
  if (!proto) out.push('x-forwarded-proto', 'http');
  if (!forwardedHost && host !== null) out.push('x-forwarded-host', host);
  return named === null ? out : removeNamed(out, named);
}

/**
 * The header list sent to the client for an upstream response: hop-by-hop fields removed (the
 * router's own server frames the body and manages the client connection).
 *
 * @param raw - undici's raw response headers (name, value, ... as latin1 buffers).
 */
export function forwardResponseHeaders(raw: Buffer[]): string[] {
  const out: string[] = [];
  let named: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const kind = classify(name);
    if (kind === KIND_DROP) continue;
    const value = raw[i + 1]!.toString('latin1');
    if (kind === KIND_CONNECTION) {
      named = connectionTokens(value);
      continue;
    }
    out.push(name, value);
  }
  return named === null ? out : removeNamed(out, named);
}
