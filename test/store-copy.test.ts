import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  type HistoryJson,
  rolloutDoc,
  sampleTemplate,
  specYaml,
} from './support/cutover-env.js';
import { type FreshDatabase, freshDatabase } from './support/postgres.js';

/**
 * An installation on the embedded SQLite store moved to PostgreSQL with `cutover store copy`: its
 * history, tokens, Secrets and audit chain come along, and the server runs on the copy.
 */
describe('cutover store copy (SQLite → PostgreSQL)', () => {
  const env = CutoverEnv.create('cutover-copy-');
  const databases: FreshDatabase[] = [];
  afterAll(async () => {
    await env.cleanup();
    for (const d of databases) await d.drop();
  });

  it('should copy an installation with its audit chain valid, refuse a non-empty target, and run on the copy', async () => {
    const port = await freePort();
    const spec = (version: string) =>
      specYaml(
        rolloutDoc('web', {
          replicas: 1,
          port,
          template: sampleTemplate(env, version),
          strategy: { canary: { steps: [{ setWeight: 50 }, { pause: { duration: '1s' } }] } },
        }),
      );
    await env.applyOk(spec('v1'));
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    await env.applyOk(spec('v2'));
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'Healthy on v2',
    });
    const viewer = await env.token('carol', 'viewer');
    await env.cliOk([
      'secret',
      'set',
      'db',
      'PASSWORD',
      '--from-file',
      env.write('password.txt', 's3cret-copy-value'),
    ]);
    const before = await env.history('web');
    const auditBefore = (await env.cliOk(['audit', 'verify'])).stdout;
    expect(auditBefore).toMatch(/intact/);
    await env.cliOk(['server', 'stop']);

    const target = await freshDatabase();
    databases.push(target);
    const copy = ['store', 'copy', '--from', `sqlite:${env.path('cutover.db')}`, '--to', target.url];
    const copied = await env.cliOk(copy);
    expect(copied.stdout).toMatch(/^audit\s+[1-9]\d*$/m);
    expect(copied.stdout).toMatch(/^events\s+[1-9]\d*$/m);
    expect(copied.stdout).toMatch(/^revisions\s+2$/m);

    // A second copy into the same database: refused, nothing written.
    const again = await env.cli(copy);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/target store is not empty \(users: \d+ rows\)/);
    // A location that is neither: the expected forms named.
    const bad = await env.cli(['store', 'copy', '--from', 'mysql://x/y', '--to', target.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/expected postgres:\/\/USER@HOST:PORT\/DATABASE, sqlite:PATH or a file path/);

    // The server on the copy: same history, same tokens, the chain verifies with the same key.
    env.env.CUTOVER_STORE = target.url;
    const after = await env.history('web');
    expect(after.events.map((e: HistoryJson['events'][number]) => [e.reason, e.message])).toEqual(
      before.events.map((e) => [e.reason, e.message]),
    );
    expect(after.revisions).toEqual(before.revisions);
    const verify = await env.cliOk(['audit', 'verify']);
    expect(verify.stdout).toMatch(/intact/);
    // Every entry came along (verify itself is a read: it adds none).
    const entries = (text: string) => Number(/(\d+) entries verified/.exec(text)?.[1]);
    expect(entries(verify.stdout)).toBe(entries(auditBefore));
    expect(entries(auditBefore)).toBeGreaterThanOrEqual(4);
    const asViewer = await env.cli(['get', 'rollout', 'web'], { env: { CUTOVER_TOKEN: viewer } });
    expect(asViewer.code).toBe(0);
    const secrets = await env.cliOk(['secret', 'list']);
    expect(secrets.stdout).toMatch(/^db\s/m);
    expect(secrets.stdout).not.toContain('s3cret-copy-value');
    // New writes continue the copied ids and the chain.
    await env.applyOk(spec('v3'));
    const later = (await env.cliOk(['audit', 'verify'])).stdout;
    expect(later).toMatch(/intact/);
    expect(entries(later)).toBe(entries(auditBefore) + 1);
  });
});
