import { spawn } from 'node:child_process';
import { request } from 'undici';
import type { HandoffAction } from '../spec/types.js';

/** The replica a step is spoken to. */
export interface ActionTarget {
  host: string;
  /** The replica's $PORT: the default port of `httpGet`, and `$PORT` of an `exec` command. */
  port: number;
  /** Its id, `CUTOVER_REPLICA` of an `exec` command. */
  replica: string;
  rollout: string;
}

/** What a step's action answered. */
export interface ActionResult {
  /** HTTP 2xx, or exit code 0. */
  ok: boolean;
  /** The answer's body (HTTP) or standard output (exec), at most `maxBytes`. */
  body: Buffer;
  /** `HTTP 200`, `exit 1`, `timed out after 30000 ms`...: for events and the run record. */
  detail: string;
}

/** Options of {@link runHandoffAction}. */
export interface ActionOptions {
  /** Request body (HTTP) or standard input (exec): the state, for `import`. */
  input?: Buffer;
  /** Bound on the whole step, ms. */
  timeoutMs: number;
  /** Largest answer read; a larger one fails the step. Bytes. */
  maxBytes: number;
}

/** Answers longer than this are cut in `detail`, characters. */
const DETAIL_CHARS = 200;

/** Thrown inside a step when the answer passes `maxBytes`. */
class TooLargeError extends Error {}

/**
 * Carries out one handoff step against one replica: `httpGet` sends `method` (default GET) to
 * `http://<host>:<port><path>` with `headers` and the input as body; `exec` runs the command
 * (no shell) with the input on stdin and a minimal environment (`PATH`, `PORT`, `CUTOVER_REPLICA`,
 * `CUTOVER_ROLLOUT`). Never throws: a timeout, a refused connection, a non-2xx status, a non-zero
 * exit or an answer over `maxBytes` is `ok: false` with the reason in `detail`.
 */
export async function runHandoffAction(
  action: HandoffAction,
  target: ActionTarget,
  options: ActionOptions,
): Promise<ActionResult> {
  try {
    if (action.httpGet !== undefined) return await runHttp(action.httpGet, target, options);
    if (action.exec !== undefined) return await runExec(action.exec.command, target, options);
    return { ok: false, body: Buffer.alloc(0), detail: 'the step has no httpGet or exec' };
  } catch (error) {
    const detail =
      error instanceof TooLargeError
        ? error.message
        : (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError'
          ? `timed out after ${options.timeoutMs} ms`
          : (error as Error).message;
    return { ok: false, body: Buffer.alloc(0), detail };
  }
}

async function runHttp(
  http: NonNullable<HandoffAction['httpGet']>,
  target: ActionTarget,
  options: ActionOptions,
): Promise<ActionResult> {
  const url = `http://${target.host}:${http.port ?? target.port}${http.path}`;
  const method = http.method ?? 'GET';
  const res = await request(url, {
    method,
    headers: {
      ...(options.input !== undefined ? { 'content-type': 'application/json' } : {}),
      ...http.headers,
    },
    ...(options.input !== undefined && method !== 'GET' ? { body: options.input } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const body = await readCapped(res.body, options.maxBytes, () => res.body.destroy());
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  return { ok, body, detail: `HTTP ${res.statusCode}${ok ? '' : `: ${excerpt(body)}`}` };
}

async function readCapped(
  stream: AsyncIterable<Buffer | string>,
  maxBytes: number,
  abort: () => void,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > maxBytes) {
      abort();
      throw new TooLargeError(`the answer is larger than maxStateBytes (${maxBytes} bytes)`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function runExec(
  command: readonly string[],
  target: ActionTarget,
  options: ActionOptions,
): Promise<ActionResult> {
  const [file, ...args] = command;
  return new Promise((resolve) => {
    const child = spawn(file ?? '', args, {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        PORT: String(target.port),
        CUTOVER_REPLICA: target.replica,
        CUTOVER_ROLLOUT: target.rollout,
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: string | undefined;
    const timer = setTimeout(() => {
      failure = `timed out after ${options.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) {
        failure = `the answer is larger than maxStateBytes (${options.maxBytes} bytes)`;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, body: Buffer.alloc(0), detail: error.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const body = Buffer.concat(chunks);
      if (failure !== undefined) resolve({ ok: false, body: Buffer.alloc(0), detail: failure });
      else if (code === 0) resolve({ ok: true, body, detail: 'exit 0' });
      else resolve({ ok: false, body, detail: `exit ${code ?? signal}: ${excerpt(body)}` });
    });
  });
}

/** The start of an answer for a message: printable, at most {@link DETAIL_CHARS} characters. */
function excerpt(body: Buffer): string {
  const text = body
    .subarray(0, DETAIL_CHARS * 4)
    .toString('utf8')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}…` : text;
}
