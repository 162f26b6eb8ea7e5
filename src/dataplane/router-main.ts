#!/usr/bin/env node
/**
 * Entry point of the data plane's router process, forked by its supervisor (`main.ts`) with an IPC
 * channel: `node dist/dataplane/router-main.js --home DIR`. It takes over the sockets, the running
 * replicas and the last desired states the supervisor holds, serves them, and is restarted by the
 * supervisor when it dies. Started any other way it exits 2.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DataPlane } from './data-plane.js';
import { SupervisorLink } from './supervisor-link.js';

function fatal(message: string): never {
  process.stderr.write(`cutover router: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: 'string' } }, strict: true });
  if (values.home === undefined || values.home === '') fatal('--home DIR is required');
  const maxText = process.env.CUTOVER_ROUTER_MAX_CONNECTIONS;
  const maxConnections = maxText === undefined || maxText === '' ? undefined : Number(maxText);
  if (maxConnections !== undefined && !(Number.isInteger(maxConnections) && maxConnections >= 1))
    fatal(`CUTOVER_ROUTER_MAX_CONNECTIONS: expected an integer >= 1, got ${JSON.stringify(maxText)}`);
  let link: SupervisorLink;
  try {
    link = new SupervisorLink();
  } catch (err) {
    fatal((err as Error).message);
  }
  // A standby until the supervisor activates it: modules loaded, nothing held.
  await link.activation();
  const takeOver = await link.takeOver();
  const exit = (): void => {
    void link.exit().then(() => process.exit(0));
  };
  const dataPlane = new DataPlane({
    home: resolve(values.home),
    admin: takeOver.admin,
    metrics: takeOver.metrics,
    ofrep: takeOver.ofrep,
    identity: {
      supervisorPid: takeOver.supervisorPid,
      startedAt: takeOver.startedAt,
      generation: takeOver.generation,
      routerExits: takeOver.routerExits,
    },
    router: {
      host: process.env.CUTOVER_ROUTER_HOST ?? '127.0.0.1',
      binder: link,
      ...(maxConnections !== undefined ? { maxConnections } : {}),
    },
    processes: link,
    restore: takeOver.specs,
    keepSpec: (rollout, spec) => link.keepSpec(rollout, spec),
    afterShutdown: exit,
  });
  link.onStop(() => void dataPlane.shutdown().then(exit));
  // The supervisor orchestrates stops: a terminal's Ctrl-C reaches it, not this process directly.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  // An unexpected error in one request must not stop the router for all of them (stderr goes to
  // logs/dataplane.log).
  process.on('uncaughtException', (err) => process.stderr.write(`cutover router: uncaught: ${err.stack}\n`));
  process.on('unhandledRejection', (err) =>
    process.stderr.write(`cutover router: unhandled: ${String(err)}\n`),
  );
  try {
    await dataPlane.start();
  } catch (err) {
    fatal(`cannot start: ${(err as Error).message}`);
  }
  link.releaseUnused(new Set(takeOver.specs.flatMap((s) => s.listeners.map((l) => l.port))));
  link.ready();
  process.stderr.write(
    `cutover router: pid ${process.pid} (generation ${takeOver.generation}) serving; ${dataPlane.platform.adopted} replica(s) taken over\n`,
  );
}

void main();
