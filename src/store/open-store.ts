import { StoreError } from './errors.js';
import type { KyselyStore } from './kysely-store.js';
import { redact } from './postgres/fenced-driver.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** Where a store lives: a SQLite file or a PostgreSQL database. */
export type StoreLocation = { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/**
 * Reads a store location as `cutover server --store`, `$CUTOVER_STORE` and `cutover store copy`
 * take it: `postgres://...` or `postgresql://...` (libpq's URI), `sqlite:PATH`, or a bare path
 * (SQLite).
 * @throws StoreError `CUTOVER_E_STORE_LOCATION` for an empty value or another URL scheme.
 */
export function parseStoreLocation(value: string): StoreLocation {
  const text = value.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) return { backend: 'postgres', url: text };
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path !== '') return { backend: 'sqlite', path };
  } else if (text !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return { backend: 'sqlite', path: text };
  }
  throw new StoreError(
    'CUTOVER_E_STORE_LOCATION',
    `store ${JSON.stringify(text.startsWith('postgres') ? redact(text) : text)}: expected postgres://USER@HOST:PORT/DATABASE, sqlite:PATH or a file path`,
  );
}

/** Describes a location for logs and status: a PostgreSQL URL without its password, or the file. */
export function describeStoreLocation(location: StoreLocation): string {
  return location.backend === 'postgres' ? redact(location.url) : `sqlite:${location.path}`;
}

/**
 * Opens (and migrates) the store at `location`.
 * @throws StoreError as {@link openSqliteStore} and {@link openPostgresStore}.
 */
export function openStore(location: StoreLocation, options: PostgresStoreOptions = {}): Promise<KyselyStore> {
  return location.backend === 'postgres'
    ? openPostgresStore(location.url, options)
    : openSqliteStore(location.path);
}
