#!/usr/bin/env node
/**
 * Entry point of the data plane process:
 * `node dist/dataplane/main.js --home DIR [--admin-port N]`.
 *
 * `--home` defaults to `$CUTOVER_HOME`; `--admin-port` to `$CUTOVER_ADMIN_PORT`, else 7401
 * (0 = ephemeral; the port actually bound is written to `<home>/dataplane.json`). The router's
 * listeners bind `$CUTOVER_ROUTER_HOST` (default 127.0.0.1). SIGTERM / SIGINT stop everything
 * gracefully and exit 0.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataPlane, DEFAULT_ADMIN_PORT } from './data-plane.js';

function fatal(message: string): never {
  process.stderr.write(`cutover data plane: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { home: { type: 'string' }, 'admin-port': { type: 'string' } },
    strict: true,
  });
  const home = values.home ?? process.env.CUTOVER_HOME;
  if (home === undefined || home === '') fatal('--home DIR (or $CUTOVER_HOME) is required');
  const portText = values['admin-port'] ?? process.env.CUTOVER_ADMIN_PORT ?? String(DEFAULT_ADMIN_PORT);
  const adminPort = Number(portText);
  if (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535)
    fatal(`invalid admin port ${portText}`);
  const dataPlane = new DataPlane({
    home: resolve(home),
    adminPort,
    router: { host: process.env.CUTOVER_ROUTER_HOST ?? '127.0.0.1' },
  });
  const stop = (signal: string): void => {
    process.stderr.write(`cutover data plane: ${signal}, stopping gracefully\n`);
    void dataPlane.shutdown().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Detached from any terminal, but a stray SIGHUP must not take the traffic down.
  process.on('SIGHUP', () => undefined);
  // The data plane outlives everything else; an unexpected error in one request must not stop the
  // router for all of them. It is logged (stderr goes to logs/dataplane.log).
  process.on('uncaughtException', (err) =>
    process.stderr.write(`cutover data plane: uncaught: ${err.stack}\n`),
  );
  process.on('unhandledRejection', (err) =>
    process.stderr.write(`cutover data plane: unhandled: ${String(err)}\n`),
  );
  try {
    const info = await dataPlane.start();
    process.stderr.write(
      `cutover data plane: pid ${info.pid}, admin on 127.0.0.1:${info.adminPort}, home ${home}\n`,
    );
  } catch (err) {
    fatal(`cannot start: ${(err as Error).message}`);
  }
}

void main();
