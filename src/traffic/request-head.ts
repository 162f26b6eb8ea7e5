import {
  bytesEqualLower,
  FIELD_CONNECTION,
  FIELD_CONTENT_LENGTH,
  FIELD_EXPECT,
  FIELD_HOP,
  FIELD_HOST,
  FIELD_KEEP_ALIVE,
  FIELD_TRANSFER_ENCODING,
  FIELD_UPGRADE,
  FIELD_XF_HOST,
  FIELD_XF_PROTO,
  FIELD_XFF,
} from './forwarded-headers.js';
import {
  CONNECTION_CLOSE,
  CONNECTION_KEEP_ALIVE,
  CR,
  connectionTokens,
  DROP,
  endsWithChunked,
  FieldLines,
  KIND,
  LF,
  parseContentLength,
  SP,
  TOKEN,
  VALUE_END,
  VALUE_START,
} from './head-fields.js';

/** The request has no body. */
export const BODY_NONE = 0;
/** The body is `contentLength` bytes. */
export const BODY_LENGTH = 1;
/** The body is chunked (RFC 9112 section 7.1). */
const BODY_CHUNKED = 2;

/** Methods RFC 9110 section 9.2.2 defines as idempotent: safe to send twice. */
const IDEMPOTENT = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

/**
 * Scratch space of {@link RequestHead.parse}, shared by every connection: a parse is
 * synchronous and nothing of it is read afterwards, so one per process saves ~3 KiB per open
 * connection (a thousand idle WebSockets hold a thousand connections).
 */
const FIELDS = new FieldLines();
const NAMED: string[] = [];

/**
 * A parsed client request head and the head to send upstream, produced by {@link RequestHead.parse}
 * from the bytes of a received buffer. One instance per client connection, reused for each request.
 *
 * Rewriting (RFC 9110 section 7.6.1, the policy of forwarded-headers.ts): `Connection` and every
 * field it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Upgrade`, `Trailer` and `Expect` are
 * removed (a protocol upgrade is re-emitted as `Connection: upgrade` and `Upgrade`); `Transfer-Encoding` is kept because the chunked body is forwarded unchanged; the
 * client's `X-Forwarded-For` lines become one line with the client address appended;
 * `X-Forwarded-Proto: http` and `X-Forwarded-Host: <Host>` are added when absent. The request line
 * is forwarded as received, as HTTP/1.1 (the upstream hop is always HTTP/1.1 with keep-alive).
 */
export class RequestHead {
  /**
   * The head to write upstream (latin1), ending with the empty line when {@link hasHost}; without
   * Host (HTTP/1.0) it ends after the last field line and the sender adds the endpoint's Host.
   */
  upstreamHead = '';
  /** The client sent Host. */
  hasHost = false;
  /** HEAD request: the response has no body whatever its headers say. */
  isHead = false;
  /** RFC 9110 section 9.2.2. */
  idempotent = false;
  /** The client spoke HTTP/1.0 (no chunked responses, keep-alive only when asked for). */
  http10 = false;
  /** BODY_NONE, BODY_LENGTH or BODY_CHUNKED. */
  bodyKind = BODY_NONE;
  /** Body length for BODY_LENGTH, bytes. */
  contentLength = 0;
  /** The client connection may carry another request after this one (RFC 9112 section 9.3). */
  keepAlive = true;
  /** `Expect: 100-continue`: the client waits for `100 Continue` before it sends the body. */
  expectContinue = false;
  /**
   * The protocol the client asks to switch to (`Upgrade`, named in `Connection`, HTTP/1.1, no
   * body), e.g. `websocket`; '' for an ordinary request. Re-emitted upstream with
   * `Connection: upgrade`; a `101` answer turns the connection into a tunnel.
   */
  upgrade = '';
  /** {@link upgrade} is `websocket` (RFC 6455): the tunnel can be closed with a close frame. */
  websocket = false;

  /**
   * Parse the head in `buf[start, end)` (`end` from `findHeadEnd`) and build {@link upstreamHead}.
   * Rewrites the buffer's bytes in place (dropped lines, version).
   * @param clientAddress - the client's address for X-Forwarded-For.
   * @returns 0, or the status to answer before closing the connection: 400 (malformed), 417
   *   (unsupported expectation), 501 (CONNECT), 505 (HTTP version).
   */
  parse(buf: Buffer, start: number, end: number, clientAddress: string): number {
    let i = start;
    const methodStart = i;
    while (TOKEN[buf[i]!] === 1) i++;
    if (i === methodStart || buf[i] !== SP) return 400;
    const methodEnd = i++;
    const targetStart = i;
    for (let c = buf[i]!; c > SP && c !== 0x7f; c = buf[++i]!);
    if (i === targetStart || buf[i] !== SP) return 400;
    i++;
    if (end - i < 10) return 400;
    if (
      buf[i] !== 0x48 ||
      buf[i + 1] !== 0x54 ||
      buf[i + 2] !== 0x54 ||
      buf[i + 3] !== 0x50 ||
      buf[i + 4] !== 0x2f ||
      buf[i + 6] !== 0x2e ||
      buf[i + 8] !== CR ||
      buf[i + 9] !== LF
    )
      return 400;
    const major = buf[i + 5]! - 0x30;
    const minor = buf[i + 7]! - 0x30;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return 400;
    if (major !== 1) return 505;
    this.http10 = minor === 0;
    // The upstream hop is HTTP/1.1 whatever the client speaks.
    buf[i + 7] = 0x31;
    const fields = FIELDS;
    if (!fields.scan(buf, i + 10)) return 400;

    if (isMethod(buf, methodStart, methodEnd, 'CONNECT')) return 501;
    this.isHead = isMethod(buf, methodStart, methodEnd, 'HEAD');
    this.idempotent = false;
    for (const m of IDEMPOTENT) if (isMethod(buf, methodStart, methodEnd, m)) this.idempotent = true;

    const named = NAMED;
    named.length = 0;
    let connection = 0;
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let hostStart = -1;
    let hostEnd = -1;
    let xff: string | null = null;
    let proto = false;
    let forwardedHost = false;
    let upgradeStart = -1;
    let upgradeEnd = -1;
    this.expectContinue = false;
    const lines = fields.lines;
    for (let l = 0; l < fields.count * 5; l += 5) {
      const vs = lines[l + VALUE_START]!;
      const ve = lines[l + VALUE_END]!;
      switch (lines[l + KIND]) {
        case FIELD_CONTENT_LENGTH: {
          const n = parseContentLength(buf, vs, ve);
          if (n < 0 || (contentLength >= 0 && n !== contentLength)) return 400;
          contentLength = n;
          break;
        }
        case FIELD_TRANSFER_ENCODING:
          transferEncoding = true;
          chunked = endsWithChunked(buf, vs, ve);
          break;
        case FIELD_CONNECTION:
          connection |= connectionTokens(buf, vs, ve, named);
          lines[l + KIND] = DROP;
          break;
        case FIELD_UPGRADE:
          upgradeStart = vs;
          upgradeEnd = ve;
          lines[l + KIND] = DROP;
          break;
        case FIELD_KEEP_ALIVE:
        case FIELD_HOP:
          lines[l + KIND] = DROP;
          break;
        case FIELD_EXPECT:
          if (!bytesEqualLower(buf, vs, ve, '100-continue')) return 417;
          this.expectContinue = true;
          lines[l + KIND] = DROP;
          break;
        case FIELD_XFF: {
          // Several X-Forwarded-For lines are one list (RFC 9110 section 5.3).
          const value = buf.toString('latin1', vs, ve);
          xff = xff === null ? value : `${xff}, ${value}`;
          lines[l + KIND] = DROP;
          break;
        }
        case FIELD_XF_PROTO:
          proto = true;
          break;
        case FIELD_XF_HOST:
          forwardedHost = true;
          break;
        case FIELD_HOST:
          if (hostStart >= 0) return 400;
          hostStart = vs;
          hostEnd = ve;
          break;
      }
    }
    // RFC 9112 section 3.2: a 1.1 request without Host is answered 400.
    if (hostStart < 0 && !this.http10) return 400;
    // RFC 9112 section 6.3: the chunked coding must be last; with both framings, reject (smuggling).
    if (transferEncoding && (!chunked || contentLength >= 0)) return 400;
    this.bodyKind = chunked ? BODY_CHUNKED : contentLength > 0 ? BODY_LENGTH : BODY_NONE;
    this.contentLength = Math.max(contentLength, 0);
    this.keepAlive =
      (connection & CONNECTION_CLOSE) === 0 && (!this.http10 || (connection & CONNECTION_KEEP_ALIVE) !== 0);

    // RFC 9110 section 7.8: Upgrade counts only when Connection names it; never on HTTP/1.0.
    this.upgrade =
      upgradeStart >= 0 &&
      upgradeEnd > upgradeStart &&
      !this.http10 &&
      this.bodyKind === BODY_NONE &&
      named.includes('upgrade')
        ? buf.toString('latin1', upgradeStart, upgradeEnd)
        : '';
    this.websocket = this.upgrade !== '' && bytesEqualLower(buf, upgradeStart, upgradeEnd, 'websocket');
    if (named.length > 0) fields.dropNamed(buf, named);
    const fieldsEnd = fields.compact(buf);
    let head = buf.toString('latin1', methodStart, fieldsEnd);
    if (this.upgrade !== '') head += `connection: upgrade\r\nupgrade: ${this.upgrade}\r\n`;
    if (!named.includes('x-forwarded-for'))
      head +=
        xff === null
          ? `x-forwarded-for: ${clientAddress}\r\n`
          : `x-forwarded-for: ${xff}, ${clientAddress}\r\n`;
    if (!proto && !named.includes('x-forwarded-proto')) head += 'x-forwarded-proto: http\r\n';
    if (!forwardedHost && hostStart >= 0 && !named.includes('x-forwarded-host'))
      head += `x-forwarded-host: ${buf.toString('latin1', hostStart, hostEnd)}\r\n`;
    this.hasHost = hostStart >= 0;
    this.upstreamHead = this.hasHost ? `${head}\r\n` : head;
    return 0;
  }
}

/** Methods are case-sensitive (RFC 9110 section 9.1). */
function isMethod(buf: Buffer, start: number, end: number, method: string): boolean {
  if (end - start !== method.length) return false;
  for (let k = 0; k < method.length; k++) if (buf[start + k] !== method.charCodeAt(k)) return false;
  return true;
}
