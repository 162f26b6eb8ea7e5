import type { ServerResponse } from 'node:http';
import { apiVersionOf, type KindInfo, type KubeObject } from './kinds.js';
import { type ObjectStore, resourceKey, type WatchEvent } from './object-store.js';
import { status } from './status.js';

/** What a watch request asked for: the list path's kind and namespace, its selector, and the query's `resourceVersion` and `timeoutSeconds` (s). */
export type WatchRequest = {
  info: KindInfo;
  namespace: string | undefined;
  filter: (object: KubeObject) => boolean;
  resourceVersion: string | null;
  timeoutSeconds: number | undefined;
};

/**
 * Streams a watch as the API server does: HTTP 200, chunked, one `{"type","object"}` JSON a line.
 * Without `resourceVersion` (or with `"0"`) it starts with an ADDED event per existing object; with
 * one it sends every event after it, or a single ERROR event with a 410 `Expired` Status when that
 * version is older than the kept history. It ends after `timeoutSeconds`, when the client goes away,
 * or when the returned stop function is called (server shutdown). Objects that stop matching the
 * selector are not turned into DELETED events (a real server does; the simulation filters events).
 */
export function serveWatch(store: ObjectStore, request: WatchRequest, response: ServerResponse): () => void {
  const { info, namespace, filter } = request;
  response.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  // headers at once, as the API server does: a client waits for them before it reads any event
  response.flushHeaders();
  const send = (event: { type: string; object: unknown }) => response.write(`${JSON.stringify(event)}\n`);
  const sendEvent = (event: WatchEvent) => {
    if (filter(event.object))
      send({
        type: event.type,
        object: { ...event.object, apiVersion: apiVersionOf(info), kind: info.kind },
      });
  };
  const key = resourceKey(info);
  const since = request.resourceVersion;
  let backlog: WatchEvent[];
  if (since === null || since === '' || since === '0') {
    backlog = store.list(key, namespace).map((object) => ({ type: 'ADDED', object }));
  } else {
    const version = Number(since);
    const events = Number.isInteger(version) ? store.eventsAfter(key, namespace, version) : 'gone';
    if (events === 'gone') {
      send({
        type: 'ERROR',
        object: status('Expired', `too old resource version: ${since} (${store.revision})`),
      });
      response.end();
      return () => {};
    }
    backlog = events;
  }
  for (const event of backlog) sendEvent(event);
  const unsubscribe = store.subscribe(key, namespace, sendEvent);
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    unsubscribe();
    clearTimeout(timer);
    if (!response.writableEnded) response.end();
  };
  if (request.timeoutSeconds !== undefined) timer = setTimeout(stop, request.timeoutSeconds * 1000);
  response.on('close', stop);
  return stop;
}
