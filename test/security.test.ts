import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  isAlive,
  rolloutDoc,
  sampleTemplate,
  specYaml,
} from './support/cutover-env.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs `script` (an ES module) with node as the unprivileged user `nobody`; its stdout, parsed as JSON. */
function asNobody(script: string, args: string[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e', script, ...args],
      { timeout: 20_000, cwd: '/' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Record<string, string>);
      },
    );
  });
}

/**
 * What another local user can do to a running installation (design: "Whatever can start a process
 * or read the data directory is root-equivalent: it needs a credential, the right role, and a test
 * that an unprivileged local user and a lower role cannot reach it"). Each probe is tried as
 * `nobody`, from a process of its own, on the real files and sockets.
 */
describe.skipIf(!isRoot)('Security: another local user', () => {
  const env = CutoverEnv.create('cutover-sec-');
  let port = 0;

  beforeAll(async () => {
    // A data directory made by hand with the usual umask (0755): cutover narrows it to 0700.
    chmodSync(env.home, 0o755);
    port = await freePort();
    const doc = rolloutDoc('web', {
      replicas: 1,
      port,
      template: sampleTemplate(env, 'v1'),
      strategy: { recreate: {} },
    });
    await env.applyOk(specYaml(doc));
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
  }, 60_000);

  afterAll(async () => {
    await env.cleanup();
  });

  it('should find the data directory, the token, the database and the admin socket closed', async () => {
    expect(statSync(env.home).mode & 0o777).toBe(0o700);
    const info = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as {
      adminSocket: string;
      pid: number;
    };
    const outcome = await asNobody(
      `import fs from 'node:fs'; import net from 'node:net';
       const [home, socket] = process.argv.slice(1);
       const out = {};
       const attempt = (name, fn) => { try { fn(); out[name] = 'OPEN'; } catch (e) { out[name] = e.code; } };
       attempt('list', () => fs.readdirSync(home));
       attempt('token', () => fs.readFileSync(home + '/token'));
       attempt('database', () => fs.readFileSync(home + '/cutover.db'));
       attempt('wal', () => fs.readFileSync(home + '/cutover.db-wal'));
       attempt('serverLog', () => fs.readFileSync(home + '/logs/server.log'));
       attempt('dataplaneJson', () => fs.readFileSync(home + '/dataplane.json'));
       out.socket = await new Promise((resolve) => {
         const s = net.connect(socket);
         s.once('connect', () => { s.destroy(); resolve('OPEN'); });
         s.once('error', (e) => resolve(e.code));
       });
       console.log(JSON.stringify(out));`,
      [env.home, info.adminSocket],
    );
    expect(outcome).toEqual({
      list: 'EACCES',
      token: 'EACCES',
      database: 'EACCES',
      wal: 'EACCES',
      serverLog: 'EACCES',
      dataplaneJson: 'EACCES',
      socket: 'EACCES',
    });
    expect(isAlive(info.pid)).toBe(true);
  });

  it('should let another user neither start a process nor stop the data plane through any TCP port', async () => {
    const info = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as {
      metricsPort: number;
      pid: number;
    };
    const server = JSON.parse(readFileSync(env.path('server.json'), 'utf8')) as { port: number };
    const marker = env.path('replicas/pwned');
    const outcome = await asNobody(
      `const [metrics, api, marker] = process.argv.slice(1);
       const body = JSON.stringify({ rollout: 'evil', replicaSets: [{ revision: 1, hash: 'x', replicas: 1,
         template: { command: ['sh', '-c', 'touch ' + marker] } }], listeners: [] });
       const out = {};
       const call = async (name, url, init) => {
         try { out[name] = String((await fetch(url, init)).status); } catch (e) { out[name] = e.cause?.code ?? e.message; }
       };
       const json = { 'content-type': 'application/json' };
       await call('metricsPut', 'http://127.0.0.1:' + metrics + '/v1/rollouts/evil', { method: 'PUT', headers: json, body });
       await call('metricsShutdown', 'http://127.0.0.1:' + metrics + '/v1/shutdown', { method: 'POST', headers: json, body: '{}' });
       await call('apiApply', 'http://127.0.0.1:' + api + '/api/v1/apply', { method: 'POST', headers: json, body: '{}' });
       await call('apiShutdown', 'http://127.0.0.1:' + api + '/api/v1/shutdown', { method: 'POST', headers: json, body: '{}' });
       console.log(JSON.stringify(out));`,
      [String(info.metricsPort), String(server.port), marker],
    );
    expect(outcome).toEqual({
      metricsPut: '404',
      metricsShutdown: '404',
      apiApply: '401',
      apiShutdown: '401',
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(() => statSync(marker)).toThrow();
    expect(isAlive(info.pid)).toBe(true);
  });

  it('should refuse what starts a process or reads secrets to every role below the one it needs', async () => {
    const server = JSON.parse(readFileSync(env.path('server.json'), 'utf8')) as { port: number };
    const tokens = {
      viewer: await env.token('val', 'viewer'),
      approver: await env.token('amy', 'approver', 'manager'),
      deployer: await env.token('dora', 'deployer'),
    };
    const call = async (token: string, method: 'POST' | 'GET', path: string, body?: unknown) => {
      const res = await request(`http://127.0.0.1:${server.port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      await res.body.text();
      return res.statusCode;
    };
    const yaml = specYaml(
      rolloutDoc('evil', {
        replicas: 1,
        port: await freePort(),
        template: sampleTemplate(env, 'x'),
        strategy: { recreate: {} },
      }),
    );
    // Starting a process (apply) needs deployer; tokens, the audit log and shutdown need admin.
    for (const role of ['viewer', 'approver'] as const)
      expect(await call(tokens[role], 'POST', '/api/v1/apply', { text: yaml }), role).toBe(403);
    for (const role of ['viewer', 'approver', 'deployer'] as const) {
      expect(await call(tokens[role], 'POST', '/api/v1/tokens', { user: 'x', role: 'admin' }), role).toBe(
        403,
      );
      expect(await call(tokens[role], 'GET', '/api/v1/audit'), role).toBe(403);
      expect(await call(tokens[role], 'POST', '/api/v1/shutdown', {}), role).toBe(403);
    }
    expect((await env.cli(['list', 'rollouts', '-o', 'json'])).stdout).not.toContain('"evil"');
  });

  it('should keep the job escapes (sandbox: none, network: true) to admins, and stage results to the crew', async () => {
    const server = JSON.parse(readFileSync(env.path('server.json'), 'utf8')) as { port: number };
    const deployer = await env.token('dan', 'deployer');
    const post = async (token: string, path: string, body: unknown) => {
      const res = await request(`http://127.0.0.1:${server.port}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { code?: string; message?: string } };
    };
    const template = (name: string, job: object) =>
      specYaml({
        apiVersion: 'cutover.dev/v1alpha1',
        kind: 'AnalysisTemplate',
        metadata: { name },
        spec: { metrics: [{ name: 'm', provider: { job: { command: ['true'], ...job } } }] },
      });
    // Regression (issue 9): any deployer could run a job unsandboxed or with the host's network.
    for (const [name, job] of [
      ['escape-sandbox', { sandbox: 'none' }],
      ['escape-network', { network: true }],
    ] as const) {
      const refused = await post(deployer, '/api/v1/apply', {
        text: template(name, job),
        file: env.path(`${name}.yaml`),
      });
      expect(refused.status, JSON.stringify(refused.body)).toBe(403);
      expect(refused.body.code).toBe('CUTOVER_E_UNSANDBOXED_FORBIDDEN');
      expect(refused.body.message).toMatch(/spec\.metrics\[0\]\.provider\.job\.(sandbox|network)/);
      const ok = await post(env.apiToken(), '/api/v1/apply', {
        text: template(name, job),
        file: env.path(`${name}.yaml`),
      });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    }
    // Regression (issue 9): a deployer posted `outcome: Succeeded` for PREPARE and skipped the
    // PreDeploymentValidator. Only the crew agent owning a stage may report it; not even an admin.
    for (const token of [deployer, env.apiToken()]) {
      const forged = await post(token, '/api/v1/releases/any/stages', {
        stage: 'PREPARE',
        environment: 'dev',
        outcome: 'Succeeded',
      });
      expect(forged.status).toBe(403);
      expect(forged.body.code).toBe('CUTOVER_E_STAGE_OWNER');
      const finding = await post(token, '/api/v1/releases/any/findings', {
        level: 'escalation',
        message: 'x',
      });
      expect(finding.status).toBe(403);
      const progress = await post(token, '/api/v1/releases/any/progress', {
        environment: 'dev',
        percent: 100,
        rollouts: [],
        phases: [],
        smokeTests: [],
        updatedAt: 0,
      });
      expect(progress.status).toBe(403);
      expect(progress.body.code).toBe('CUTOVER_E_STAGE_OWNER');
    }
  });
});
