import { AuthError, readTokenFile } from '../auth/index.js';
import { type HomePaths, homePaths } from '../server/paths.js';
import { ApiClient } from './api-client.js';
import { ensureServer } from './ensure-server.js';
import { CliError } from './errors.js';

/** What every command needs: the data directory and a client of its server (started on demand). */
export interface CliContext {
  paths: HomePaths;
  api(): Promise<ApiClient>;
  out(text: string): void;
}

/**
 * The CLI's token: `$CUTOVER_TOKEN`, else the file of `--token-file`, else `$CUTOVER_HOME/token`
 * (written by the server at its first start). A token file readable by group or others is refused.
 * @throws CliError `CUTOVER_E_TOKEN_FILE` when the file is missing or too open.
 */
function resolveToken(paths: HomePaths, tokenFile: string | undefined): string {
  const env = process.env.CUTOVER_TOKEN;
  if (env !== undefined && env.trim() !== '') return env.trim();
  try {
    return readTokenFile(tokenFile ?? paths.token);
  } catch (error) {
    if (error instanceof AuthError) throw new CliError(error.code, error.message, 1, { cause: error });
    throw error;
  }
}

/**
 * `$CUTOVER_SERVER`: the base URL of a running control plane (any replica of several), used as it
 * is, never started on demand; unset: the data directory's own server (started when none runs).
 * @throws CliError `CUTOVER_E_USAGE` when it is not an http(s) URL.
 */
async function serverUrl(): Promise<string | undefined> {
  const value = process.env.CUTOVER_SERVER?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/^https?:\/\/[^/]+\/?$/.test(value))
    throw new CliError(
      'CUTOVER_E_USAGE',
      `CUTOVER_SERVER: expected the base URL of a cutover server, e.g. http://127.0.0.1:7400, got ${JSON.stringify(value)}`,
      2,
    );
  return value.replace(/\/$/, '');
}

/**
 * @param tokenFile - the global `--token-file` option, read when the first request is made (after
 * the command line is parsed).
 */
export function createContext(
  home?: string,
  tokenFile: () => string | undefined = () => undefined,
): CliContext {
  const paths = homePaths(home);
  let client: Promise<ApiClient> | undefined;
  return {
    paths,
    api: () => {
      client ??= serverUrl().then((url) =>
        url === undefined
          ? ensureServer(paths, () => resolveToken(paths, tokenFile()))
          : new ApiClient(url, resolveToken(paths, tokenFile())),
      );
      return client;
    },
    out: (text) => process.stdout.write(`${text}\n`),
  };
}
