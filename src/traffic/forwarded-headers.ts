/**
 * Header rewriting of the reverse proxy, on the hot path.
 *
 * Hop-by-hop fields are not forwarded: RFC 9110 section 7.6.1 says a proxy MUST remove
 * `Connection` and every field it names, and SHOULD remove `Proxy-Connection`, `Keep-Alive`, `TE`,
 * `Transfer-Encoding` and `Upgrade` (section 7.6.1 lists them as commonly hop-by-hop). `Trailer`
 * only describes the framing of this hop, and `Expect: 100-continue` is answered by the router
 * itself, so both are dropped too. The proxy forwards chunked bodies byte for byte, so its byte
 * form keeps `Transfer-Encoding` (the framing it re-emits is exactly the one received) unless it
 * decodes the body for an HTTP/1.0 client.
 *
 * Two forms of the same policy: the name/value-list form below ({@link forwardRequestHeaders},
 * {@link forwardResponseHeaders}, names classified once per distinct spelling and cached) and the
 * byte form used by the proxy's hot path ({@link fieldKind}: classifies a name inside a received
 * buffer by length and a case-insensitive byte compare, without allocating a string).
 */

/** Byte-form field kinds, see {@link fieldKind}. */
const FIELD_OTHER = 0;
/** Hop-by-hop: never forwarded (Proxy-Connection, TE, Trailer). */
export const FIELD_HOP = 1;
export const FIELD_XFF = 2;
export const FIELD_XF_PROTO = 3;
export const FIELD_XF_HOST = 4;
export const FIELD_HOST = 5;
export const FIELD_CONNECTION = 6;
/** Hop-by-hop; its `timeout=` parameter bounds how long an idle upstream socket may be reused. */
export const FIELD_KEEP_ALIVE = 7;
export const FIELD_CONTENT_LENGTH = 8;
/**
 * Hop-by-hop framing: the proxy re-emits exactly the framing it received (it forwards chunked bytes
 * unchanged), so the field is kept when the body is passed through raw and dropped when decoded.
 */
export const FIELD_TRANSFER_ENCODING = 9;
/** Answered by the router itself (100-continue), never forwarded. */
export const FIELD_EXPECT = 10;
/**
 * Hop-by-hop, but a request that names it in `Connection` asks to switch protocols (a WebSocket
 * handshake): the router re-emits it upstream and tunnels the connection after `101`.
 */
export const FIELD_UPGRADE = 11;
/**
 * End-to-end and forwarded unchanged; in a response, the feature flag variants the service
 * answered with, recorded per variant by the router (see `variant-recorders.ts`).
 */
export const FIELD_FLAG_VARIANT = 12;

const BYTE_FIELDS: readonly [string, number][] = [
  ['connection', FIELD_CONNECTION],
  ['proxy-connection', FIELD_HOP],
  ['keep-alive', FIELD_KEEP_ALIVE],
  ['te', FIELD_HOP],
  ['transfer-encoding', FIELD_TRANSFER_ENCODING],
  ['upgrade', FIELD_UPGRADE],
  ['trailer', FIELD_HOP],
  ['expect', FIELD_EXPECT],
  ['x-forwarded-for', FIELD_XFF],
  ['x-forwarded-proto', FIELD_XF_PROTO],
  ['x-forwarded-host', FIELD_XF_HOST],
  ['host', FIELD_HOST],
  ['content-length', FIELD_CONTENT_LENGTH],
  // A service's answer naming the feature flag variants it used (see variant-recorders.ts).
  ['x-cutover-flag-variant', FIELD_FLAG_VARIANT],
];

/** Candidate names per length, as lower-case bytes. */
const BY_LENGTH: { name: Uint8Array; kind: number }[][] = [];
for (const [name, kind] of BYTE_FIELDS) {
  const list = BY_LENGTH[name.length] ?? [];
  list.push({ name: Buffer.from(name, 'latin1'), kind });
  BY_LENGTH[name.length] = list;
}

/**
 * Kind of the field whose name is `buf[start, end)`, one of the `FIELD_*` constants.
 * The bytes must already be validated as a token (RFC 9110 section 5.6.2): then `| 0x20` folds
 * exactly the upper-case letters, and no other token byte can fold into a letter or `-`.
 */
export function fieldKind(buf: Uint8Array, start: number, end: number): number {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return FIELD_OTHER;
  next: for (const { name, kind } of candidates) {
    for (let i = 0; i < name.length; i++) if ((buf[start + i]! | 0x20) !== name[i]) continue next;
    return kind;
  }
  return FIELD_OTHER;
}

const KIND_FORWARD = 0;
const KIND_DROP = 1;
const KIND_XFF = 2;
const KIND_XF_PROTO = 3;
const KIND_XF_HOST = 4;
const KIND_HOST = 5;
const KIND_CONNECTION = 6;

/** The string form's kind of each field of the table (framing fields are dropped in that form). */
const STRING_KINDS = new Map<string, number>(
  BYTE_FIELDS.map(([name, kind]) => {
    switch (kind) {
      case FIELD_XFF:
        return [name, KIND_XFF];
      case FIELD_XF_PROTO:
        return [name, KIND_XF_PROTO];
      case FIELD_XF_HOST:
        return [name, KIND_XF_HOST];
      case FIELD_HOST:
        return [name, KIND_HOST];
      case FIELD_CONNECTION:
        return [name, KIND_CONNECTION];
      case FIELD_CONTENT_LENGTH:
      case FIELD_FLAG_VARIANT:
        return [name, KIND_FORWARD];
      default:
        return [name, KIND_DROP];
    }
  }),
);

/** Bound on the cache so that random header names sent by a client cannot grow it forever. */
const CACHE_LIMIT = 2048;
const kinds = new Map<string, number>();

function classify(name: string): number {
  let kind = kinds.get(name);
  if (kind !== undefined) return kind;
  kind = STRING_KINDS.get(name.toLowerCase()) ?? KIND_FORWARD;
  if (kinds.size < CACHE_LIMIT) kinds.set(name, kind);
  return kind;
}

/** Whether `buf[start, end)` equals the lower-case ASCII `lower`, ignoring case. */
export function bytesEqualLower(buf: Uint8Array, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((buf[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
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
