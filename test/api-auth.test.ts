import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePorts,
  type HistoryJson,
  type RolloutJson,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from './support/cutover-env.js';

/** An answer of the API: status, headers and the parsed JSON body. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; message?: string; path?: string; [key: string]: unknown };
}

/**
 * The REST API's identity, roles, audit log, limits and event stream, against a real server
 * started by the CLI in a temporary data directory, with a live canary of real processes.
 */
describe('API auth, audit and limits', () => {
  const env = CutoverEnv.create('cutover-api-');
  let port = 0;
  let admin = '';
  const tokens: Record<'viewer' | 'deployer', string> = { viewer: '', deployer: '' };

  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<Answer> {
    const res = await request(`http://127.0.0.1:${env.apiPort()}${path}`, {
      method,
      headers: {
        ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : {} };
  }

  /** A token file (mode 0600) for `cutover --token-file`. */
  function tokenFile(name: string, token: string): string {
    const file = env.path(`${name}.token`);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    return file;
  }

  async function createToken(user: string, role: string): Promise<{ id: string; token: string }> {
    const r = await env.cliOk(['token', 'create', '--user', user, '--role', role, '-o', 'json']);
    return JSON.parse(r.stdout) as { id: string; token: string };
  }

  const rollout = async (token: string) =>
    (await call('GET', '/api/v1/rollouts/web', token)).body as unknown as RolloutJson;

  beforeAll(async () => {
    port = (await freePorts(1))[0]!;
    await env.cliOk(['list', 'rollouts']); // starts the server, which writes the bootstrap token
    admin = readFileSync(env.path('token'), 'utf8').trim();
    tokens.viewer = (await createToken('vic', 'viewer')).token;
    tokens.deployer = (await createToken('dee', 'deployer')).token;
    const yaml = specYaml(
      rolloutDoc('web', {
        replicas: 1,
        port,
        template: sampleTemplate(env, 'v1'),
        strategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 80 }, { pause: {} }] } },
      }),
    );
    env.write('web.yaml', yaml);
    await env.cliOk(['--token-file', tokenFile('dee', tokens.deployer), 'apply', '-f', env.path('web.yaml')]);
    await waitUntil(async () => (await rollout(admin)).status?.phase === 'Healthy', {
      timeoutMs: 30_000,
      what: 'web Healthy',
    });
    env.write('web.yaml', yaml.replace('VERSION: v1', 'VERSION: v2'));
    await env.cliOk(['--token-file', tokenFile('dee', tokens.deployer), 'apply', '-f', env.path('web.yaml')]);
    await waitUntil(
      async () => {
        const r = await rollout(admin);
        return r.status.phase === 'Paused' && r.status.currentStepIndex === 1;
      },
      { timeoutMs: 30_000, what: 'web paused at step 2' },
    );
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('should refuse requests without a valid token with 401, except /healthz', async () => {
    expect((await call('GET', '/healthz', undefined)).status).toBe(200);
    const none = await call('GET', '/api/v1/rollouts', undefined);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('CUTOVER_E_UNAUTHENTICATED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const forged = `${admin.slice(0, -4)}AAAA`;
    expect((await call('GET', '/api/v1/rollouts', forged)).body.code).toBe('CUTOVER_E_UNAUTHENTICATED');
    expect((await call('GET', '/metrics', undefined)).status).toBe(401);
    // ?access_token= is for the event stream only.
    expect((await call('GET', `/api/v1/rollouts?access_token=${admin}`, undefined)).status).toBe(401);
  });

  it('should answer 403 to a viewer who promotes, and change nothing', async () => {
    const before = await rollout(admin);
    expect((await call('GET', '/api/v1/rollouts/web', tokens.viewer)).status).toBe(200);
    const r = await call('POST', '/api/v1/rollouts/web/promote', tokens.viewer, {});
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'CUTOVER_E_FORBIDDEN' });
    expect(r.body.message).toMatch(/role viewer may not POST/);
    const cli = await env.cli(['--token-file', tokenFile('vic', tokens.viewer), 'promote', 'web']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/role viewer may not/);
    expect((await rollout(admin)).status.currentStepIndex).toBe(before.status.currentStepIndex);
  });

  it('should give a 400 naming the field path to a malformed body, and change nothing', async () => {
    const before = await rollout(admin);
    const tokensBefore = (await call('GET', '/api/v1/tokens', admin)).body.items;
    const promote = await call('POST', '/api/v1/rollouts/web/promote', tokens.deployer, { full: 'yes' });
    expect(promote.status).toBe(400);
    expect(promote.body).toMatchObject({ code: 'CUTOVER_E_BAD_REQUEST', path: 'full' });
    const apply = await call('POST', '/api/v1/apply', tokens.deployer, { file: '/srv/web.yaml' });
    expect(apply.body).toMatchObject({ code: 'CUTOVER_E_BAD_REQUEST', path: 'text' });
    const token = await call('POST', '/api/v1/tokens', admin, { user: 'eve', role: 'root' });
    expect(token.status).toBe(400);
    expect(token.body.path).toBe('role');
    const notJson = await call('POST', '/api/v1/rollouts/web/promote', tokens.deployer, '{"full":');
    expect(notJson.status).toBe(400);
    const huge = await call('POST', '/api/v1/apply', tokens.deployer, {
      file: 'x.yaml',
      text: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('CUTOVER_E_BODY_TOO_LARGE');
    const after = await rollout(admin);
    expect(after.status.currentStepIndex).toBe(before.status.currentStepIndex);
    expect(after.status.phase).toBe('Paused');
    expect((await call('GET', '/api/v1/tokens', admin)).body.items).toEqual(tokensBefore);
  });

  it('should let a deployer promote, recorded as its user, but not manage tokens', async () => {
    const r = await call('POST', '/api/v1/rollouts/web/promote', tokens.deployer, {});
    expect(r.status).toBe(200);
    await waitUntil(async () => (await rollout(admin)).status.currentStepIndex === 3, {
      timeoutMs: 20_000,
      what: 'web at step 4',
    });
    const { events } = JSON.parse((await env.cliOk(['history', 'web', '-o', 'json'])).stdout) as HistoryJson;
    expect(events.filter((e) => e.reason === 'RolloutPromoted').map((e) => e.actor)).toEqual(['user:dee']);
    expect(events.find((e) => e.reason === 'RevisionCreated')?.actor).toBe('user:dee');

    expect((await call('POST', '/api/v1/tokens', tokens.deployer, { user: 'x', role: 'admin' })).status).toBe(
      403,
    );
    expect((await call('GET', '/api/v1/tokens', tokens.deployer)).status).toBe(403);
    expect((await call('GET', '/api/v1/audit', tokens.deployer)).status).toBe(403);
    const cli = await env.cli(['--token-file', tokenFile('dee', tokens.deployer), 'token', 'list']);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/role deployer may not GET \/api\/v1\/tokens/);
  });

  it('should refuse a revoked token with 401', async () => {
    const one = await createToken('rita', 'viewer');
    const two = await createToken('rita', 'viewer');
    expect((await call('GET', '/api/v1/rollouts', one.token)).status).toBe(200);
    await env.cliOk(['token', 'revoke', one.id]);
    const refused = await call('GET', '/api/v1/rollouts', one.token);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/revoked/);
    expect((await call('GET', '/api/v1/rollouts', two.token)).status).toBe(200);
    await env.cliOk(['token', 'revoke', '--user', 'rita']);
    expect((await call('GET', '/api/v1/rollouts', two.token)).status).toBe(401);
    const list = JSON.parse((await env.cliOk(['token', 'list', '-o', 'json'])).stdout) as {
      items: { user: string; revokedAt: number | null }[];
    };
    expect(list.items.filter((t) => t.user === 'rita').every((t) => t.revokedAt !== null)).toBe(true);
    expect(JSON.stringify(list)).not.toContain(one.token);
  });

  it('should stream an event caused by a command over SSE, and resume after Last-Event-ID', async () => {
    const ac = new AbortController();
    const res = await request(
      `http://127.0.0.1:${env.apiPort()}/api/v1/events/stream?access_token=${tokens.viewer}`,
      { signal: ac.signal, headersTimeout: 10_000 },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    let text = '';
    const reading = (async () => {
      try {
        for await (const chunk of res.body) text += chunk.toString();
      } catch {
        // aborted at the end of the test
      }
    })();
    // The stream opens with every Rollout.
    await waitUntil(() => text.includes('event: rollout\n'), { timeoutMs: 5_000, what: 'rollout frame' });
    expect((await call('POST', '/api/v1/rollouts/web/pause', tokens.deployer, {})).status).toBe(200);
    const frame = await waitUntil(
      () =>
        text
          .split('\n\n')
          .find((f) => f.includes('event: rollout-event') && f.includes('"reason":"RolloutPaused"')),
      { timeoutMs: 5_000, what: 'RolloutPaused over SSE' },
    );
    const id = Number(/^id: (\d+)$/m.exec(frame)?.[1]);
    const event = JSON.parse(/^data: (.*)$/m.exec(frame)?.[1] ?? '{}') as { id: number; actor: string };
    expect(event).toMatchObject({ id, actor: 'user:dee' });
    await waitUntil(
      () =>
        text
          .split('\n\n')
          .some((f) => f.startsWith('event: rollout\n') && f.includes('"controllerPause":true')),
      { timeoutMs: 5_000, what: 'the paused Rollout over SSE' },
    );
    ac.abort();
    await reading;

    // Resuming after id - 1 delivers the event again, with the header auth of any client.
    const ac2 = new AbortController();
    const again = await request(`http://127.0.0.1:${env.apiPort()}/api/v1/events/stream`, {
      signal: ac2.signal,
      headers: { authorization: `Bearer ${tokens.viewer}`, 'last-event-id': String(id - 1) },
    });
    let text2 = '';
    const reading2 = (async () => {
      try {
        for await (const chunk of again.body) text2 += chunk.toString();
      } catch {}
    })();
    await waitUntil(() => text2.includes(`id: ${id}\nevent: rollout-event`), {
      timeoutMs: 5_000,
      what: 'the event again after Last-Event-ID',
    });
    ac2.abort();
    await reading2;
    await call('POST', '/api/v1/rollouts/web/resume', tokens.deployer, {});
  });

  it('should answer 429 with Retry-After past the rate limit of one token, not of others', async () => {
    const { token } = await createToken('busy', 'viewer');
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => call('GET', '/api/v1/whoami', token)),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(100);
    expect(limited[0]?.body.code).toBe('CUTOVER_E_RATE_LIMITED');
    expect(Number(limited[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await call('GET', '/api/v1/whoami', tokens.viewer)).body).toMatchObject({
      user: 'vic',
      role: 'viewer',
      actor: 'user:vic',
      permissions: ['read'],
    });
  });

  it('should serve an OpenAPI document listing the routes', async () => {
    const doc = (await call('GET', '/api/v1/openapi.json', tokens.viewer)).body as unknown as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const [path, method] of [
      ['/api/v1/rollouts/{name}/promote', 'post'],
      ['/api/v1/events/stream', 'get'],
      ['/api/v1/tokens', 'post'],
      ['/api/v1/audit/verify', 'get'],
      ['/api/v1/rollouts/{name}/stats', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });

  it('should serve traffic stats per revision for charts', async () => {
    const stats = (await call('GET', '/api/v1/rollouts/web/stats?window=30&series=true', tokens.viewer))
      .body as unknown as {
      revisions: { revision: number; roles: string[]; stats: { requests: number }; series: unknown[] }[];
    };
    expect(stats.revisions.map((r) => [r.revision, r.roles])).toEqual([
      [1, ['stable']],
      [2, ['current']],
    ]);
    expect(stats.revisions.every((r) => Array.isArray(r.series))).toBe(true);
    const bad = await call('GET', '/api/v1/rollouts/web/stats?window=0', tokens.viewer);
    expect(bad.body).toMatchObject({ code: 'CUTOVER_E_BAD_REQUEST', path: 'window' });
  });

  it('should record mutating calls in a hash chain that detects an edit and a deletion', async () => {
    const { items } = JSON.parse((await env.cliOk(['audit', 'list', '-o', 'json'])).stdout) as {
      items: { id: number; actor: string; method: string; path: string; status: number; summary: string }[];
    };
    expect(items).toContainEqual(
      expect.objectContaining({ actor: 'user:vic', path: '/api/v1/rollouts/web/promote', status: 403 }),
    );
    const promoted = items.find(
      (e) => e.actor === 'user:dee' && e.path === '/api/v1/rollouts/web/promote' && e.status === 200,
    );
    expect(promoted?.summary).toBe('{}');
    // An apply body may hold a Secret's stringData: audited as its sha256 only, however short.
    expect(items.find((e) => e.path === '/api/v1/apply' && e.status === 400)?.summary).toBe(
      `sha256:${createHash('sha256').update('{"file":"/srv/web.yaml"}').digest('hex')}`,
    );
    expect(items.every((e) => e.method !== 'GET')).toBe(true);
    const ok = await env.cli(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact: \d+ entries verified/);

    const db = new BetterSqlite3(env.path('cutover.db'));
    try {
      // Append-only while the triggers stand.
      expect(() => db.prepare('UPDATE audit SET status = 200 WHERE id = 1').run()).toThrow(/append-only/);
      db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete');
      const target = items.find((e) => e.status === 403)!;
      db.prepare('UPDATE audit SET status = 200 WHERE id = ?').run(target.id);
      const edited = await env.cli(['audit', 'verify']);
      expect(edited.code).not.toBe(0);
      expect(edited.stderr).toContain(
        `audit log broken at entry ${target.id}: entry ${target.id}: HMAC does not match (edited or re-hashed without the audit key)`,
      );
      db.prepare('UPDATE audit SET status = 403 WHERE id = ?').run(target.id);
      expect((await env.cli(['audit', 'verify'])).code).toBe(0);
      db.prepare('DELETE FROM audit WHERE id = ?').run(target.id);
      const deleted = await env.cli(['audit', 'verify']);
      expect(deleted.code).not.toBe(0);
      expect(deleted.stderr).toContain(
        `audit log broken at entry ${target.id + 1}: entry ${target.id + 1} follows entry ${target.id - 1}`,
      );
    } finally {
      db.close();
    }
  });
});
