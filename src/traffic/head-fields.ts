import { bytesEqualLower, fieldKind } from './forwarded-headers.js';

/**
 * The field lines of one HTTP/1.1 message head inside a received buffer, as offsets (no strings):
 * the strict line scanner shared by {@link RequestHead} and {@link ResponseHead}, and the in-place
 * removal of the lines the proxy does not forward. One instance per connection, reused.
 *
 * Syntax is RFC 9112 section 5 without the obsolete forms a recipient may reject: no line folding,
 * no whitespace between name and colon, CRLF line endings only, no control bytes in a value.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;

/** tchar of RFC 9110 section 5.6.2. */
export const TOKEN = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) TOKEN[c] = 1;
for (const c of '"(),/:;<=>?@[\\]{}') TOKEN[c.charCodeAt(0)] = 0;

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Index just after the `CRLF CRLF` that ends a head starting at `start`, or -1 if it is not in
 * `buf` yet.
 */
export function findHeadEnd(buf: Buffer, start: number): number {
  const i = buf.indexOf(CRLFCRLF, start);
  return i < 0 ? -1 : i + 4;
}

/** Values per line in {@link FieldLines.lines}. */
const STRIDE = 5;
/** Offsets of a line, relative to its first index in {@link FieldLines.lines}. */
const NAME_START = 0;
const NAME_END = 1;
export const VALUE_START = 2;
export const VALUE_END = 3;
/** The `FIELD_*` kind; set to -1 to drop the line. */
export const KIND = 4;
export const DROP = -1;

/** The field lines of the head being parsed. */
export class FieldLines {
  /** STRIDE values per line; see NAME_START .. KIND. A line ends 2 bytes after VALUE_END's CR. */
  lines = new Int32Array(64 * STRIDE);
  /** Number of lines. */
  count = 0;
  /** Index of the first field line (just after the start line's CRLF). */
  start = 0;
  /** Index of the empty line's CR that ends the fields. */
  end = 0;

  /**
   * Scan field lines from `i` up to the empty line (which must exist before the end of `buf`:
   * call it on a head found by {@link findHeadEnd}).
   * @returns false on a syntax error.
   */
  scan(buf: Buffer, i: number): boolean {
    this.start = i;
    let n = 0;
    for (;;) {
      if (buf[i] === CR) {
        if (buf[i + 1] !== LF) return false;
        this.end = i;
        this.count = n / STRIDE;
        return true;
      }
      const nameStart = i;
      while (TOKEN[buf[i]!] === 1) i++;
      if (i === nameStart || buf[i] !== 0x3a) return false;
      const nameEnd = i++;
      while (buf[i] === SP || buf[i] === HTAB) i++;
      const valueStart = i;
      for (;;) {
        const c = buf[i]!;
        if (c === CR) break;
        if ((c < SP && c !== HTAB) || c === 0x7f) return false;
        i++;
      }
      if (buf[i + 1] !== LF) return false;
      let valueEnd = i;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
      if (n + STRIDE > this.lines.length) {
        const grown = new Int32Array(this.lines.length * 2);
        grown.set(this.lines);
        this.lines = grown;
      }
      const lines = this.lines;
      lines[n + NAME_START] = nameStart;
      lines[n + NAME_END] = nameEnd;
      lines[n + VALUE_START] = valueStart;
      lines[n + VALUE_END] = valueEnd;
      lines[n + KIND] = fieldKind(buf, nameStart, nameEnd);
      n += STRIDE;
      i += 2;
    }
  }

  /** Mark every line whose name (lower-case) is in `names` for removal. */
  dropNamed(buf: Buffer, names: readonly string[]): void {
    const lines = this.lines;
    for (let l = 0; l < this.count * STRIDE; l += STRIDE) {
      const start = lines[l + NAME_START]!;
      const len = lines[l + NAME_END]! - start;
      for (const name of names) {
        if (name.length !== len) continue;
        let same = true;
        for (let k = 0; k < len && same; k++) same = (buf[start + k]! | 0x20) === name.charCodeAt(k);
        if (same) lines[l + KIND] = DROP;
      }
    }
  }

  /**
   * Remove the lines marked {@link DROP} by moving the following bytes of the head back.
   * @returns the new index of the empty line's CR (the fields end there; `CRLF` follows).
   */
  compact(buf: Buffer): number {
    const lines = this.lines;
    let w = -1;
    for (let l = 0; l < this.count * STRIDE; l += STRIDE) {
      const start = lines[l + NAME_START]!;
      const next = l + STRIDE < this.count * STRIDE ? lines[l + STRIDE + NAME_START]! : this.end;
      if (lines[l + KIND] === DROP) {
        if (w < 0) w = start;
        continue;
      }
      if (w >= 0) {
        buf.copyWithin(w, start, next);
        w += next - start;
      }
    }
    if (w < 0) return this.end;
    buf[w] = CR;
    buf[w + 1] = LF;
    return w;
  }
}

/**
 * Parse a Content-Length value: digits only (RFC 9110 section 8.6), also as a list of identical
 * values (`5, 5`, which section 8.6 allows a recipient to accept).
 * @returns the length in bytes, or -1 when invalid.
 */
export function parseContentLength(buf: Buffer, start: number, end: number): number {
  let value = -1;
  let i = start;
  while (i < end) {
    let n = -1;
    for (let c = buf[i]!; i < end && c >= 0x30 && c <= 0x39; c = buf[++i]!) {
      n = (n < 0 ? 0 : n * 10) + (c - 0x30);
      if (n > Number.MAX_SAFE_INTEGER) return -1;
    }
    if (n < 0 || (value >= 0 && value !== n)) return -1;
    value = n;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i === end) break;
    if (buf[i] !== 0x2c) return -1;
    i++;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i === end) return -1;
  }
  return value;
}

/**
 * Whether the last transfer coding of a Transfer-Encoding value is `chunked` (RFC 9112 section
 * 6.3: otherwise a request body's length cannot be determined and a response body is read until
 * the connection closes).
 */
export function endsWithChunked(buf: Buffer, start: number, end: number): boolean {
  let i = end;
  while (i > start && buf[i - 1] !== 0x2c) i--;
  while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
  return bytesEqualLower(buf, i, end, 'chunked');
}

/** Flags of a Connection value. */
export const CONNECTION_CLOSE = 1;
export const CONNECTION_KEEP_ALIVE = 2;

/**
 * Tokens of a Connection value (RFC 9110 section 7.6.1): `close` and `keep-alive` as flags, every
 * other token (a field name to remove) pushed lower-case onto `names`.
 * @returns CONNECTION_* flags.
 */
export function connectionTokens(buf: Buffer, start: number, end: number, names: string[]): number {
  let flags = 0;
  let i = start;
  while (i < end) {
    while (i < end && (buf[i] === SP || buf[i] === HTAB || buf[i] === 0x2c)) i++;
    const s = i;
    while (i < end && buf[i] !== 0x2c) i++;
    let e = i;
    while (e > s && (buf[e - 1] === SP || buf[e - 1] === HTAB)) e--;
    if (e === s) continue;
    if (bytesEqualLower(buf, s, e, 'close')) flags |= CONNECTION_CLOSE;
    else if (bytesEqualLower(buf, s, e, 'keep-alive')) flags |= CONNECTION_KEEP_ALIVE;
    else names.push(buf.toString('latin1', s, e).toLowerCase());
  }
  return flags;
}
