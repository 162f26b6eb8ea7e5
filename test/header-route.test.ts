import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  waitUntil,
} from './support/cutover-env.js';

/**
 * `setHeaderRoute` end to end: the CLI applies a canary whose first step routes `x-canary: yes`
 * to the canary at weight 0; real replicas behind the data plane's router answer.
 */
describe('setHeaderRoute canary step', () => {
  const env = CutoverEnv.create('cutover-header-route-');

  afterAll(async () => {
    await env.cleanup();
  });

  async function version(port: number, headers: Record<string, string> = {}): Promise<string> {
    const res = await request(`http://127.0.0.1:${port}/`, { headers, headersTimeout: 10_000, reset: true });
    await res.body.text();
    return String(res.headers['x-version']);
  }

  it('should send clients with x-canary: yes to the canary at weight 0 and drop the route on promotion', async () => {
    const port = await freePort();
    const spec = (v: string) =>
      specYaml(
        rolloutDoc('web', {
          replicas: 2,
          port,
          template: sampleTemplate(env, v),
          strategy: {
            canary: {
              scaleDownDelaySeconds: 1,
              steps: [
                {
                  setHeaderRoute: {
                    name: 'testers',
                    match: [{ headerName: 'X-Canary', headerValue: { exact: 'yes' } }],
                  },
                },
                { pause: {} },
              ],
            },
          },
        }),
      );
    await env.applyOk(spec('v1'));
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy', { what: 'Healthy on revision 1' });
    await env.applyOk(spec('v2'));
    const paused = await env.waitForRollout(
      'web',
      (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1,
      { what: 'Paused after the setHeaderRoute step' },
    );
    expect(paused.status.weights).toEqual({ canary: 0, stable: 100 });

    const withHeader: string[] = [];
    const without: string[] = [];
    for (let i = 0; i < 10; i++) {
      withHeader.push(await version(port, { 'x-canary': 'yes' }));
      without.push(await version(port));
    }
    expect(withHeader).toEqual(Array(10).fill('v2'));
    expect(without).toEqual(Array(10).fill('v1'));

    await env.cliOk(['promote', 'web']);
    await env.waitForRollout('web', (r) => r.status.phase === 'Healthy' && r.status.stableRevision === 2, {
      what: 'Healthy on revision 2',
    });
    await waitUntil(async () => ((await version(port, { 'x-canary': 'yes' })) === 'v2' ? true : undefined), {
      timeoutMs: 5_000,
      what: 'v2 for everyone',
    });
    expect(await version(port)).toBe('v2');
  }, 60_000);

  // Regression (issue 9): `setHeaderRoute` with `^(a+)+$` and a 32-byte header froze the whole data
  // plane (every Rollout) for 5.7 s with JavaScript's backtracking RegExp; RE2 answers at once.
  it('should answer a 32-byte and a 64 KiB header promptly under a ^(a+)+$ header route', async () => {
    const port = await freePort();
    const spec = (v: string) =>
      specYaml(
        rolloutDoc('redos', {
          replicas: 1,
          port,
          template: sampleTemplate(env, v),
          strategy: {
            canary: {
              steps: [
                {
                  setHeaderRoute: {
                    name: 'aaa',
                    match: [{ headerName: 'X-User', headerValue: { regex: '^(a+)+$' } }],
                  },
                },
                { pause: {} },
              ],
            },
          },
        }),
      );
    await env.applyOk(spec('v1'), 'redos.yaml');
    await env.waitForRollout('redos', (r) => r.status.phase === 'Healthy', { what: 'Healthy on revision 1' });
    await env.applyOk(spec('v2'), 'redos.yaml');
    await env.waitForRollout('redos', (r) => r.status.phase === 'Paused' && r.status.currentStepIndex === 1, {
      what: 'Paused after the setHeaderRoute step',
    });
    const timed = async (value: string): Promise<{ ms: number; status: number; version: string }> => {
      const started = performance.now();
      const res = await request(`http://127.0.0.1:${port}/`, {
        headers: { 'x-user': value },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        reset: true,
      });
      await res.body.text();
      return {
        ms: performance.now() - started,
        status: res.statusCode,
        version: String(res.headers['x-version']),
      };
    };
    // Warm the connection path, then time the hostile header.
    expect((await timed('a')).version).toBe('v2');
    const hostile = await timed(`${'a'.repeat(31)}!`);
    expect(hostile).toMatchObject({ status: 200, version: 'v1' });
    expect(hostile.ms).toBeLessThan(1000);
    // A 64 KiB header is over the router's head limit: refused at once, never matched.
    const huge = await timed(`${'a'.repeat(64 * 1024 - 1)}!`);
    expect(huge.status).toBe(431);
    expect(huge.ms).toBeLessThan(1000);
    expect((await timed('a'.repeat(32))).version).toBe('v2');
  }, 60_000);
});
