import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  errorRateTemplate,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A value no test writes twice, searched for in clear at the end. */
const uniqueValue = (prefix: string) => `${prefix}${sha256(String(Math.random())).slice(0, 24)}`;
const secretDoc = (name: string, stringData: Record<string, string>) => ({
  apiVersion: 'cutover.dev/v1alpha1',
  kind: 'Secret',
  metadata: { name },
  stringData,
});

/** Which value of `name` a replica behind `port` runs with, as the sha256 the sample service reports. */
async function envSha(port: number, name: string): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/env-sha256/${name}`)).text()).trim();
}

/** The same of the file `path` under the replica's `$CUTOVER_FILES_DIR`. */
async function fileSha(port: number, path: string): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/file-sha256/${path}`)).text()).trim();
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/**
 * ConfigMaps and Secrets (issue 14): a Rollout takes them with `envFrom`; a change to one is a new
 * revision that ships through the Rollout's canary and analysis; a Secret is stored encrypted and
 * its value appears nowhere but in the replica that uses it.
 */
describe('ConfigMap and Secret (real processes)', () => {
  const env = CutoverEnv.create('cutover-config-');
  let ports: number[] = [];
  /** Every CLI output of the test, searched for secret values at the end. */
  const outputs: string[] = [];
  const cli = async (args: string[], options?: { env?: Record<string, string> }) => {
    const r = await env.cli(args, options);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    ports = await freePorts(4);
  });

  afterAll(async () => {
    await env.cleanup();
  });

  /** No API answer, CLI output so far, or file under the home but `written` holds any of `values`. */
  const expectNowhere = async (values: string[], written: string[], paths: string[] = []): Promise<void> => {
    const answers = await Promise.all(
      ['/api/v1/secrets', '/api/v1/events?limit=5000', '/api/v1/audit', ...paths].map(async (path) =>
        JSON.stringify(await env.apiGet(path)),
      ),
    );
    const files = filesUnder(env.home).filter((f) => !written.some((w) => f === env.path(w)));
    expect(files.some((f) => f.endsWith('.db') || f.includes('cutover.db'))).toBe(true);
    for (const value of values) {
      for (const text of [...answers, ...outputs]) expect(text.includes(value)).toBe(false);
      for (const file of files) {
        expect(readFileSync(file).includes(Buffer.from(value)), `${value} in ${file}`).toBe(false);
      }
    }
  };

  const configMap = (faultRate: string) => ({
    apiVersion: 'cutover.dev/v1alpha1',
    kind: 'ConfigMap',
    metadata: { name: 'agent-config' },
    data: { FAULT_RATE: faultRate, MODEL_PATH: '/models/planner-v1' },
  });

  it('should refuse a Rollout that takes a ConfigMap or Secret that does not exist, storing nothing', async () => {
    const doc = rolloutDoc('orphan', {
      port: ports[0]!,
      template: {
        ...sampleTemplate(env, 'v1'),
        envFrom: [{ configMapRef: { name: 'nowhere' } }, { secretRef: { name: 'nokeys' } }],
      },
      strategy: { canary: { steps: [{ setWeight: 50 }] } },
    });
    const r = await cli(['apply', '-f', env.write('orphan.yaml', specYaml(doc))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.template.envFrom[0].configMapRef.name: ConfigMap "nowhere" not found');
    expect(r.stderr).toContain('spec.template.envFrom[1].secretRef.name: Secret "nokeys" not found');
    expect((await env.cli(['get', 'rollout', 'orphan'])).code).not.toBe(0);
  });

  it('should ship a ConfigMap change as a canary of the Rollout that takes it, and abort a faulty value', async () => {
    const port = ports[0]!;
    const rollout = rolloutDoc('cfg-agent', {
      replicas: 2,
      port,
      template: { ...sampleTemplate(env, 'v1'), envFrom: [{ configMapRef: { name: 'agent-config' } }] },
      strategy: {
        canary: {
          abortScaleDownDelaySeconds: 1,
          scaleDownDelaySeconds: 1,
          steps: [
            { setWeight: 50 },
            { analysis: { templates: [{ templateName: 'error-rate' }] } },
            { pause: {} },
          ],
        },
      },
    });
    const first = await cli([
      'apply',
      '-f',
      env.write('cfg.yaml', specYaml(configMap('0'), errorRateTemplate('error-rate', '4s'), rollout)),
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('configmap.cutover.dev/agent-config configured (version 1)');
    await env.waitForRollout('cfg-agent', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    expect(await envSha(port, 'MODEL_PATH')).toBe(sha256('/models/planner-v1'));

    const load = startLoad(port, { concurrency: 4 });
    try {
      await waitUntil(() => load.total >= 30, { timeoutMs: 10_000, what: 'first responses' });
      // Only the ConfigMap changes: the Rollout that takes it gets a new revision.
      const changed = await cli(['apply', '-f', env.write('cfg-v2.yaml', specYaml(configMap('1')))]);
      expect(changed.code, changed.stderr).toBe(0);
      expect(changed.stdout).toContain('configmap.cutover.dev/agent-config configured (version 2)');
      expect(changed.stdout).toContain('rollout.cutover.dev/cfg-agent revised (revision 2)');
      const aborted = await env.waitForRollout('cfg-agent', (r) => r.status.abort, {
        what: 'aborted by analysis',
        timeoutMs: 60_000,
      });
      expect(aborted.status.stableRevision).toBe(1);
      expect(aborted.status.message).toMatch(/AnalysisRun .* (Failed|Error)/);
      // The old value is back on every request.
      const after = Date.now() + 500;
      await waitUntil(() => load.counts(after).total >= 100, {
        timeoutMs: 20_000,
        what: '100 answers after the abort',
      });
      expect(load.counts(after).failed).toBe(0);
      expect(load.counts(after).byVersion).toEqual({ v1: load.counts(after).total });
    } finally {
      await load.stop();
    }
    const revisions = await env.apiGet<{
      items: { number: number; template: { refVersions?: object } }[];
    }>('/api/v1/rollouts/cfg-agent/revisions');
    expect(revisions.items.map((r) => [r.number, r.template.refVersions])).toEqual([
      [1, { 'ConfigMap/agent-config': 1 }],
      [2, { 'ConfigMap/agent-config': 2 }],
    ]);
    // The same values again are no new version, and no new revision.
    const again = await cli(['apply', '-f', env.path('cfg-v2.yaml')]);
    expect(again.stdout).toContain('configmap.cutover.dev/agent-config unchanged (version 2)');
    expect(again.stdout).not.toContain('rollout.cutover.dev/cfg-agent');
  }, 150_000);

  it('should give a rotated Secret to a new revision, bring the old one back on undo, and show its value nowhere', async () => {
    const port = ports[1]!;
    const first = uniqueValue('sk-live-');
    const second = uniqueValue('sk-live-');
    const secret = secretDoc('agent-keys', { API_KEY: first });
    const rollout = rolloutDoc('sec-agent', {
      port,
      template: { ...sampleTemplate(env, 'v1'), envFrom: [{ secretRef: { name: 'agent-keys' } }] },
      strategy: {
        canary: { scaleDownDelaySeconds: 0, steps: [{ setWeight: 50 }, { pause: { duration: '1s' } }] },
      },
    });
    const applied = await cli(['apply', '-f', env.write('sec.yaml', specYaml(secret, rollout))]);
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout('sec-agent', (r) => r.status.phase === 'Healthy', {
      what: 'Healthy on revision 1',
    });
    expect(await envSha(port, 'API_KEY')).toBe(sha256(first));

    const set = await cli([
      'secret',
      'set',
      'agent-keys',
      'API_KEY',
      '--from-file',
      env.write('key.txt', second),
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('secret.cutover.dev/agent-keys configured (version 2)');
    expect(set.stdout).toContain('rollout.cutover.dev/sec-agent revised (revision 2)');
    await env.waitForRollout(
      'sec-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2,
      {
        what: 'Healthy on revision 2',
        timeoutMs: 60_000,
      },
    );
    expect(await envSha(port, 'API_KEY')).toBe(sha256(second));

    const undone = await cli(['undo', 'sec-agent', '--to-revision', '1']);
    expect(undone.code, undone.stderr).toBe(0);
    await env.waitForRollout(
      'sec-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 3,
      {
        what: 'Healthy on the template of revision 1',
        timeoutMs: 60_000,
      },
    );
    expect(await envSha(port, 'API_KEY')).toBe(sha256(first));

    // Listed by name, version, keys and fingerprint only.
    const list = await cli(['secret', 'list', '-o', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        name: 'agent-keys',
        version: 2,
        keys: ['API_KEY'],
        sha256: expect.any(String),
      }),
    ]);
    // Nowhere in clear: API answers, CLI output, events, the audit log, logs, the database files.
    outputs.push(
      (await cli(['get', 'rollout', 'sec-agent'])).stdout,
      (await cli(['history', 'sec-agent'])).stdout,
    );
    // All but the two files the user wrote the values into.
    await expectNowhere(
      [first, second],
      ['sec.yaml', 'key.txt'],
      [
        '/api/v1/secrets/agent-keys',
        '/api/v1/rollouts/sec-agent',
        '/api/v1/rollouts/sec-agent/revisions',
        '/api/v1/rollouts/sec-agent/replicasets',
      ],
    );
    // The key-encryption key rotates (admin only); the values stay readable by the new key alone.
    const kekBefore = readFileSync(env.path('keys/kek'), 'utf8');
    const deployer = await env.token('dee', 'deployer');
    const refused = await cli(['secret', 'rotate-key'], { env: { CUTOVER_TOKEN: deployer } });
    expect(refused.code).not.toBe(0);
    const rotated = await cli(['secret', 'rotate-key']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/: 2 secret version\(s\) re-wrapped/);
    expect(readFileSync(env.path('keys/kek'), 'utf8')).not.toBe(kekBefore);
    expect(filesUnder(env.home).some((f) => f.endsWith('kek.next'))).toBe(false);
    const third = uniqueValue('sk-live-');
    expect(
      (await cli(['secret', 'set', 'agent-keys', 'API_KEY', '--from-file', env.write('key.txt', third)]))
        .code,
    ).toBe(0);
    await env.waitForRollout(
      'sec-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 4,
      {
        what: 'Healthy on revision 4',
        timeoutMs: 60_000,
      },
    );
    expect(await envSha(port, 'API_KEY')).toBe(sha256(third));
    expect((await cli(['undo', 'sec-agent', '--to-revision', '1'])).code).toBe(0);
    await env.waitForRollout(
      'sec-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 5,
      {
        what: 'Healthy on the first value again, opened with the new key',
        timeoutMs: 60_000,
      },
    );
    expect(await envSha(port, 'API_KEY')).toBe(sha256(first));
  }, 200_000);
  it('should refuse a missing secretKeyRef key and an absent configMapKeyRef at their list paths, changing nothing', async () => {
    const configsBefore = await env.apiGet('/api/v1/configmaps');
    const secretsBefore = await env.apiGet('/api/v1/secrets');
    const eventsBefore = await env.apiGet<{ items: unknown[] }>('/api/v1/events?limit=5000');
    const doc = rolloutDoc('ref-orphan', {
      port: ports[2]!,
      template: {
        ...sampleTemplate(env, 'v1'),
        env: [
          { name: 'VERSION', value: 'v1' },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'agent-keys', key: 'NO_SUCH_KEY' } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'absent-config', key: 'MODE' } } },
          {
            name: 'OPT',
            valueFrom: { configMapKeyRef: { name: 'absent-config', key: 'X', optional: true } },
          },
        ],
        files: [{ path: 'cfg/x', configMapRef: { name: 'agent-config' }, key: 'NOPE' }],
      },
      strategy: { recreate: {} },
    });
    // A ConfigMap in the same file is not stored either.
    const extra = { ...configMap('0'), metadata: { name: 'side-config' } };
    const r = await cli(['apply', '-f', env.write('ref-orphan.yaml', specYaml(extra, doc))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'spec.template.env[1].valueFrom.secretKeyRef.key: Secret "agent-keys" has no key "NO_SUCH_KEY"',
    );
    expect(r.stderr).toContain(
      'spec.template.env[2].valueFrom.configMapKeyRef.name: ConfigMap "absent-config" not found',
    );
    expect(r.stderr).toContain('spec.template.files[0].key: ConfigMap "agent-config" has no key "NOPE"');
    expect(r.stderr).not.toContain('env[3]');
    // A files path must stay inside the replica set's files directory.
    const escaping = rolloutDoc('ref-orphan', {
      port: ports[2]!,
      template: {
        ...sampleTemplate(env, 'v1'),
        files: [
          { path: '../escape', secretRef: { name: 'agent-keys' } },
          { path: '/etc/cutover', configMapRef: { name: 'agent-config' } },
        ],
      },
      strategy: { recreate: {} },
    });
    const escaped = await cli(['apply', '-f', env.write('ref-escape.yaml', specYaml(escaping))]);
    expect(escaped.code).not.toBe(0);
    expect(escaped.stderr).toMatch(
      /spec\.template\.files\[0\]\.path: expected a relative path .*it climbs out with \.\./,
    );
    expect(escaped.stderr).toMatch(
      /spec\.template\.files\[1\]\.path: expected a relative path .*it is absolute/,
    );
    expect((await env.cli(['get', 'rollout', 'ref-orphan'])).code).not.toBe(0);
    expect(await env.apiGet('/api/v1/configmaps')).toEqual(configsBefore);
    expect(await env.apiGet('/api/v1/secrets')).toEqual(secretsBefore);
    expect((await env.apiGet<{ items: unknown[] }>('/api/v1/events?limit=5000')).items).toEqual(
      eventsBefore.items,
    );
  });

  it('should give one Secret key to an env valueFrom, and a new revision its new value when the key changes', async () => {
    const port = ports[2]!;
    const first = uniqueValue('tok-');
    const second = uniqueValue('tok-');
    const secret = secretDoc('ref-keys', { TOKEN: first });
    const rollout = rolloutDoc('ref-agent', {
      port,
      template: {
        ...sampleTemplate(env, 'v1'),
        env: [
          { name: 'VERSION', value: 'v1' },
          { name: 'AGENT_TOKEN', valueFrom: { secretKeyRef: { name: 'ref-keys', key: 'TOKEN' } } },
          { name: 'MODEL', valueFrom: { configMapKeyRef: { name: 'agent-config', key: 'MODEL_PATH' } } },
        ],
        files: [
          { path: 'secrets/token', secretRef: { name: 'ref-keys' }, key: 'TOKEN' },
          { path: 'config', configMapRef: { name: 'agent-config' } },
        ],
      },
      strategy: { recreate: {} },
    });
    const applied = await cli(['apply', '-f', env.write('ref.yaml', specYaml(secret, rollout))]);
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout('ref-agent', (r) => r.status.phase === 'Healthy', {
      what: 'Healthy on revision 1',
    });
    expect(await envSha(port, 'AGENT_TOKEN')).toBe(sha256(first));
    expect(await envSha(port, 'MODEL')).toBe(sha256('/models/planner-v1'));
    expect((await fetch(`http://127.0.0.1:${port}/env-sha256/TOKEN`)).status).toBe(404);
    expect(await fileSha(port, 'secrets/token')).toBe(sha256(first));
    expect(await fileSha(port, 'config/MODEL_PATH')).toBe(sha256('/models/planner-v1'));
    expect(await fileSha(port, 'config/FAULT_RATE')).toBe(sha256('1'));

    const set = await cli([
      'secret',
      'set',
      'ref-keys',
      'TOKEN',
      '--from-file',
      env.write('tok.txt', second),
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('rollout.cutover.dev/ref-agent revised (revision 2)');
    await env.waitForRollout(
      'ref-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2,
      { what: 'Healthy on revision 2', timeoutMs: 30_000 },
    );
    expect(await envSha(port, 'AGENT_TOKEN')).toBe(sha256(second));
    expect(await fileSha(port, 'secrets/token')).toBe(sha256(second));
    // Per replica set, 0600 for a Secret's file and 0644 for a ConfigMap's; revision 1's are gone.
    const written = filesUnder(env.home).filter((f) => f.includes(`${sep}files${sep}ref-agent${sep}`));
    expect(
      written.map((f) => [f.slice(f.indexOf(`ref-agent${sep}`)), statSync(f).mode & 0o777]).sort(),
    ).toEqual([
      [join('ref-agent', 'r2', 'config', 'FAULT_RATE'), 0o644],
      [join('ref-agent', 'r2', 'config', 'MODEL_PATH'), 0o644],
      [join('ref-agent', 'r2', 'secrets', 'token'), 0o600],
    ]);
    const revisions = await env.apiGet<{
      items: { number: number; template: { refVersions?: object } }[];
    }>('/api/v1/rollouts/ref-agent/revisions');
    expect(revisions.items.map((r) => [r.number, r.template.refVersions])).toEqual([
      [1, { 'Secret/ref-keys': 1, 'ConfigMap/agent-config': 2 }],
      [2, { 'Secret/ref-keys': 2, 'ConfigMap/agent-config': 2 }],
    ]);
    // Each version's readers: the revisions that take it.
    const got = JSON.parse((await cli(['secret', 'get', 'ref-keys', '-o', 'json'])).stdout) as {
      versions: { version: number; readers: object[] }[];
    };
    expect(got.versions.map((v) => [v.version, v.readers])).toEqual([
      [1, [{ rollout: 'ref-agent', revision: 1 }]],
      [2, [{ rollout: 'ref-agent', revision: 2 }]],
    ]);
    expect((await cli(['secret', 'list'])).stdout).toMatch(/ref-keys .* ref-agent r2\n?/);
    expect((await cli(['configmap', 'get', 'agent-config'])).stdout).toMatch(
      /\n2 .* cfg-agent r2, ref-agent r1, ref-agent r2\n?/,
    );
    // Only the replica's own files hold the value (as its environment does).
    await expectNowhere(
      [first, second],
      ['ref.yaml', 'tok.txt', ...written.map((f) => relative(env.home, f))],
      ['/api/v1/rollouts/ref-agent/revisions'],
    );
  }, 60_000);
  it("should give a Rollout of an environment that environment's ConfigMap, the same name of every environment to others", async () => {
    const port = ports[3]!;
    const scoped = (mode: string, environment?: string) => ({
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'ConfigMap',
      metadata: { name: 'scoped-config', ...(environment === undefined ? {} : { environment }) },
      data: { MODE: mode },
    });
    const rollout = {
      ...(rolloutDoc('env-agent', {
        port,
        template: { ...sampleTemplate(env, 'v1'), envFrom: [{ configMapRef: { name: 'scoped-config' } }] },
        strategy: { recreate: {} },
      }) as { metadata: object }),
      metadata: { name: 'env-agent', environment: 'production' },
    };
    const applied = await cli([
      'apply',
      '-f',
      env.write('scoped.yaml', specYaml(scoped('any'), scoped('prod', 'production'), rollout)),
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    await env.waitForRollout('env-agent', (r) => r.status.phase === 'Healthy', { what: 'Healthy' });
    expect(await envSha(port, 'MODE')).toBe(sha256('prod'));
    const listed = await cli(['configmap', 'list', '-o', 'json']);
    expect(
      (JSON.parse(listed.stdout) as { name: string; environment?: string; data: object }[])
        .filter((c) => c.name === 'scoped-config')
        .map((c) => [c.environment ?? '*', c.data]),
    ).toEqual([
      ['*', { MODE: 'any' }],
      ['production', { MODE: 'prod' }],
    ]);
    // The ConfigMap of every environment changing is nothing to this Rollout; its own is a new revision.
    const other = await cli(['apply', '-f', env.write('scoped-2.yaml', specYaml(scoped('any-2')))]);
    expect(other.stdout).not.toContain('rollout.cutover.dev/env-agent');
    const own = await cli([
      'apply',
      '-f',
      env.write('scoped-3.yaml', specYaml(scoped('prod-2', 'production'))),
    ]);
    expect(own.stdout).toContain('rollout.cutover.dev/env-agent revised (revision 2)');
    await env.waitForRollout(
      'env-agent',
      (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2,
      {
        what: 'Healthy on revision 2',
      },
    );
    expect(await envSha(port, 'MODE')).toBe(sha256('prod-2'));
  }, 60_000);
  it('should give a Secret value to an admin alone, audited as name, key, version and fingerprint', async () => {
    const value = uniqueValue('rv-');
    // A rotation schedule that is no cron expression is refused with its path; a yearly one is shown.
    const badSchedule = { ...secretDoc('reveal-keys', { K: value }), rotationSchedule: 'monthly' };
    const bad = await cli(['apply', '-f', env.write('reveal-bad.yaml', specYaml(badSchedule))]);
    expect(bad.stderr).toContain('rotationSchedule: expected a 5-part cron expression (UTC)');
    const file = env.write(
      'reveal.yaml',
      specYaml({ ...secretDoc('reveal-keys', { K: value }), rotationSchedule: '0 0 1 1 *' }),
    );
    expect((await cli(['apply', '-f', file])).code).toBe(0);
    const { items: listed } = await env.apiGet<{
      items: { name: string; due?: boolean; rotationSchedule?: string }[];
    }>('/api/v1/secrets');
    expect(listed.find((s) => s.name === 'reveal-keys')).toMatchObject({
      rotationSchedule: '0 0 1 1 *',
      due: false,
    });
    expect((await cli(['secret', 'list'])).stdout).toMatch(/reveal-keys .* no \(0 0 1 1 \*\)/);
    for (const [role, qualifier] of [['viewer'], ['deployer'], ['approver', 'security']] as const) {
      const token = await env.token(`${role}-reader`, role, qualifier);
      const refused = await env.cli(['secret', 'reveal', 'reveal-keys', 'K'], {
        env: { CUTOVER_TOKEN: token },
      });
      outputs.push(refused.stdout, refused.stderr);
      expect(refused.code, role).not.toBe(0);
      expect(refused.stderr, role).toContain(`role ${role} may not POST`);
    }
    // The admin's answer is the one place the value is printed (not kept in `outputs`).
    const revealed = await env.cli(['secret', 'reveal', 'reveal-keys', 'K']);
    expect(revealed.code, revealed.stderr).toBe(0);
    expect(revealed.stdout).toBe(value);
    const missing = await cli(['secret', 'reveal', 'reveal-keys', 'NOPE']);
    expect(missing.stderr).toContain('Secret reveal-keys has no key NOPE');
    const { sha256: fingerprint } = await env.apiGet<{ sha256: string }>('/api/v1/secrets/reveal-keys');
    const audit = await env.apiGet<{
      items: { path: string; summary: string; status: number; role: string }[];
    }>('/api/v1/audit?limit=1000');
    const reads = audit.items.filter((e) => e.path.endsWith('/reveal-keys/keys/K/reveal'));
    expect(reads.map((e) => [e.role, e.status])).toEqual([
      ['viewer', 403],
      ['deployer', 403],
      ['approver', 403],
      ['admin', 200],
    ]);
    expect(reads.at(-1)?.summary).toBe(`reveal Secret reveal-keys key K version 1 sha256 ${fingerprint}`);
    await expectNowhere([value], ['reveal.yaml', 'reveal-bad.yaml']);
  }, 120_000);
});
