/**
 * Integration-test support: a real Prometheus server (Debian package `prometheus`, /usr/bin/prometheus)
 * with its own config and TSDB in a temp directory, on a free port, stopped and removed by `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { freePort, waitUntil } from './cutover-env.js';

/** The Prometheus binary; `PROMETHEUS_BIN` overrides it. */
const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** A running Prometheus; see {@link startPrometheus}. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  readonly address: string;
  /** Instant query through the HTTP API: the `data` of a successful answer (throws otherwise). */
  query(promql: string): Promise<{ resultType: string; result: unknown[] }>;
  /** Last lines Prometheus logged (for failure messages). */
  logs(): string;
  /** SIGTERM, SIGKILL after 5 s; removes the config and the TSDB. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts Prometheus with `scrapeConfigs` (each scraped every second) and waits until it is ready
 * (at most `timeoutMs`).
 */
export async function startPrometheus(
  scrapeConfigs: object[],
  options: { timeoutMs?: number; port?: number } = {},
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-prometheus-'));
  const port = options.port ?? (await freePort());
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
      scrape_configs: scrapeConfigs,
    }),
  );
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const address = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const server: PrometheusServer = {
    address,
    async query(promql) {
      const res = await request(`${address}/api/v1/query?${new URLSearchParams({ query: promql })}`, {
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const body = (await res.body.json()) as {
        status: string;
        data: { resultType: string; result: unknown[] };
      };
      if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
      return body.data;
    },
    logs: () => log,
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exit;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`prometheus exited: ${log}`);
        const res = await request(`${address}/-/ready`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
        await res.body.dump();
        return res.statusCode === 200;
      },
      {
        timeoutMs: options.timeoutMs ?? 20_000,
        what: 'Prometheus to be ready',
        describe: () => log.slice(-500),
      },
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}
