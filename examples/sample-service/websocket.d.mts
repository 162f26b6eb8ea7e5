import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** Answer an HTTP `upgrade` event with a WebSocket echo that first sends `greeting`. */
export function acceptEchoWebSocket(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  greeting: string,
): void;
