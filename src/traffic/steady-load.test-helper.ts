import { Agent, request } from 'undici';

/** Result of a {@link steadyLoad} run. */
export interface SteadyLoadResult {
  ok: number;
  failed: number;
  /** Responses per `x-version` header value. */
  versions: Map<string, number>;
  failures: string[];
}

/**
 * Test helper: `concurrency` keep-alive loops sending GET requests to `url` until `stop()`; a
 * request fails on a network error or a non-2xx status.
 */
export function steadyLoad(
  url: string,
  concurrency: number,
): { stop: () => Promise<SteadyLoadResult>; result: SteadyLoadResult } {
  const dispatcher = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
  const result: SteadyLoadResult = { ok: 0, failed: 0, versions: new Map(), failures: [] };
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(url, { dispatcher, headersTimeout: 20_000, bodyTimeout: 20_000 });
        await res.body.text();
        const v = String(res.headers['x-version'] ?? '');
        result.versions.set(v, (result.versions.get(v) ?? 0) + 1);
        if (res.statusCode >= 200 && res.statusCode < 300) result.ok++;
        else {
          result.failed++;
          result.failures.push(`status ${res.statusCode}`);
        }
      } catch (err) {
        result.failed++;
        result.failures.push(String(err));
      }
    }
  };
  const loops = Array.from({ length: concurrency }, () => loop());
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      await dispatcher.close();
      return result;
    },
  };
}

/** Test helper: poll `check` every 20 ms until it returns true, failing after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
