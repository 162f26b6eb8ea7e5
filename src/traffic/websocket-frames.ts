import { randomFillSync } from 'node:crypto';

/** Close frame with status 1001 "going away" (RFC 6455 section 7.4.1), unmasked: server to client. */
export const CLOSE_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

/**
 * Close frame with status 1001, masked with a fresh key as RFC 6455 section 5.3 requires of frames
 * sent to a server.
 */
export function maskedCloseGoingAway(): Buffer {
  const frame = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9]);
  randomFillSync(frame, 2, 4);
  frame[6]! ^= frame[2]!;
  frame[7]! ^= frame[3]!;
  return frame;
}

/** Longest frame header: 2 bytes, 8 of extended length, 4 of masking key (RFC 6455 section 5.2). */
const MAX_HEADER_BYTES = 14;

/**
 * Follows the frame boundaries of one direction of a WebSocket connection (RFC 6455 section 5.2)
 * without buffering or decoding payloads: only frame headers are read, so that the router can
 * insert a close frame between two frames when it closes a tunnel. Bytes are passed to
 * {@link feed} in order, as they are forwarded.
 */
export class WebSocketFrames {
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  /** Bytes of a frame header split across reads (at most 13 kept). */
  #header: Buffer | null = null;

  /** Whether the bytes fed so far end exactly at a frame boundary. */
  get atBoundary(): boolean {
    return this.#remaining === 0 && this.#header === null;
  }

  /** Account for `chunk`, the next bytes of the direction. */
  feed(chunk: Buffer): void {
    let buf = chunk;
    let i = 0;
    if (this.#header !== null) {
      buf = Buffer.concat([this.#header, chunk.subarray(0, MAX_HEADER_BYTES)]);
      const used = this.#header.length;
      this.#header = null;
      const after = this.#frameHeader(buf, 0);
      if (after < 0) {
        this.#header = buf;
        return;
      }
      buf = chunk;
      i = after - used;
    }
    const length = buf.length;
    while (i < length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, length - i);
        this.#remaining -= n;
        i += n;
        continue;
      }
      const after = this.#frameHeader(buf, i);
      if (after < 0) {
        this.#header = Buffer.from(buf.subarray(i));
        return;
      }
      i = after;
    }
  }

  /**
   * Read the frame header at `buf[i]`, setting the payload length to come.
   * @returns the index after the header, or -1 when the header is not complete in `buf`.
   */
  #frameHeader(buf: Buffer, i: number): number {
    if (buf.length - i < 2) return -1;
    const second = buf[i + 1]!;
    const length7 = second & 0x7f;
    const size = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
    if (buf.length - i < size) return -1;
    let payload = length7;
    if (length7 === 126) payload = buf.readUInt16BE(i + 2);
    // A 63-bit length: beyond 2^53 the count is approximate, which only a hostile peer sends.
    else if (length7 === 127) payload = buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
    this.#remaining = payload;
    return i + size;
  }
}
