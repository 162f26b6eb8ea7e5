import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/index.js';
import { rolloutResource } from './rollout-resource.js';

/** Options of {@link EventStreams}. */
export interface EventStreamOptions {
  store: Store;
  /** How often each stream reads new events and statuses, ms. @default 200 */
  pollMs?: number;
  /** Comment line sent on a quiet stream so proxies keep it open, ms. @default 15000 */
  heartbeatMs?: number;
}

/** One server-sent event (WHATWG HTML, "Server-sent events": `id`, `event`, `data` lines). */
function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The live event stream of `GET /api/v1/events/stream`: every new event as `event: rollout-event`
 * (`id:` = its id, so a reconnecting EventSource resumes after it with `Last-Event-ID`), and every
 * Rollout whose status changed as `event: rollout` (no id). Each stream polls the store; the
 * controller writes status and events in one transaction, so a reader never sees one without the
 * other.
 */
export class EventStreams {
  readonly #streams = new Set<ServerResponse>();
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  constructor(private readonly options: EventStreamOptions) {
    this.#pollMs = options.pollMs ?? 200;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /**
   * Serves one stream until the client goes away or {@link closeAll}. Starts after `Last-Event-ID`
   * (header) or `?after=`; without either, with the next event. The first frame of a new stream
   * is every Rollout (`event: rollout`), so a client starts from a complete picture.
   */
  async serve(req: FastifyRequest, reply: FastifyReply, after: number | undefined): Promise<void> {
    const { store } = this.options;
    const lastEventId = Number(req.headers['last-event-id']);
    let cursor = Number.isInteger(lastEventId) && lastEventId >= 0 ? lastEventId : after;
    if (cursor === undefined) cursor = (await store.listEvents({ limit: 1 }))[0]?.id ?? 0;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#streams.add(res);
    const statuses = new Map<string, string>();
    let closed = false;
    let lastWrite = Date.now();
    const done = new Promise<void>((resolve) => {
      res.once('close', () => {
        closed = true;
        this.#streams.delete(res);
        resolve();
      });
    });
    const send = (text: string) => {
      lastWrite = Date.now();
      res.write(text);
    };
    const poll = async () => {
      for (const r of await store.listRollouts()) {
        const status = JSON.stringify(r.status);
        if (statuses.get(r.name) !== status) {
          statuses.set(r.name, status);
          send(frame('rollout', rolloutResource(r)));
        }
      }
      // listEvents returns the most recent `limit` after the cursor: no limit that matters, so a
      // stream resumed far behind gets every event it missed, oldest first.
      for (const e of await store.listEvents({ afterId: cursor ?? 0, limit: Number.MAX_SAFE_INTEGER })) {
        send(frame('rollout-event', e, e.id));
        cursor = e.id;
      }
      if (Date.now() - lastWrite >= this.#heartbeatMs) send(': heartbeat\n\n');
    };
    while (!closed) {
      try {
        await poll();
      } catch {
        // The store is closing with the server; the stream ends with it.
        res.end();
        break;
      }
      await Promise.race([done, new Promise((r) => setTimeout(r, this.#pollMs))]);
    }
  }

  /** Ends every open stream (before the server closes: open streams would hold it). */
  closeAll(): void {
    for (const res of this.#streams) res.end();
    this.#streams.clear();
  }
}
