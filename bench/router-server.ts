/**
 * Benchmark helper: a cutover Router in its own process (pinned by the caller), one listener with a
 * 90/10 split over two upstreams, recording on. Prints `ready` when it accepts requests.
 * Usage: node --import tsx bench/router-server.ts <listenPort> <upstreamPort1> <upstreamPort2> [policies]
 * With `policies`: ClientIP session affinity and Istio's default outlier detection on (issue 12's
 * throughput goal: >= 0.9x the router without them).
 * A line `rss` on stdin answers `rss <bytes>` on stdout, after a full GC when node runs with
 * `--expose-gc` (the memory benchmark of WebSockets).
 */
import { Router } from '../src/traffic/index.js';

const [listen, u1, u2] = process.argv.slice(2, 5).map(Number);
const policies = process.argv[5] === 'policies';
if (listen === undefined || u1 === undefined || u2 === undefined)
  throw new Error('usage: router-server.ts <listen> <u1> <u2>');
const router = new Router();
await router.applyRollout(
  'bench',
  [
    {
      port: listen,
      backends: [
        { revision: 1, weight: 90 },
        { revision: 2, weight: 10 },
      ],
      ...(policies ? { sessionAffinity: { type: 'ClientIP' as const } } : {}),
    },
  ],
  policies ? { outlierDetection: { consecutive5xxErrors: 5 } } : {},
);
router.setEndpoints('bench', 1, [{ id: 'bench-r1-0', host: '127.0.0.1', port: u1 }]);
router.setEndpoints('bench', 2, [{ id: 'bench-r2-0', host: '127.0.0.1', port: u2 }]);
process.stdout.write('ready\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  if (!text.includes('rss')) return;
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`rss ${process.memoryUsage().rss}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(
    `${router
      .metricsText()
      .split('\n')
      .filter((l) => l.startsWith('cutover_router_requests_total') && !l.endsWith(' 0'))
      .join('\n')}\n`,
  );
  void router.close().then(() => process.exit(0));
});
