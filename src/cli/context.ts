import { type HomePaths, homePaths } from '../server/index.js';
import type { ApiClient } from './api-client.js';
import { ensureServer } from './ensure-server.js';

/** What every command needs: the data directory and a client of its server (started on demand). */
export interface CliContext {
  paths: HomePaths;
  api(): Promise<ApiClient>;
  out(text: string): void;
}

export function createContext(home?: string): CliContext {
  const paths = homePaths(home);
  let client: Promise<ApiClient> | undefined;
  return {
    paths,
    api: () => {
      client ??= ensureServer(paths);
      return client;
    },
    out: (text) => process.stdout.write(`${text}\n`),
  };
}
