import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CutoverEnv, freePort, rolloutDoc, sampleTemplate, specYaml } from './support/cutover-env.js';

/**
 * `spec.sessionAffinity` through the real server, data plane and router: a canary at 30% with
 * Cookie affinity keeps every conversation on one revision and one replica, and an abort moves
 * every session to stable at its next request.
 */
describe('session affinity of a canary (real processes)', () => {
  const env = CutoverEnv.create('cutover-affinity-');
  let port = 0;
  const spec = (version: string) =>
    specYaml(
      rolloutDoc('chat', {
        replicas: 2,
        port,
        template: sampleTemplate(env, version),
        strategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } },
        ...({ sessionAffinity: { type: 'Cookie', timeoutSeconds: 7200 } } as object),
      } as Parameters<typeof rolloutDoc>[1]),
    );

  async function get(cookie?: string) {
    const res = await request(`http://127.0.0.1:${port}/`, { headers: cookie ? { cookie } : {} });
    await res.body.text();
    const set = res.headers['set-cookie'];
    return {
      version: String(res.headers['x-version']),
      replica: String(res.headers['x-replica']),
      setCookie: (Array.isArray(set) ? set[0] : set)?.split(';')[0],
    };
  }

  beforeAll(async () => {
    port = await freePort();
    await env.applyOk(spec('v1'));
    await env.waitForRollout('chat', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
  }, 60_000);
  afterAll(async () => {
    await env.cleanup();
  });

  it('should keep each session on one revision and one replica at 30%, show the sessions, and move them to stable on abort', async () => {
    await env.applyOk(spec('v2'));
    await env.waitForRollout('chat', (r) => r.status.phase === 'Paused' && r.status.weights.canary === 30, {
      what: 'paused at 30%',
    });
    const sessions: { cookie: string; seen: Set<string> }[] = [];
    for (let s = 0; s < 200; s++) {
      const first = await get();
      expect(first.setCookie).toMatch(/^cutover-session=/);
      const seen = new Set([`${first.version}/${first.replica}`]);
      for (let i = 0; i < 4; i++) {
        const next = await get(first.setCookie);
        seen.add(`${next.version}/${next.replica}`);
      }
      sessions.push({ cookie: first.setCookie!, seen });
    }
    expect(sessions.filter((s) => s.seen.size !== 1)).toEqual([]);
    const onCanary = sessions.filter((s) => [...s.seen][0]!.startsWith('v2/')).length;
    expect(onCanary / sessions.length).toBeGreaterThanOrEqual(0.2);
    expect(onCanary / sessions.length).toBeLessThanOrEqual(0.4);

    const shown = await env.cliOk(['get', 'rollout', 'chat']);
    expect(shown.stdout).toContain(
      `Sessions:       Cookie affinity: ${onCanary} on revision 2, ${sessions.length - onCanary} on revision 1`,
    );

    await env.cliOk(['abort', 'chat']);
    await env.waitForRollout('chat', (r) => r.status.abort && r.status.weights.canary === 0, {
      what: 'aborted',
    });
    // The weights were applied before the status was written (actions before status).
    for (const s of sessions) expect((await get(s.cookie)).version).toBe('v1');
  }, 90_000);
});
