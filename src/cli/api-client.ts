import { request } from 'undici';
import { CliError } from './errors.js';

/** Error body of the API: `{code, message, path?, issues?}`. */
interface ApiErrorBody {
  code?: string;
  message?: string;
  issues?: unknown[];
}

/**
 * A small client of the control plane's REST API (`/api/v1`). Every failure becomes a CliError
 * carrying the API's code and message.
 */
export class ApiClient {
  /**
   * @param baseUrl - `http://127.0.0.1:<port>`.
   * @param token - bearer token; the server records its user as the actor of every change.
   */
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.#call<T>('DELETE', path);
  }

  async #call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(method === 'POST' ? { body: body === undefined ? '{}' : JSON.stringify(body) } : {}),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      throw new CliError(
        'CUTOVER_E_SERVER_UNREACHABLE',
        `cannot reach the cutover server at ${this.baseUrl}: ${(error as Error).message}`,
        1,
        {
          cause: error,
        },
      );
    }
    const text = await response.body.text();
    const type = String(response.headers['content-type'] ?? '');
    const isJson = type === '' || type.includes('json');
    const json = !text ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
    if (response.statusCode >= 400) {
      const e = (json ?? {}) as ApiErrorBody;
      throw new CliError(
        e.code ?? `CUTOVER_E_HTTP_${response.statusCode}`,
        e.message ?? `HTTP ${response.statusCode}`,
      );
    }
    return json as T;
  }
}
