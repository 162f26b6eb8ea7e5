import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from './router.js';

/**
 * The upstream servers and routers a test file's tests start, closed together after each test:
 * `const fixtures = new RouterFixtures(); afterEach(() => fixtures.close());`.
 */
export class RouterFixtures {
  readonly #servers: Server[] = [];
  readonly #routers: Router[] = [];

  /** Listens `server` on 127.0.0.1, port 0, and keeps it to close. @returns its port. */
  listen(server: Server): Promise<number> {
    this.#servers.push(server);
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  }

  /** Keeps `router` to close. @returns `router`. */
  keep(router: Router): Router {
    this.#routers.push(router);
    return router;
  }

  /** Closes every router, then every server (its open connections first). */
  async close(): Promise<void> {
    await Promise.all(this.#routers.splice(0).map((r) => r.close()));
    await Promise.all(
      this.#servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  }
}
