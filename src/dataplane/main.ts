#!/usr/bin/env node
/**
 * Entry point of the data plane: its supervisor process,
 * `node dist/dataplane/main.js --home DIR [--metrics-port N] [--ofrep-port N]`.
 *
 * `--home` defaults to `$CUTOVER_HOME`; `--metrics-port` to `$CUTOVER_METRICS_PORT`, else 7401;
 * `--ofrep-port` (feature flag evaluation, OFREP) to `$CUTOVER_OFREP_PORT`, else 7402 (0 =
 * ephemeral; the ports actually bound are written to `<home>/dataplane.json`). The admin API is
 * the Unix socket `<home>/run/dataplane.sock`. The router's public ports bind
 * `$CUTOVER_ROUTER_HOST` (default 127.0.0.1). SIGTERM / SIGINT stop everything gracefully and
 * exit 0. Exits 2 when it cannot start (the reason on stderr, which ensureDataPlane sends to
 * logs/dataplane.log).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import { DEFAULT_METRICS_PORT, DEFAULT_OFREP_PORT } from './default-ports.js';
import { Supervisor } from './supervisor.js';

function fatal(message: string): never {
  process.stderr.write(`cutover data plane: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      home: { type: 'string' },
      'metrics-port': { type: 'string' },
      'ofrep-port': { type: 'string' },
    },
    strict: true,
  });
  const home = values.home ?? process.env.CUTOVER_HOME;
  if (home === undefined || home === '') fatal('--home DIR (or $CUTOVER_HOME) is required');
  const portText = values['metrics-port'] ?? process.env.CUTOVER_METRICS_PORT ?? String(DEFAULT_METRICS_PORT);
  const metricsPort = Number(portText);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
    fatal(`invalid metrics port ${portText}`);
  const ofrepText = values['ofrep-port'] ?? process.env.CUTOVER_OFREP_PORT ?? String(DEFAULT_OFREP_PORT);
  const ofrepPort = Number(ofrepText);
  if (!/^\d+$/.test(ofrepText) || !Number.isInteger(ofrepPort) || ofrepPort > 65535)
    fatal(
      `invalid OFREP port ${JSON.stringify(ofrepText)}: expected an integer 0..65535 (--ofrep-port, CUTOVER_OFREP_PORT)`,
    );
  const maxText = process.env.CUTOVER_ROUTER_MAX_CONNECTIONS;
  if (maxText !== undefined && maxText !== '' && !/^[1-9]\d{0,8}$/.test(maxText))
    fatal(`CUTOVER_ROUTER_MAX_CONNECTIONS: expected an integer >= 1, got ${JSON.stringify(maxText)}`);
  // What the data plane writes in the data directory (dataplane.json, sockets) is private.
  process.umask(0o077);
  const supervisor = new Supervisor({
    home: resolve(home),
    metricsPort,
    ofrepPort,
    routerHost: process.env.CUTOVER_ROUTER_HOST ?? '127.0.0.1',
    routerEntry: fileURLToPath(new URL('./router-main.js', import.meta.url)),
    version: VERSION,
  });
  const stop = (signal: string): void => {
    process.stderr.write(`cutover data plane: ${signal}, stopping gracefully\n`);
    supervisor.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Detached from any terminal, but a stray SIGHUP must not take the traffic down.
  process.on('SIGHUP', () => undefined);
  // The supervisor outlives everything else: an unexpected error is logged, never fatal.
  process.on('uncaughtException', (err) =>
    process.stderr.write(`cutover data plane supervisor: uncaught: ${err.stack}\n`),
  );
  process.on('unhandledRejection', (err) =>
    process.stderr.write(`cutover data plane supervisor: unhandled: ${String(err)}\n`),
  );
  try {
    process.stderr.write(`cutover data plane: supervisor pid ${process.pid}, home ${home}\n`);
    await supervisor.run();
    process.exit(0);
  } catch (err) {
    fatal(`cannot start: ${(err as Error).message}`);
  }
}

void main();
