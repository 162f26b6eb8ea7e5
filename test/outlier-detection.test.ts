import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { CutoverEnv, freePort, rolloutDoc, sampleTemplate, specYaml } from './support/cutover-env.js';

/**
 * `spec.trafficPolicy.outlierDetection` through the real server, data plane and router: of two
 * replicas, the one that answers only 500s is ejected after 5 consecutive errors and receives no
 * request during its ejection; the ejection is an event and shows in `get rollout`.
 */
describe('outlier detection of a bad replica (real processes)', () => {
  const env = CutoverEnv.create('cutover-outlier-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should eject the replica that answers only 500s after 5 of them, and show it', async () => {
    const port = await freePort();
    const doc = rolloutDoc('ejt', {
      replicas: 2,
      port,
      template: sampleTemplate(env, 'v1', { FAULT_REPLICA: 'ejt-r1-0' }),
      strategy: { rolling: {} },
      ...({
        trafficPolicy: {
          outlierDetection: {
            consecutive5xxErrors: 5,
            interval: '1s',
            baseEjectionTime: '60s',
            maxEjectionPercent: 50,
          },
        },
      } as object),
    } as Parameters<typeof rolloutDoc>[1]);
    await env.applyOk(specYaml(doc));
    await env.waitForRollout('ejt', (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === 2, {
      what: 'two ready replicas',
    });
    const seen: { status: number; replica: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await request(`http://127.0.0.1:${port}/`);
      await res.body.text();
      seen.push({ status: res.statusCode, replica: String(res.headers['x-replica']) });
    }
    const failed = seen.filter((s) => s.status !== 200);
    expect(failed).toHaveLength(5);
    expect(new Set(failed.map((s) => s.replica))).toEqual(new Set(['ejt-r1-0']));
    const lastFailure = seen.findLastIndex((s) => s.status !== 200);
    expect(seen.slice(lastFailure + 1).every((s) => s.replica === 'ejt-r1-1')).toBe(true);

    const shown = await env.cliOk(['get', 'rollout', 'ejt']);
    expect(shown.stdout).toMatch(
      /EJECTED \(outlier detection\)\n✖ ejt-r1-0 \(revision 1\) for \d+ s more: 5 consecutive 5xx errors/,
    );
    const history = await env.history('ejt');
    expect(history.events.filter((e) => e.reason === 'OutlierEjected').map((e) => e.message)).toEqual([
      'Replica ejt-r1-0 of revision 1 ejected by outlier detection for 60 s: 5 consecutive 5xx errors',
    ]);
  }, 60_000);
});
