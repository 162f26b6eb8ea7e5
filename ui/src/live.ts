/**
 * Live updates: the server's event stream (`GET /api/v1/events/stream`, server-sent events, see
 * docs/api.md), read with `fetch` so the bearer token travels in the Authorization header rather
 * than in the URL (`?access_token=` would land in logs). A server without the stream route is
 * polled instead.
 */
import { storedToken } from './auth.js';

/**
 * What changed: something about one rollout, or (`rollout: null`) the system or unknown; `release`
 * names the release an event belongs to, when it does.
 */
export interface LiveChange {
  rollout: string | null;
  release?: string;
}

export type LiveMode = 'connecting' | 'sse' | 'polling';

export interface LiveOptions {
  /** Called for every message of the stream, and with `null` (anything may have changed) on each poll. */
  onChange: (change: LiveChange | null) => void;
  onMode: (mode: LiveMode) => void;
  /** Polling period when the stream is unavailable, ms. @default 1500 */
  pollMs?: number;
  /** Delay before reconnecting a dropped stream, ms. @default 1000 */
  reconnectMs?: number;
}

const STREAM_PATH = '/api/v1/events/stream';

/** Starts listening; returns a function that stops it. */
export function startLive(options: LiveOptions): () => void {
  const pollMs = options.pollMs ?? 1500;
  const reconnectMs = options.reconnectMs ?? 1000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  let lastEventId: string | undefined;

  const poll = () => {
    if (stopped) return;
    options.onChange(null);
    timer = setTimeout(poll, pollMs);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    controller = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = storedToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    try {
      const res = await fetch(STREAM_PATH, { headers, signal: controller.signal, cache: 'no-store' });
      const type = res.headers.get('content-type') ?? '';
      if (!res.ok || !type.startsWith('text/event-stream') || !res.body) {
        void res.body?.cancel();
        options.onMode('polling');
        poll();
        return;
      }
      options.onMode('sse');
      // Anything that happened while (re)connecting is picked up by one refresh.
      options.onChange(null);
      await readStream(res.body, (event, id, data) => {
        if (id !== undefined) lastEventId = id;
        options.onChange(changeOf(event, data));
      });
    } catch {
      // Dropped or aborted; reconnect below unless stopped.
    }
    if (!stopped) {
      options.onMode('connecting');
      timer = setTimeout(() => void connect(), reconnectMs);
    }
  };

  options.onMode('connecting');
  void connect();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    controller?.abort();
  };
}

/**
 * `rollout-event` carries an event of the log (`rollout` names its Rollout, `release` its release
 * when it has one), `rollout` a Rollout whose status changed (`metadata.name`).
 */
function changeOf(event: string, data: string): LiveChange | null {
  try {
    const value = JSON.parse(data) as { rollout?: unknown; release?: unknown; metadata?: { name?: unknown } };
    if (event === 'rollout' && typeof value.metadata?.name === 'string')
      return { rollout: value.metadata.name };
    const release = typeof value.release === 'string' ? { release: value.release } : {};
    if (typeof value.rollout === 'string' || value.rollout === null)
      return { rollout: value.rollout, ...release };
    if (release.release !== undefined) return { rollout: null, ...release };
  } catch {
    // Not JSON: refresh everything.
  }
  return null;
}

/**
 * Reads a `text/event-stream` body (WHATWG HTML, "Server-sent events": lines, `data:` fields joined
 * by newlines, an empty line dispatches, `:` starts a comment) and calls `dispatch` per message.
 */
async function readStream(
  body: ReadableStream<Uint8Array>,
  dispatch: (event: string, id: string | undefined, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let id: string | undefined;
  let event = 'message';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (data.length > 0) dispatch(event, id, data.join('\n'));
        data = [];
        event = 'message';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const raw = colon === -1 ? '' : line.slice(colon + 1);
      const text = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'data') data.push(text);
      else if (field === 'id') id = text;
      else if (field === 'event') event = text;
    }
  }
}
