import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CutoverEnv, canaryRolloutDoc, freePort, specYaml, waitUntil } from './support/cutover-env.js';

/** Every file under `dir`, recursively (the data directory: logs, database, WAL, state files). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/**
 * Regression (issue 9, 3): secret values reached viewers. An AnalysisTemplate puts a
 * `secretKeyRef` arg and an allowed `valueFrom.env` arg into a web request (header and URL) and a
 * job's environment, and both metrics echo them into their output; the run fails, so the abort
 * event names a measured value. Then every output is searched for the two values: API answers, CLI
 * output, the SSE stream, the audit log, every file of the data directory (logs, and the raw bytes
 * of cutover.db, cutover.db-wal and cutover.db-shm, while the server runs and after shutdown).
 */
describe('Secret masking', () => {
  const env = CutoverEnv.create('cutover-secret-');
  const token = `tok${randomBytes(12).toString('hex')}`;
  const regionKey = `env${randomBytes(12).toString('hex')}`;
  const seen: { url: string; authorization: string; region: string }[] = [];
  let echo: Server;
  let echoPort = 0;
  let port = 0;

  beforeAll(async () => {
    Object.assign(env.env, {
      CUTOVER_SECRET_API_CREDS_TOKEN: token,
      CUTOVER_TEST_REGION_KEY: regionKey,
      CUTOVER_ANALYSIS_ENV_ALLOW: 'CUTOVER_TEST_REGION_KEY',
      AWS_SECRET_ACCESS_KEY: 'aws-not-allowed-value',
    });
    // A backend that echoes the credentials it receives, as a careless endpoint would.
    echo = createServer((req: IncomingMessage, res) => {
      const authorization = String(req.headers.authorization ?? '');
      seen.push({ url: req.url ?? '', authorization, region: String(req.headers['x-region'] ?? '') });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ echo: `${authorization} ${req.url}` }));
    });
    await new Promise<void>((ok) => echo.listen(0, '127.0.0.1', ok));
    const address = echo.address();
    echoPort = typeof address === 'object' && address !== null ? address.port : 0;
    port = await freePort();
  });

  afterAll(async () => {
    await env.cleanup();
    await new Promise<void>((ok) => echo.close(() => ok()));
  });

  const leakyTemplate = () => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'leaky' },
    spec: {
      args: [
        { name: 'token', valueFrom: { secretKeyRef: { name: 'api-creds', key: 'token' } } },
        { name: 'region', valueFrom: { env: 'CUTOVER_TEST_REGION_KEY' } },
      ],
      metrics: [
        {
          name: 'web-echo',
          successCondition: 'len(result) > 0',
          provider: {
            web: {
              url: `http://127.0.0.1:${echoPort}/quality?key={{args.token}}&region={{ args.region }}`,
              headers: [
                { key: 'Authorization', value: 'Bearer {{args.token}}' },
                { key: 'X-Region', value: '{{args.region}}' },
              ],
              jsonPath: '{$.echo}',
            },
          },
        },
        {
          name: 'job-echo',
          provider: {
            job: {
              command: [
                'sh',
                '-c',
                'echo "token=$TOKEN region=$REGION"; echo "argv $0" >&2; exit 1',
                '{{args.token}}',
              ],
              env: { TOKEN: '{{args.token}}', REGION: '{{args.region}}' },
              timeoutSeconds: 20,
            },
          },
        },
      ],
    },
  });

  const spec = (version: string) =>
    specYaml(
      canaryRolloutDoc(env, 'sec', {
        port,
        version,
        steps: [{ analysis: { templates: [{ templateName: 'leaky' }] } }, { pause: {} }],
      }),
      leakyTemplate(),
    );

  it('should mask the secretKeyRef and valueFrom.env values in every output, database file and log', async () => {
    const applied = await env.apply(spec('v1'));
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout('sec', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });

    // The SSE stream, from before the run exists until the end.
    const streamAbort = new AbortController();
    const stream = await request(`http://127.0.0.1:${env.apiPort()}/api/v1/events/stream?after=0`, {
      headers: { authorization: `Bearer ${env.apiToken()}` },
      signal: streamAbort.signal,
      headersTimeout: 5_000,
    });
    let sse = '';
    const reading = (async () => {
      try {
        for await (const chunk of stream.body) sse += chunk.toString();
      } catch {}
    })();

    const v2 = await env.apply(spec('v2'));
    expect(v2.code, v2.stderr).toBe(0);
    await env.waitForRollout('sec', (r) => r.status.abort, {
      what: 'aborted by the analysis',
      timeoutMs: 40_000,
    });
    const { items } = await env.apiGet<{ items: { name: string }[] }>('/api/v1/rollouts/sec/analysisruns');
    const runName = items[0]!.name;

    // The secrets were really used: the backend received them in the header and the URL.
    expect(seen.some((s) => s.authorization === `Bearer ${token}` && s.url.includes(`key=${token}`))).toBe(
      true,
    );
    expect(seen.some((s) => s.region === regionKey && s.url.includes(`region=${regionKey}`))).toBe(true);

    const outputs = new Map<string, string>();
    const cli = async (args: string[]) => {
      const result = await env.cliOk(args);
      outputs.set(`cutover ${args.join(' ')}`, result.stdout + result.stderr);
      return result.stdout;
    };
    const run = JSON.parse(await cli(['get', 'analysisrun', runName, '-o', 'json']));
    await cli(['get', 'analysisrun', runName]);
    await cli(['list', 'analysisruns', '-o', 'json']);
    await cli(['list', 'analysisruns']);
    await cli(['get', 'rollout', 'sec', '-o', 'json']);
    await cli(['get', 'rollout', 'sec']);
    const history = JSON.parse(await cli(['history', 'sec', '-o', 'json']));
    await cli(['history', 'sec']);
    await cli(['audit', 'list', '-o', 'json']);
    const apiPaths = [
      `/api/v1/analysisruns/${runName}`,
      '/api/v1/analysisruns',
      '/api/v1/rollouts/sec',
      '/api/v1/rollouts/sec/analysisruns',
      '/api/v1/events',
      '/api/v1/analysistemplates',
      '/api/v1/audit',
    ];
    for (const path of apiPaths) outputs.set(`GET ${path}`, JSON.stringify(await env.apiGet(path)));
    const metrics = await request(`http://127.0.0.1:${env.apiPort()}/metrics`, {
      headers: { authorization: `Bearer ${env.apiToken()}` },
    });
    outputs.set('GET /metrics', await metrics.body.text());

    // What a viewer sees instead: the placeholders, the references, and ***** in measurements.
    expect(JSON.stringify(run.spec.metrics[0].provider.web.headers)).toContain('Bearer {{args.token}}');
    expect(run.spec.args).toEqual([
      { name: 'token', valueFrom: { secretKeyRef: { name: 'api-creds', key: 'token' } } },
      { name: 'region', valueFrom: { env: 'CUTOVER_TEST_REGION_KEY' } },
    ]);
    const measurement = (metric: string) =>
      run.status.metricResults.find((m: { name: string }) => m.name === metric).measurements[0];
    expect(measurement('web-echo')).toMatchObject({
      phase: 'Successful',
      value: expect.stringContaining('Bearer *****'),
    });
    expect(measurement('job-echo').message).toContain('token=***** region=*****');
    expect(history.events.some((e: { reason: string }) => e.reason === 'RolloutAborted')).toBe(true);

    await waitUntil(() => sse.includes('RolloutAborted'), {
      timeoutMs: 10_000,
      what: 'the abort on the SSE stream',
    });
    streamAbort.abort();
    await reading;
    outputs.set('SSE /api/v1/events/stream', sse);

    const files = (label: string) => {
      for (const file of filesUnder(env.home)) {
        if (statSync(file).size > 0)
          outputs.set(`${label} ${file.slice(env.home.length + 1)}`, readFileSync(file, 'latin1'));
      }
    };
    files('while running:');
    expect([...outputs.keys()].some((k) => k.endsWith('cutover.db-wal'))).toBe(true);
    const shutdown = await env.cli(['shutdown'], { timeoutMs: 45_000 });
    expect(shutdown.code, shutdown.stderr).toBe(0);
    outputs.set('cutover shutdown', shutdown.stdout + shutdown.stderr);
    files('after shutdown:');

    const leaks = [...outputs].flatMap(([where, text]) =>
      [token, regionKey]
        .filter((secret) => text.includes(secret))
        .map((secret) => `${where} holds ${secret.slice(0, 3)}...`),
    );
    expect(leaks).toEqual([]);
    expect(outputs.size).toBeGreaterThan(20);
  }, 120_000);

  it('should refuse a valueFrom.env outside CUTOVER_ANALYSIS_ENV_ALLOW at apply, naming the field, and store nothing', async () => {
    const file = env.write(
      'aws.yaml',
      specYaml({
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name: 'aws' },
        spec: {
          args: [{ name: 'key', valueFrom: { env: 'AWS_SECRET_ACCESS_KEY' } }],
          metrics: [
            {
              name: 'exfiltrate',
              provider: { web: { url: 'http://127.0.0.1:9/?k={{args.key}}' } },
            },
          ],
        },
      }),
    );
    const refused = await env.cli(['apply', '-f', file]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(file);
    expect(refused.stderr).toContain('spec.args[0].valueFrom.env');
    expect(refused.stderr).toContain(
      "environment variable AWS_SECRET_ACCESS_KEY is not in the operator's allow-list: start the server with CUTOVER_ANALYSIS_ENV_ALLOW=AWS_SECRET_ACCESS_KEY",
    );
    expect(refused.stderr + refused.stdout).not.toContain('aws-not-allowed-value');
    const { items } = await env.apiGet<{ items: { metadata: { name: string } }[] }>(
      '/api/v1/analysistemplates',
    );
    expect(items.map((t) => t.metadata.name)).not.toContain('aws');
  }, 60_000);
});
