import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { request } from 'undici';
import { shutdownDataPlane } from '../dataplane/index.js';
import type { RolloutPhase } from '../engine/index.js';
import { type RunningServer, startServer } from '../server/index.js';
import { blueGreenSpec, canarySpec, type DemoPorts } from './demo-specs.js';
import { LoadGenerator, type LoadReport } from './load-generator.js';

export interface DemoOptions {
  /** Load on the public port, req/s. @default 200 */
  rate?: number;
  /** Keep the demo's data directory instead of removing it. @default false */
  keep?: boolean;
  /** Where to print. @default stdout */
  out?: (line: string) => void;
}

/** What the demo measured. */
export interface DemoSummary {
  load: LoadReport;
  /** Failures not caused by v3's injected 500s (must be 0). */
  unexpectedFailures: number;
  /** From v3's first response to 100% of traffic back on stable, ms. */
  rollbackMs: number | null;
  durationMs: number;
  home: string;
}

/**
 * Stops the data plane of the demo's data directory, and with it every replica, through its own
 * shutdown path, waiting (at most 20 s) for it to exit. Nothing when none was started.
 */
async function stopDemoDataPlane(home: string): Promise<void> {
  await shutdownDataPlane(home, 20_000).catch(() => false);
}

const SERVICE = fileURLToPath(new URL('../../examples/sample-service/server.mjs', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * `cutover demo`: the bundled sample service under generated load goes v1 → canary v2 (healthy,
 * promoted through its steps) → canary v3 (500 on 20% of requests, aborted by analysis and rolled
 * back on its own) → blue-green v4 (promoted). Runs a server and a data plane in a temporary
 * data directory, prints a timeline and a summary, and stops everything it started, also when
 * interrupted: on SIGINT or SIGTERM it stops the load, the server and the data plane, removes the
 * directory (unless `keep`) and exits with 130 or 143.
 * @returns the measured summary; `unexpectedFailures` should be 0.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const started = Date.now();
  const home = mkdtempSync(join(tmpdir(), 'cutover-demo-'));
  const ports: DemoPorts = { port: await freePort(), previewPort: await freePort() };
  const specFile = join(home, 'demo.yaml');
  const logger = pino({ level: 'warn' }, pino.destination(join(home, 'server.log')));
  const t = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const say = (text: string) => out(`${t()}  ${text}`);
  let server: RunningServer | undefined;
  let load: LoadGenerator | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      clearInterval(ticker);
      await load?.stop().catch(() => undefined);
      await server?.close().catch(() => undefined);
      await stopDemoDataPlane(home);
      if (!options.keep) rmSync(home, { recursive: true, force: true });
    })();
    return cleaning;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    out(`\n${signal}: stopping the demo's server, data plane and replicas`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  out(
    `cutover demo: data in ${home}; service on http://127.0.0.1:${ports.port} (preview ${ports.previewPort})`,
  );
  try {
    server = await startServer({ home, port: 0, metricsPort: 0, ofrepPort: 0, logger, intervalMs: 100 });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const running = server;
  const generator = new LoadGenerator({ url: `http://127.0.0.1:${ports.port}`, rate: options.rate ?? 200 });
  load = generator;
  let lastEvent = 0;
  const printEvents = async () => {
    const events = await running.store.listEvents({ afterId: lastEvent, limit: 1000 });
    for (const e of events) {
      lastEvent = e.id;
      if (!SHOWN.has(e.reason)) continue;
      out(`${t()}  ${e.type === 'Warning' ? '⚠' : '•'} [${e.actor}] ${e.reason}: ${e.message}`);
    }
  };
  ticker = setInterval(() => void printEvents(), 100);
  try {
    const apply = async (yaml: string, what: string) => {
      writeFileSync(specFile, yaml);
      say(`$ cutover apply -f demo.yaml   # ${what}`);
      await running.app
        .inject({
          method: 'POST',
          url: '/api/v1/apply',
          payload: { file: specFile, text: yaml },
          headers: { authorization: `Bearer ${readFileSync(running.paths.token, 'utf8').trim()}` },
        })
        .then((r) => {
          if (r.statusCode !== 200) throw new Error(`apply failed: ${r.body}`);
        });
      running.controller.wake();
    };

    await apply(canarySpec(SERVICE, ports, 'v1'), 'v1: first revision, full scale at once');
    await waitPhase(running, ['Healthy'], 30_000);
    generator.start();
    say(`load started: ${options.rate ?? 200} req/s on port ${ports.port}`);

    await apply(canarySpec(SERVICE, ports, 'v2'), 'v2: canary 20% → 50% → 100% with background analysis');
    await waitPhase(running, ['Healthy'], 60_000, 2);

    await apply(canarySpec(SERVICE, ports, 'v3', 0.2), 'v3: answers 500 on 20% of requests');
    await waitPhase(running, ['Degraded'], 60_000, 3);
    const rolledBackAt = await waitNoTraffic(running, 3, 30_000);
    const rollbackMs =
      generator.report.firstSeen.v3 !== undefined ? rolledBackAt - generator.report.firstSeen.v3 : null;
    say(
      `100% of traffic back on stable (v2), ${rollbackMs === null ? '?' : `${(rollbackMs / 1000).toFixed(2)}s`} after v3's first request`,
    );

    await apply(blueGreenSpec(SERVICE, ports, 'v4'), 'v4: blue-green, preview first, manual promotion');
    await waitPhase(running, ['Paused'], 60_000, 4);
    const preview = await request(`http://127.0.0.1:${ports.previewPort}/`);
    say(`preview port ${ports.previewPort} answers: ${(await preview.body.text()).trim()}`);
    say('$ cutover promote demo');
    await running.controller.command('demo', 'promote', {}, 'user:admin');
    await waitPhase(running, ['Healthy'], 60_000, 4);
    await new Promise((r) => setTimeout(r, 1000));
    const report = await generator.stop();
    await printEvents();

    const injected = report.serverErrorsByVersion.v3 ?? 0;
    const failed =
      report.connectionErrors + Object.values(report.serverErrorsByVersion).reduce((a, b) => a + b, 0);
    const unexpectedFailures = failed - injected;
    out('');
    out('summary');
    out(`  requests sent:                ${report.sent}`);
    out(
      `  responses by version:         ${Object.entries(report.byVersion)
        .map(([v, n]) => `${v}=${n}`)
        .join(' ')}`,
    );
    out(
      `  failed, as the client saw:    ${failed} (${injected} are v3's injected 500s; ${unexpectedFailures} other)`,
    );
    out(
      `  v3 first request → 100% on stable: ${rollbackMs === null ? 'n/a' : `${(rollbackMs / 1000).toFixed(2)} s`}`,
    );
    out(`  demo duration:                ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { load: report, unexpectedFailures, rollbackMs, durationMs: Date.now() - started, home };
  } finally {
    await cleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

const SHOWN = new Set([
  'RolloutCreated',
  'RevisionCreated',
  'RolloutUpdated',
  'SetWeight',
  'RolloutPaused',
  'RolloutResumed',
  'AnalysisRunCreated',
  'AnalysisRunFailed',
  'AnalysisRunError',
  'AnalysisRunInconclusive',
  'RolloutAborted',
  'RolloutPromoted',
  'PreviewReady',
  'SwitchService',
  'RolloutCompleted',
  'PhaseHealthy',
  'PhaseDegraded',
]);

async function waitPhase(
  server: RunningServer,
  phases: RolloutPhase[],
  timeoutMs: number,
  revision?: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await server.store.getRollout('demo');
    if (
      r &&
      phases.includes(r.status.phase) &&
      (revision === undefined || r.status.currentRevision === revision)
    )
      return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`demo: rollout did not reach ${phases.join('/')} within ${timeoutMs / 1000}s`);
}

/** Waits until the router gives a revision no weight on the main port; returns when, ms since the epoch. */
async function waitNoTraffic(server: RunningServer, revision: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dp = server.controller.lastDataPlane?.rollouts.find((r) => r.rollout === 'demo');
    const weight =
      dp?.listeners[0]?.backends.find((b) => b.revision === revision && b.set === undefined)?.weight ?? 0;
    if (dp && weight === 0) return Date.now();
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`demo: revision ${revision} still had traffic after ${timeoutMs / 1000}s`);
}
