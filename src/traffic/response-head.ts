import {
  bytesEqualLower,
  FIELD_CONNECTION,
  FIELD_CONTENT_LENGTH,
  FIELD_FLAG_VARIANT,
  FIELD_HOP,
  FIELD_KEEP_ALIVE,
  FIELD_TRANSFER_ENCODING,
  FIELD_UPGRADE,
} from './forwarded-headers.js';
import {
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CR,
  connectionTokens,
  DROP,
  endsWithChunked,
  FieldLines,
  HTAB,
  KIND,
  LF,
  parseContentLength,
  SP,
  VALUE_END,
  VALUE_START,
} from './head-fields.js';

/** No body: HEAD request, 1xx, 204, 304 or `Content-Length: 0` (RFC 9112 section 6.3). */
export const FRAMING_NONE = 0;
/** `contentLength` bytes. */
export const FRAMING_LENGTH = 1;
/** Chunked, ends with the last chunk and trailers. */
export const FRAMING_CHUNKED = 2;
/** Delimited by the upstream closing the connection. */
export const FRAMING_CLOSE = 3;

/**
 * Scratch space of {@link ResponseHead.parse}, shared by every connection: a parse is
 * synchronous and nothing of it is read afterwards, so one per process saves ~3 KiB per open
 * connection (a thousand idle WebSockets hold a thousand connections).
 */
const FIELDS = new FieldLines();
const NAMED: string[] = [];

/**
 * A parsed upstream response head, produced by {@link ResponseHead.parse} from the bytes of a
 * received buffer and rewritten in place for the client: the status line says HTTP/1.1, and
 * `Connection` with the fields it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Upgrade` and
 * `Trailer` are removed (RFC 9110 section 7.6.1; the sender of a `101` adds `Connection: upgrade`
 * and the {@link ResponseHead.upgrade} back). `Transfer-Encoding` is kept when the chunked body
 * is forwarded unchanged and removed when it is decoded for an HTTP/1.0 client; `Content-Length`
 * next to `Transfer-Encoding` is removed (RFC 9112 section 6.3: the coding wins). One instance per
 * client connection, reused.
 */
export class ResponseHead {
  /** Status code, 100..999. */
  status = 0;
  /** FRAMING_*. */
  framing = FRAMING_NONE;
  /** Body length for FRAMING_LENGTH, bytes. */
  contentLength = 0;
  /** The upstream lets the connection be reused after this response. */
  keepAlive = true;
  /** The upstream's `Keep-Alive: timeout=N`, ms, or -1. */
  keepAliveTimeoutMs = -1;
  /** After parse: index of the CR of the empty line that ends the rewritten head. */
  fieldsEnd = 0;
  /** The `Upgrade` value of a `101 Switching Protocols` (the protocol switched to), else ''. */
  upgrade = '';
  /**
   * The `x-cutover-flag-variant` value (its lines joined with `,`), else ''. Forwarded unchanged;
   * the router records the response per variant it names.
   */
  flagVariant = '';

  /**
   * Parse the head in `buf[start, end)` (`end` from `findHeadEnd`) and rewrite it in place.
   * @param isHead - the request was HEAD: no body follows.
   * @param decodeChunked - the body will be decoded (HTTP/1.0 client): drop Transfer-Encoding.
   * @returns false when the head is malformed.
   */
  parse(buf: Buffer, start: number, end: number, isHead: boolean, decodeChunked: boolean): boolean {
    const i = start;
    if (
      end - i < 16 ||
      buf[i] !== 0x48 ||
      buf[i + 1] !== 0x54 ||
      buf[i + 2] !== 0x54 ||
      buf[i + 3] !== 0x50 ||
      buf[i + 4] !== 0x2f ||
      buf[i + 5] !== 0x31 ||
      buf[i + 6] !== 0x2e ||
      buf[i + 8] !== SP
    )
      return false;
    const minor = buf[i + 7]!;
    if (minor !== 0x30 && minor !== 0x31) return false;
    const http10 = minor === 0x30;
    buf[i + 7] = 0x31;
    let status = 0;
    for (let k = 9; k < 12; k++) {
      const d = buf[i + k]! - 0x30;
      if (d < 0 || d > 9) return false;
      status = status * 10 + d;
    }
    if (status < 100) return false;
    let j = i + 12;
    if (buf[j] === SP) {
      j++;
      for (let c = buf[j]!; c !== CR; c = buf[++j]!) if ((c < SP && c !== HTAB) || c === 0x7f) return false;
    }
    if (buf[j] !== CR || buf[j + 1] !== LF) return false;
    const fields = FIELDS;
    if (!fields.scan(buf, j + 2)) return false;
    this.status = status;

    const named = NAMED;
    named.length = 0;
    let connection = 0;
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    this.keepAliveTimeoutMs = -1;
    this.upgrade = '';
    this.flagVariant = '';
    const lines = fields.lines;
    for (let l = 0; l < fields.count * 5; l += 5) {
      const vs = lines[l + VALUE_START]!;
      const ve = lines[l + VALUE_END]!;
      switch (lines[l + KIND]) {
        case FIELD_CONTENT_LENGTH: {
          const n = parseContentLength(buf, vs, ve);
          if (n < 0 || (contentLength >= 0 && n !== contentLength)) return false;
          contentLength = n;
          break;
        }
        case FIELD_TRANSFER_ENCODING:
          transferEncoding = true;
          chunked = endsWithChunked(buf, vs, ve);
          if (decodeChunked) lines[l + KIND] = DROP;
          break;
        case FIELD_CONNECTION:
          connection |= connectionTokens(buf, vs, ve, named);
          lines[l + KIND] = DROP;
          break;
        case FIELD_KEEP_ALIVE:
          this.keepAliveTimeoutMs = keepAliveTimeout(buf, vs, ve);
          lines[l + KIND] = DROP;
          break;
        case FIELD_UPGRADE:
          if (status === 101) this.upgrade = buf.toString('latin1', vs, ve);
          lines[l + KIND] = DROP;
          break;
        case FIELD_HOP:
          lines[l + KIND] = DROP;
          break;
        case FIELD_FLAG_VARIANT: {
          // A string only for a response that carries the header: the service opted in.
          const value = buf.toString('latin1', vs, ve);
          this.flagVariant = this.flagVariant === '' ? value : `${this.flagVariant},${value}`;
          break;
        }
      }
    }
    if (transferEncoding && contentLength >= 0) {
      for (let l = 0; l < fields.count * 5; l += 5)
        if (lines[l + KIND] === FIELD_CONTENT_LENGTH) lines[l + KIND] = DROP;
    }
    if (isHead || status < 200 || status === 204 || status === 304) this.framing = FRAMING_NONE;
    else if (transferEncoding) this.framing = chunked ? FRAMING_CHUNKED : FRAMING_CLOSE;
    else if (contentLength >= 0) this.framing = contentLength === 0 ? FRAMING_NONE : FRAMING_LENGTH;
    else this.framing = FRAMING_CLOSE;
    this.contentLength = Math.max(contentLength, 0);
    this.keepAlive =
      this.framing !== FRAMING_CLOSE &&
      (connection & CONNECTION_CLOSE) === 0 &&
      (!http10 || (connection & CONNECTION_KEEP_ALIVE) !== 0);
    if (named.length > 0) fields.dropNamed(buf, named);
    this.fieldsEnd = fields.compact(buf);
    return true;
  }
}

/** `timeout=N` of a Keep-Alive value, ms, or -1. */
function keepAliveTimeout(buf: Buffer, start: number, end: number): number {
  for (let i = start; i + 8 <= end; i++) {
    const before = i === start ? SP : buf[i - 1];
    if (before !== SP && before !== HTAB && before !== 0x2c && before !== 0x3b) continue;
    if (!bytesEqualLower(buf, i, i + 8, 'timeout=')) continue;
    let n = -1;
    for (let k = i + 8; k < end && buf[k]! >= 0x30 && buf[k]! <= 0x39 && n < 1e6; k++)
      n = (n < 0 ? 0 : n * 10) + (buf[k]! - 0x30);
    return n < 0 ? -1 : n * 1000;
  }
  return -1;
}
