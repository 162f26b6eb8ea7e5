import type { DatabaseConnection } from 'kysely';

/**
 * A connection whose query errors pass through `mapError` (a backend's own errors as the store's
 * `StoreError`s), for a backend's driver to hand out instead of its own.
 */
export function guardConnection(
  connection: DatabaseConnection,
  mapError: (error: unknown) => unknown,
): DatabaseConnection {
  return {
    executeQuery: async (query) => {
      try {
        return await connection.executeQuery(query);
      } catch (error) {
        throw mapError(error);
      }
    },
    streamQuery: async function* (query, chunkSize) {
      try {
        yield* connection.streamQuery(query, chunkSize);
      } catch (error) {
        throw mapError(error);
      }
    },
  };
}
