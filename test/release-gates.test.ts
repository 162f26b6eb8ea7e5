import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SimulatedClock } from '../src/clock/index.js';
import { type RunningServer, startServer } from '../src/server/index.js';
import { CutoverEnv, freePorts, SAMPLE_SERVICE, waitUntil } from './support/cutover-env.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

interface ReleaseJson {
  stage: string;
  status: string;
  waitingUntil: number | null;
  approval: { missing: string[] };
  stageResults: { stage: string; result: string; reason?: string; report?: Record<string, unknown> }[];
  incidents: { rollbackType: string; trigger: string; status: string; timeline: { reason: string }[] }[];
}

const production = (windows?: object) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Environment',
  metadata: { name: 'production' },
  spec: { order: 1, ...(windows === undefined ? {} : { windows }) },
});

function releaseDoc(env: CutoverEnv, name: string, port: number, spec: Record<string, unknown>) {
  return {
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'Release',
    metadata: { name },
    spec: {
      version: name,
      environments: ['production'],
      rollouts: [
        {
          name: 'api',
          spec: {
            port,
            template: {
              command: ['node', SAMPLE_SERVICE],
              cwd: env.path('replicas'),
              env: { VERSION: name },
              readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1 },
              terminationGracePeriodSeconds: 2,
            },
            strategy: { recreate: {} },
          },
        },
      ],
      monitor: { checkpoints: ['1s'] },
      ...spec,
    },
  };
}

/** Gates of the workflow through the real CLI and server: PREPARE's dependency check, hotfix approvals, database rollback. */
describe('Release gates', () => {
  const env = CutoverEnv.create('cutover-gates-');
  let ports: number[] = [];
  const get = (name: string) => env.apiGet<ReleaseJson>(`/api/v1/releases/${name}`);
  const create = (name: string, doc: object) =>
    env.cli(['release', 'create', '-f', env.write(`${name}.yaml`, stringify(doc))]);

  beforeAll(async () => {
    ports = await freePorts(3);
    env.write('replicas/.keep', '');
    await env.cliOk(['apply', '-f', env.write('env.yaml', stringify(production()))]);
  }, 60_000);
  afterAll(() => env.cleanup());

  it('should block PREPARE with a report naming the dependency that is down', async () => {
    const [down] = await freePorts(1);
    // a local webhook receiver: the release's failure is notified as JSON and as a Slack payload
    const { base, received, close } = await startWebhookReceiver();
    const hook = `${base}`;
    const doc = releaseDoc(env, 'dep-down', ports[0] as number, {
      notifications: [
        { name: 'ops', type: 'webhook', url: `${hook}/json` },
        { name: 'chat', type: 'slack', url: `${hook}/slack`, kinds: ['releaseFailed'] },
      ],
      prepare: {
        dependencies: [{ name: 'payments-api', url: `http://127.0.0.1:${down}/healthz`, timeoutMs: 500 }],
      },
    });
    await env.cliOk(['release', 'create', '-f', env.write('dep-down.yaml', stringify(doc))]);
    const r = await waitUntil(
      async () => {
        const x = await get('dep-down');
        return x.status === 'FAILED' ? x : undefined;
      },
      { timeoutMs: 30_000, what: 'dep-down to fail' },
    );
    expect(r.stage).toBe('PREPARE');
    expect(r.stageResults[0]?.reason).toMatch(/dependencies healthy: DOWN: payments-api/);
    const shown = (await env.cliOk(['release', 'get', 'dep-down'])).stdout;
    expect(shown).toMatch(/✖ dependencies healthy: DOWN: payments-api/);
    // nothing reached the target
    expect((await env.cli(['get', 'rollout', 'api-production'])).code).not.toBe(0);
    await waitUntil(() => received.length >= 2, { timeoutMs: 10_000, what: 'two notifications' });
    close();
    const json = received.find((x) => x.url === '/json');
    expect(json?.body).toMatchObject({ kind: 'releaseFailed', release: 'dep-down', severity: 'critical' });
    const slack = received.find((x) => x.url === '/slack');
    expect(JSON.stringify(slack?.body['blocks'])).toContain('payments-api');
  }, 60_000);

  it('should refuse a hotfix with one approver and a self-approval, and accept a manager and a security approver', async () => {
    const manager = await env.token('mia', 'approver', 'manager');
    const security = await env.token('sam', 'approver', 'security');
    await env.cliOk([
      'release',
      'create',
      '-f',
      env.write('fix.yaml', stringify(releaseDoc(env, 'fix-1', ports[1] as number, {}))),
      '--type',
      'hotfix',
    ]);
    await waitUntil(async () => (await get('fix-1')).status === 'WAITING_APPROVAL', {
      timeoutMs: 30_000,
      what: 'approval',
    });
    // the creator (admin) can never approve
    const self = await env.cli(['release', 'approve', 'fix-1', '--comment', 'mine']);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/creator of a release can never approve it/);
    // one approver is not enough
    const one = await env.cliOk(['release', 'approve', 'fix-1', '--comment', 'ok'], {
      env: { CUTOVER_TOKEN: manager },
    });
    expect(one.stdout).toMatch(/still needs a security approver/);
    expect((await get('fix-1')).status).toBe('WAITING_APPROVAL');
    await env.cliOk(['release', 'approve', 'fix-1', '--comment', 'cve checked'], {
      env: { CUTOVER_TOKEN: security },
    });
    const done = await waitUntil(
      async () => {
        const x = await get('fix-1');
        return ['SUCCESS', 'FAILED', 'ROLLED_BACK'].includes(x.status) ? x : undefined;
      },
      { timeoutMs: 60_000, what: 'fix-1 to end' },
    );
    expect(done.status, JSON.stringify(done.stageResults)).toBe('SUCCESS');
  }, 120_000);

  it('should restore the verified backup when a migration broke the schema (database rollback)', async () => {
    const db = env.path('app/app.db');
    env.write('app/migrations/001-drop.sql', 'DROP TABLE orders;');
    execFileSync('python3', [
      '-c',
      `import sqlite3; c=sqlite3.connect(${JSON.stringify(db)}); c.execute('CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)'); c.executemany('INSERT INTO orders (total) VALUES (?)', [(10,),(20,),(30,)]); c.commit()`,
    ]);
    const migrate = `import sqlite3; c=sqlite3.connect(${JSON.stringify(db)}); c.executescript(open('app/migrations/001-drop.sql').read()); c.commit()`;
    const manager = await env.token('max', 'approver', 'manager');
    const doc = releaseDoc(env, 'db-1', ports[2] as number, {
      prepare: {
        database: { sqlite: 'app/app.db' },
        migrations: { path: 'app/migrations', command: ['python3', '-c', migrate] },
      },
      monitor: { checkpoints: ['60s'] },
    });
    expect((await create('db-1', doc)).code).toBe(0);
    await waitUntil(async () => (await get('db-1')).status === 'WAITING_APPROVAL', {
      timeoutMs: 30_000,
      what: 'approval',
    });
    const prepare = (await get('db-1')).stageResults[0]?.report as {
      checklist: { item: string; ok: boolean }[];
    };
    expect(prepare.checklist).toContainEqual(expect.objectContaining({ item: 'backup verified', ok: true }));
    await env.cliOk(['release', 'approve', 'db-1', '--comment', 'go'], { env: { CUTOVER_TOKEN: manager } });
    await waitUntil(async () => (await get('db-1')).stage === 'MONITOR', {
      timeoutMs: 60_000,
      what: 'MONITOR',
    });
    const tables = () =>
      execFileSync('python3', [
        '-c',
        `import sqlite3; print(sqlite3.connect(${JSON.stringify(db)}).execute("SELECT count(*) FROM sqlite_master WHERE name='orders'").fetchone()[0])`,
      ])
        .toString()
        .trim();
    expect(tables()).toBe('0'); // the migration broke the schema
    await env.cliOk([
      'release',
      'rollback',
      'db-1',
      '--type',
      'database',
      '--reason',
      'orders table dropped',
    ]);
    const r = await waitUntil(
      async () => {
        const x = await get('db-1');
        return x.status === 'ROLLED_BACK' || x.status === 'FAILED' ? x : undefined;
      },
      { timeoutMs: 60_000, what: 'db-1 rolled back' },
    );
    expect(r.status, JSON.stringify(r.stageResults)).toBe('ROLLED_BACK');
    expect(tables()).toBe('1');
    const rows = execFileSync('python3', [
      '-c',
      `import sqlite3; print(sqlite3.connect(${JSON.stringify(db)}).execute('SELECT sum(total) FROM orders').fetchone()[0])`,
    ])
      .toString()
      .trim();
    expect(rows).toBe('60');
    expect(r.incidents[0]).toMatchObject({
      rollbackType: 'database',
      trigger: 'manual',
      status: 'ROLLED_BACK',
    });
    expect(r.incidents[0]?.timeline.map((t) => t.reason)).toContain('DatabaseRestored');
    const md = (await env.cliOk(['release', 'record', 'db-1', '--markdown'])).stdout;
    expect(md).toContain('ROLLBACK');
    expect(md).toContain('orders table dropped');
  }, 150_000);
});

/** A scheduled release outside its window waits and starts in the next one (simulated clock, in-process server). */
describe('Scheduled release and deployment windows (simulated clock)', () => {
  const env = CutoverEnv.create('cutover-window-');
  const clock = new SimulatedClock(Date.parse('2026-11-23T09:00:00Z')); // a Monday, before the Tue–Thu 10:00–12:00 UTC window
  let server: RunningServer | undefined;
  let port = 0;

  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
    token = readFileSync(env.path('token'), 'utf8').trim(),
  ) => {
    const res = await fetch(`http://127.0.0.1:${server?.port}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as T;
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    port = (await freePorts(1))[0] ?? 0;
    env.write('replicas/.keep', '');
    server = await startServer({
      home: env.home,
      port: 0,
      metricsPort: 0,
      ofrepPort: 0,
      clock,
      rateLimit: { perSecond: 1e6, burst: 1e6 },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await env.cleanup();
  });

  it('should wait for the next window, say when, and start when the clock reaches it', async () => {
    await call('POST', '/api/v1/apply', {
      file: env.path('env.yaml'),
      text: stringify(production({ timeZone: 'UTC' })),
    });
    const doc = releaseDoc(env, 'sched-1', port as number, { type: 'scheduled' });
    await call('POST', '/api/v1/releases', { file: env.path('sched.yaml'), text: stringify(doc) });
    const { token } = await call<{ token: string }>('POST', '/api/v1/tokens', {
      user: 'mia',
      role: 'approver',
      qualifier: 'manager',
    });
    await waitUntil(
      async () => (await call<ReleaseJson>('GET', '/api/v1/releases/sched-1')).status === 'WAITING_APPROVAL',
      { timeoutMs: 30_000, what: 'approval' },
    );
    await call('POST', '/api/v1/releases/sched-1/approve', { comment: 'for tomorrow' }, token);
    const waiting = await call<ReleaseJson>('GET', '/api/v1/releases/sched-1');
    expect(waiting.status).toBe('WAITING_WINDOW');
    expect(waiting.waitingUntil).toBe(Date.parse('2026-11-24T10:00:00Z'));
    // an hour later it still waits
    clock.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await call<ReleaseJson>('GET', '/api/v1/releases/sched-1')).status).toBe('WAITING_WINDOW');
    clock.set(Date.parse('2026-11-24T10:00:05Z'));
    await waitUntil(
      async () => {
        const r = await call<ReleaseJson>('GET', '/api/v1/releases/sched-1');
        if (r.stage === 'MONITOR') clock.advance(2000);
        return r.status === 'SUCCESS' ? r : undefined;
      },
      { timeoutMs: 60_000, what: 'sched-1 to succeed in the window' },
    );
    const events = await call<{ items: { reason: string; message: string }[] }>(
      'GET',
      '/api/v1/releases/sched-1/events',
    );
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['WaitingForWindow', 'WindowOpened', 'ReleaseSucceeded']),
    );
    expect(events.items.find((e) => e.reason === 'WaitingForWindow')?.message).toContain(
      '2026-11-24T10:00:00.000Z',
    );
  }, 120_000);
});
