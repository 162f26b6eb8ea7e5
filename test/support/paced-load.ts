import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';

/** One request of a {@link pacedLoad} run. */
interface PacedSample {
  /** When it was sent, ms since the epoch. */
  sentAt: number;
  /** When it completed or failed, ms since the epoch. */
  doneAt: number;
  /** When the connection it went out on was opened, ms since the epoch. */
  connectedAt: number;
  /** 2xx. */
  ok: boolean;
  /** HTTP status, or the error code (`ECONNREFUSED`, `ECONNRESET`...). */
  outcome: string;
}

/** A running {@link pacedLoad}. */
export interface PacedLoad {
  readonly samples: readonly PacedSample[];
  /** Stop sending, wait for what is in flight, close the connections. */
  stop(): Promise<PacedSample[]>;
}

const born = new WeakMap<Socket, number>();

/**
 * Test and benchmark load: `method` (default GET) requests to `http://127.0.0.1:<port><path>` at `rate` req/s over at
 * most `connections` keep-alive connections (node:http's Agent, no retry of any kind), recording
 * for each request when it was sent, when it ended, how, and when its connection was opened, so a
 * failure can be attributed to the connection it used.
 */
export function pacedLoad(
  port: number,
  rate: number,
  connections = 16,
  path = '/',
  method = 'GET',
): PacedLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const samples: PacedSample[] = [];
  let inFlight = 0;
  let running = true;
  let drained: (() => void) | null = null;
  const one = (): void => {
    const sentAt = Date.now();
    let connectedAt = sentAt;
    inFlight++;
    const done = (ok: boolean, outcome: string): void => {
      samples.push({ sentAt, doneAt: Date.now(), connectedAt, ok, outcome });
      inFlight--;
      if (inFlight === 0) drained?.();
    };
    const req = request({ host: '127.0.0.1', port, path, method, agent, timeout: 20_000 }, (res) => {
      res.resume();
      res.once('end', () =>
        done((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300, String(res.statusCode)),
      );
      res.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
    });
    req.once('socket', (socket: Socket) => {
      if (!born.has(socket)) born.set(socket, Date.now());
      connectedAt = born.get(socket)!;
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => done(false, err.code ?? err.message));
    req.end();
  };
  // A tick every 10 ms sends what the rate owes since the start (no drift, no burst after a stall
  // larger than one tick's worth).
  const startedAt = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    const owed = Math.floor(((Date.now() - startedAt) / 1000) * rate) - sent;
    for (let i = 0; i < Math.min(owed, Math.ceil(rate / 50)); i++) {
      sent++;
      one();
    }
    if (owed > Math.ceil(rate / 50)) sent += owed - Math.ceil(rate / 50);
  }, 10);
  return {
    samples,
    stop: async () => {
      if (running) {
        running = false;
        clearInterval(timer);
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        agent.destroy();
      }
      return samples;
    },
  };
}
