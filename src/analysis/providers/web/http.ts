/**
 * HTTP plumbing shared by the providers that call a backend over HTTP (`web`, `prometheus`): Argo
 * Rollouts' `headers: [{key, value}]`, `insecure`, a bounded response body, and validation helpers
 * for fields that may still hold a `{{args.x}}` placeholder.
 */
import { Agent, type Dispatcher, request } from 'undici';
import { ProviderHttpError } from '../../errors.js';

/** Largest response body a provider reads, bytes; a larger one is a measurement Error. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Whether `value` still holds a `{{args.x}}` placeholder (validated again once the run is built). */
export const isPlaceholder = (value: unknown): boolean => typeof value === 'string' && value.includes('{{');

/** Whether `value` is a plain object (a YAML mapping). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number, or a numeric string (args are substituted as strings). `undefined` otherwise. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** A boolean, or `"true"` / `"false"` (args are substituted as strings). `undefined` otherwise. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return undefined;
}

/** Problems of fields not in `known`, each `<path>.<field>: unknown field (expected ...)`. */
export function unknownFields(
  config: Record<string, unknown>,
  known: readonly string[],
  path: string,
): string[] {
  return Object.keys(config)
    .filter((key) => !known.includes(key))
    .map((key) => `${path}.${key}: unknown field (expected ${known.join(', ')})`);
}

/** Problems of an optional number field: a number >= `min` (or a placeholder). */
export function checkNumber(value: unknown, path: string, min: number, what: string): string[] {
  if (value === undefined || isPlaceholder(value)) return [];
  const n = toNumber(value);
  return n === undefined || n < min ? [`${path}: expected ${what}, got ${JSON.stringify(value)}`] : [];
}

/** Problems of an optional boolean field (or a placeholder). */
export function checkBoolean(value: unknown, path: string): string[] {
  if (value === undefined || isPlaceholder(value) || toBoolean(value) !== undefined) return [];
  return [`${path}: expected true or false, got ${JSON.stringify(value)}`];
}

/** Problems of an http(s) URL field (required or optional). */
export function checkUrl(value: unknown, path: string, required: boolean): string[] {
  if (value === undefined) return required ? [`${path}: required (an http:// or https:// URL)`] : [];
  if (typeof value !== 'string')
    return [`${path}: expected an http:// or https:// URL, got ${JSON.stringify(value)}`];
  if (value.startsWith('{{')) return [];
  try {
    const url = new URL(value.replace(/\{\{[^}]*\}\}/g, 'x'));
    if (url.protocol === 'http:' || url.protocol === 'https:') return [];
  } catch {}
  return [`${path}: expected an http:// or https:// URL, got ${JSON.stringify(value)}`];
}

/** Argo Rollouts' `headers`: a list of `{key, value}` (WebMetricHeader). */
export interface HeaderEntry {
  key: string;
  value: string;
}

/** Problems of a `headers` list. */
export function checkHeaders(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`${path}: expected a list of {key, value}`];
  const problems: string[] = [];
  value.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(entry)) {
      problems.push(`${at}: expected {key, value}`);
      return;
    }
    problems.push(...unknownFields(entry, ['key', 'value'], at));
    if (
      typeof entry.key !== 'string' ||
      !(isPlaceholder(entry.key) || /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(entry.key))
    ) {
      problems.push(`${at}.key: expected an HTTP header name, got ${JSON.stringify(entry.key)}`);
    }
    if (typeof entry.value !== 'string') {
      problems.push(`${at}.value: expected a string, got ${JSON.stringify(entry.value)}`);
    } else if (/[\r\n\0]/.test(entry.value)) {
      problems.push(`${at}.value: must not contain CR, LF or NUL`);
    }
  });
  return problems;
}

/** `headers` as a record; a later entry with the same key replaces an earlier one (Go's `Header.Set`). */
export function headerRecord(headers: readonly HeaderEntry[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { key, value } of headers ?? []) {
    for (const existing of Object.keys(record)) {
      if (existing.toLowerCase() === key.toLowerCase()) delete record[existing];
    }
    record[key] = value;
  }
  return record;
}

let insecureAgent: Agent | undefined;

/** The dispatcher for `insecure: true`: TLS certificates are not verified (Go's `InsecureSkipVerify`). */
function dispatcherFor(insecure: boolean): Dispatcher | undefined {
  if (!insecure) return undefined;
  insecureAgent ??= new Agent({ connect: { rejectUnauthorized: false } });
  return insecureAgent;
}

/** What {@link httpRequest} returns. */
export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

/** Options of {@link httpRequest}. */
export interface HttpRequestOptions {
  method: 'GET' | 'POST' | 'PUT';
  headers: Record<string, string>;
  body?: string;
  /** Bound on the whole exchange, ms. */
  timeoutMs: number;
  insecure: boolean;
  /** Aborts the request (the runner's timeout, or shutdown). */
  signal: AbortSignal;
}

/** `url` without user info, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * One HTTP exchange with undici, bounded by `timeoutMs` and `signal`, the body read up to
 * {@link MAX_RESPONSE_BYTES}. Any status is returned; the caller decides what is an error.
 *
 * @throws ProviderHttpError (`CUTOVER_E_PROVIDER_HTTP`) when the backend is unreachable, times out,
 *   or sends a body larger than the cap
 */
export async function httpRequest(
  provider: string,
  url: string,
  options: HttpRequestOptions,
): Promise<HttpResponse> {
  const shown = redactUrl(url);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  try {
    const dispatcher = dispatcherFor(options.insecure);
    const res = await request(url, {
      method: options.method,
      headers: options.headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      signal,
      ...(dispatcher !== undefined ? { dispatcher } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) {
        res.body.destroy();
        throw new ProviderHttpError(
          provider,
          shown,
          `response from ${shown} is larger than ${MAX_RESPONSE_BYTES} bytes`,
          {
            status: res.statusCode,
          },
        );
      }
      chunks.push(chunk as Buffer);
    }
    const type = res.headers['content-type'];
    return {
      status: res.statusCode,
      contentType: Array.isArray(type) ? (type[0] ?? '') : (type ?? ''),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  } catch (error) {
    if (error instanceof ProviderHttpError) throw error;
    if (timeout.aborted && !options.signal.aborted) {
      throw new ProviderHttpError(
        provider,
        shown,
        `${options.method} ${shown} timed out after ${options.timeoutMs / 1000} s`,
        {
          cause: error,
        },
      );
    }
    const reason = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    throw new ProviderHttpError(
      provider,
      shown,
      `${options.method} ${shown} failed: ${reason}${typeof code === 'string' && !reason.includes(code) ? ` (${code})` : ''}`,
      { cause: error },
    );
  }
}
