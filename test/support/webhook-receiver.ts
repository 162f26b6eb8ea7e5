import { createServer } from 'node:http';

/** A notification as a local webhook receiver got it. */
export interface ReceivedHook {
  url: string;
  body: Record<string, unknown>;
}

/**
 * A webhook receiver on a free loopback port: every POST's JSON body is kept in `received`, in
 * order. `base` is `http://127.0.0.1:PORT`; `close()` stops it.
 */
export async function startWebhookReceiver(): Promise<{
  base: string;
  received: ReceivedHook[];
  close: () => void;
}> {
  const received: ReceivedHook[] = [];
  const receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  return { base, received, close: () => receiver.close() };
}
