// A WebSocket echo endpoint for cutover's sample service (RFC 6455, written out so the sample needs
// no dependency): the handshake, then every data frame the client sends comes back unchanged
// (opcode, FIN and payload, so fragmented messages echo as sent), pings are answered, and a close
// frame is answered with the same status before the socket ends. On open the server sends one text
// message: "hello from <VERSION> <replica>".
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest frame payload accepted, bytes; a larger one closes the connection with 1009. */
const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** One server-to-client frame (unmasked). */
function frame(opcode, payload, fin = true) {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

function closePayload(code) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code, 0);
  return b;
}

/**
 * Answer an HTTP `upgrade` event of node:http with a WebSocket echo.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:net').Socket} socket
 * @param {Buffer} head - bytes received after the request head
 * @param {string} greeting - the first text message sent to the client
 */
export function acceptEchoWebSocket(req, socket, head, greeting) {
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.setNoDelay(true);
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
  );
  socket.write(frame(0x1, Buffer.from(greeting)));
  let buf = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
  let closing = false;
  const onBytes = () => {
    for (;;) {
      if (buf.length < 2) return;
      const fin = (buf[0] & 0x80) !== 0;
      const opcode = buf[0] & 0x0f;
      const masked = (buf[1] & 0x80) !== 0;
      let length = buf[1] & 0x7f;
      let at = 2;
      if (length === 126) {
        if (buf.length < 4) return;
        length = buf.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (buf.length < 10) return;
        length = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      if (!masked || length > MAX_PAYLOAD_BYTES) {
        socket.end(frame(0x8, closePayload(masked ? 1009 : 1002)));
        closing = true;
        return;
      }
      if (buf.length < at + 4 + length) return;
      const mask = buf.subarray(at, at + 4);
      const payload = Buffer.from(buf.subarray(at + 4, at + 4 + length));
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      buf = buf.subarray(at + 4 + length);
      if (closing) continue;
      if (opcode === 0x8) {
        closing = true;
        socket.end(frame(0x8, payload.subarray(0, 2)));
        return;
      }
      if (opcode === 0x9) socket.write(frame(0xa, payload));
      else if (opcode !== 0xa) socket.write(frame(opcode, payload, fin));
    }
  };
  socket.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    onBytes();
  });
  socket.on('error', () => undefined);
  if (buf.length > 0) onBytes();
}
