import { createServer } from 'node:net';
import { PortAllocationError } from '../errors.js';

/** Ports handed out recently, so two replicas starting together never get the same one. */
const recent = new Map<number, number>();
const RECENT_MS = 60_000;

function tryOnce(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port that is free on `host` now (the OS picks it), not handed out by this process in the
 * last minute. Another process may still take it before the replica binds it; the replica then
 * crashes and is restarted on the same port, as a container would.
 * @throws PortAllocationError after 20 attempts.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  for (const [port, at] of recent) if (now - at > RECENT_MS) recent.delete(port);
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const port = await tryOnce(host);
      if (port > 0 && !recent.has(port)) {
        recent.set(port, now);
        return port;
      }
    } catch (err) {
      if (attempt === 19) throw new PortAllocationError({ cause: err });
    }
  }
  throw new PortAllocationError();
}
