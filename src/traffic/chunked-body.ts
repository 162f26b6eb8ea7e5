/**
 * Incremental scanner of the chunked transfer coding (RFC 9112 section 7.1), used by the proxy to
 * find where a chunked body ends while it forwards the bytes unchanged, and to decode the body for
 * an HTTP/1.0 client (which cannot receive chunked framing).
 */

const S_SIZE_FIRST = 0;
const S_SIZE = 1;
const S_EXT = 2;
const S_SIZE_LF = 3;
const S_DATA = 4;
const S_DATA_CR = 5;
const S_DATA_LF = 6;
const S_TRAILER_START = 7;
const S_TRAILER = 8;
const S_TRAILER_LF = 9;
const S_END_LF = 10;
const S_DONE = 11;

/** More bytes are needed: the body did not end in the scanned range. */
const CHUNKED_MORE = -1;
/** The framing is malformed: the connection cannot be used any further. */
export const CHUNKED_MALFORMED = -2;

/** Hex digits of a chunk size; 12 (2^48 bytes) is far beyond any real chunk. */
const MAX_SIZE_DIGITS = 12;
/** Bytes of chunk extensions plus trailer fields accepted per body (they are not buffered). */
const MAX_METADATA_BYTES = 16 * 1024;

/** Receives the data bytes of a body being decoded. */
export interface ChunkSink {
  chunkData(buf: Buffer, start: number, end: number): void;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * State of one chunked body being scanned; {@link reset} before each body. One instance per
 * connection, reused: scanning allocates nothing.
 */
export class ChunkedBody {
  #state = S_SIZE_FIRST;
  #remaining = 0;
  #digits = 0;
  #metadata = 0;

  /** Start a new body. */
  reset(): void {
    this.#state = S_SIZE_FIRST;
    this.#remaining = 0;
    this.#digits = 0;
    this.#metadata = 0;
  }

  /**
   * Scan `buf[start, end)`, continuing the body where the previous call stopped.
   * @param sink - when given, receives the chunk data ranges (decoding); trailers are then dropped.
   * @returns the index just after the last byte of the body, {@link CHUNKED_MORE} when the body
   *   continues past `end`, or {@link CHUNKED_MALFORMED}.
   */
  scan(buf: Buffer, start: number, end: number, sink: ChunkSink | null): number {
    let i = start;
    let state = this.#state;
    while (i < end) {
      if (state === S_DATA) {
        const n = Math.min(this.#remaining, end - i);
        if (sink !== null) sink.chunkData(buf, i, i + n);
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) state = S_DATA_CR;
        continue;
      }
      const c = buf[i++]!;
      switch (state) {
        case S_SIZE_FIRST:
        case S_SIZE: {
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return this.#fail();
            this.#remaining = this.#remaining * 16 + v;
            state = S_SIZE;
          } else if (state === S_SIZE && (c === 0x3b || c === 0x20 || c === 0x09)) {
            state = S_EXT; // chunk-ext, with BWS before ';' (RFC 9112 section 7.1.1)
          } else if (state === S_SIZE && c === 0x0d) {
            state = S_SIZE_LF;
          } else return this.#fail();
          break;
        }
        case S_EXT:
          if (c === 0x0d) state = S_SIZE_LF;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f || ++this.#metadata > MAX_METADATA_BYTES)
            return this.#fail();
          break;
        case S_SIZE_LF:
          if (c !== 0x0a) return this.#fail();
          this.#digits = 0;
          state = this.#remaining === 0 ? S_TRAILER_START : S_DATA;
          break;
        case S_DATA_CR:
          if (c !== 0x0d) return this.#fail();
          state = S_DATA_LF;
          break;
        case S_DATA_LF:
          if (c !== 0x0a) return this.#fail();
          state = S_SIZE_FIRST;
          break;
        case S_TRAILER_START:
          if (c === 0x0d) state = S_END_LF;
          else if (c < 0x21 || c === 0x7f) return this.#fail();
          else state = S_TRAILER;
          break;
        case S_TRAILER:
          if (c === 0x0d) state = S_TRAILER_LF;
          else if ((c < 0x20 && c !== 0x09) || c === 0x7f || ++this.#metadata > MAX_METADATA_BYTES)
            return this.#fail();
          break;
        case S_TRAILER_LF:
          if (c !== 0x0a) return this.#fail();
          state = S_TRAILER_START;
          break;
        case S_END_LF:
          if (c !== 0x0a) return this.#fail();
          this.#state = S_DONE;
          return i;
        default:
          return this.#fail();
      }
    }
    this.#state = state;
    return CHUNKED_MORE;
  }

  #fail(): number {
    this.#state = S_DONE;
    return CHUNKED_MALFORMED;
  }
}
