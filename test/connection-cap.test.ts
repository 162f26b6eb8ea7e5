import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlaneClient, type DataPlaneInfo, shutdownDataPlane } from '../src/dataplane/index.js';
import { freePort, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';

const ENSURE = new URL('../dist/dataplane/ensure-data-plane.js', import.meta.url).pathname;

/** One raw HTTP/1.1 GET on a new connection; its status line (or the socket error code). */
function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`));
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * A data plane whose hard limit on open files is 1024 (so it cannot raise it): with 1,100 idle
 * connections open, legitimate requests on new connections must still be served (regression: 35%
 * were reset when accept() hit EMFILE), and with every connection busy a new one gets a clear 503.
 */
describe('Router connection cap', () => {
  const home = mkdtempSync(join(tmpdir(), 'cutover-cap-'));
  let info: DataPlaneInfo;
  let client: DataPlaneClient;
  let port = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const parent = spawn(
      '/bin/sh',
      [
        '-c',
        'ulimit -n 1024 && ulimit -Hn 1024 && exec "$0" "$@"',
        process.execPath,
        '--input-type=module',
        '-e',
        `import { ensureDataPlane } from ${JSON.stringify(ENSURE)}; console.log(JSON.stringify(await ensureDataPlane({ home: ${JSON.stringify(home)}, metricsPort: 0, ofrepPort: 0 })));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
    });
    info = JSON.parse(line) as DataPlaneInfo;
    client = new DataPlaneClient({ socketPath: info.adminSocket });
    port = await freePort();
    await client.apply({
      rollout: 'cap',
      replicaSets: [
        {
          revision: 1,
          hash: 'h1',
          replicas: 1,
          template: { command: ['node', SAMPLE_SERVICE], env: { LATENCY_MS: '0' } },
        },
      ],
      listeners: [{ port, backends: [{ revision: 1, weight: 100 }] }],
    });
    await waitUntil(async () => (await get(port)).includes(' 200 '), { timeoutMs: 15_000, what: 'serving' });
  }, 30_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await client?.close();
    await shutdownDataPlane(home).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });

  it('should serve new connections while 1,100 idle ones are open, closing the longest idle', async () => {
    for (let i = 0; i < 1_100; i++) sockets.push(await open(port));
    const statuses: string[] = [];
    for (let batch = 0; batch < 20; batch++)
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => get(port)))));
    expect(statuses.filter((s) => !s.includes(' 200 ')).slice(0, 5)).toEqual([]);
    const metrics = await client.metricsText();
    const max = Number(/cutover_router_client_connections_max (\d+)/.exec(metrics)?.[1]);
    expect(max).toBe(256); // (1024 - 512) / 2
    expect(Number(/cutover_router_client_connections (\d+)/.exec(metrics)?.[1])).toBeLessThanOrEqual(max + 1);
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('should answer 503 with Retry-After when every connection is busy', async () => {
    const slowPort = await freePort();
    await client.apply({
      rollout: 'slow',
      replicaSets: [
        {
          revision: 1,
          hash: 'h1',
          replicas: 1,
          template: { command: ['node', SAMPLE_SERVICE], env: { LATENCY_MS: '3000' } },
        },
      ],
      listeners: [{ port: slowPort, backends: [{ revision: 1, weight: 100 }] }],
    });
    await waitUntil(
      async () =>
        (await client.state()).rollouts.find((r) => r.rollout === 'slow')?.replicaSets[0]?.readyReplicas ===
        1,
      {
        timeoutMs: 15_000,
        what: 'slow replica ready',
      },
    );
    // 256 requests of 3 s each hold every connection the cap allows (none idle to close).
    const slow = Array.from({ length: 256 }, () => get(slowPort));
    await new Promise((r) => setTimeout(r, 1_000));
    const refused = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let data = '';
      s.on('data', (d: Buffer) => (data += d.toString('latin1')));
      s.on('close', () => resolve(data));
      s.on('error', () => resolve(data));
    });
    expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(refused).toContain('retry-after: 1\r\n');
    expect(refused).toContain('too many connections');
    // The busy ones are not harmed, and once they are done new connections are served again.
    expect((await Promise.all(slow)).filter((s) => !s.includes(' 200 '))).toEqual([]);
    expect(await get(port)).toContain(' 200 ');
    expect(
      Number(/cutover_router_connections_rejected_total (\d+)/.exec(await client.metricsText())?.[1]),
    ).toBeGreaterThanOrEqual(1);
  });
});
