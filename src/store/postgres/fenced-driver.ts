import { CompiledQuery, type DatabaseConnection, PostgresDriver, type TransactionSettings } from 'kysely';
import { StoreError } from '../errors.js';
import { guardConnection } from '../guard-connection.js';

/** The fencing token a store's connections carry; `value` undefined: no fencing. */
export interface FenceToken {
  value: number | undefined;
}

/** Key of the transaction-scoped advisory lock every write transaction takes (any constant int8). */
const WRITE_LOCK_KEY = 0x637574; // "cut"

/** SQLSTATE the fence trigger raises (a class of our own: 'CU'). */
export const FENCED_SQLSTATE = 'CU001';

/** PostgreSQL's errors as the store's `StoreError`s; any other error unchanged. */
function mapError(error: unknown, url: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === FENCED_SQLSTATE)
    return new StoreError(
      'CUTOVER_E_FENCED',
      'this control-plane replica no longer holds the controller lease: nothing was written',
      { cause: error },
    );
  if (code === '53100')
    return new StoreError(
      'CUTOVER_E_STORE_FULL',
      'the disk of the PostgreSQL server is full: nothing was written',
      {
        cause: error,
      },
    );
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === '57P01' || code === '57P03')
    return new StoreError(
      'CUTOVER_E_STORE_UNAVAILABLE',
      `cannot reach PostgreSQL at ${redact(url)}: ${code}`,
      {
        cause: error,
      },
    );
  return error;
}

/** A connection string without its password. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured PostgreSQL URL';
  }
}

/**
 * Kysely's PostgreSQL driver with three additions:
 * - errors mapped to `StoreError`s (fenced, disk full, unreachable);
 * - every transaction takes one advisory lock first, so write transactions run one at a time as
 *   on SQLite (reads outside transactions do not wait);
 * - each connection carries the store's fencing token in `cutover.fence_token`, which the fence
 *   trigger compares with the controller lease's (set again whenever the token changed).
 */
export class FencedPostgresDriver extends PostgresDriver {
  readonly #guarded = new WeakMap<DatabaseConnection, DatabaseConnection>();
  /** The driver's own connection of each guarded one (it alone can be released). */
  readonly #originals = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly #tokens = new WeakMap<DatabaseConnection, string>();

  constructor(
    config: ConstructorParameters<typeof PostgresDriver>[0],
    private readonly fence: FenceToken,
    private readonly url: string,
  ) {
    super(config);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    let guarded = this.#guarded.get(connection);
    if (!guarded) {
      guarded = guardConnection(connection, (error) => mapError(error, this.url));
      this.#guarded.set(connection, guarded);
      this.#originals.set(guarded, connection);
    }
    const token = this.fence.value === undefined ? '' : String(this.fence.value);
    if ((this.#tokens.get(connection) ?? '') !== token) {
      await guarded.executeQuery(
        CompiledQuery.raw("select set_config('cutover.fence_token', $1, false)", [token]),
      );
      this.#tokens.set(connection, token);
    }
    return guarded;
  }

  override async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await super.releaseConnection(
      (this.#originals.get(connection) ?? connection) as Parameters<PostgresDriver['releaseConnection']>[0],
    );
  }

  override async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await super.beginTransaction(connection, settings);
    await connection.executeQuery(CompiledQuery.raw(`select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`));
  }
}
