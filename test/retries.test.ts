import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { CutoverEnv, freePort, rolloutDoc, sampleTemplate, specYaml } from './support/cutover-env.js';

/**
 * `spec.trafficPolicy.retries` and `connectionPool` through the real server, data plane and router:
 * of two replicas, one answers only 500s; with retries on `5xx` no client sees it.
 */
describe('retries of a bad replica (real processes)', () => {
  const env = CutoverEnv.create('cutover-retries-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should retry the bad replica’s 500s on the good one, so that every client gets 200', async () => {
    const port = await freePort();
    const doc = rolloutDoc('rty', {
      replicas: 2,
      port,
      template: sampleTemplate(env, 'v1', { FAULT_REPLICA: 'rty-r1-0' }),
      strategy: { rolling: {} },
      ...({
        trafficPolicy: {
          connectionPool: {
            tcp: { maxConnections: 4 },
            http: { http1MaxPendingRequests: 100, maxRetries: 50 },
          },
          retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx' },
        },
      } as object),
    } as Parameters<typeof rolloutDoc>[1]);
    await env.applyOk(specYaml(doc));
    await env.waitForRollout('rty', (r) => r.status.phase === 'Healthy' && r.status.readyReplicas === 2, {
      what: 'two ready replicas',
    });
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const res = await request(`http://127.0.0.1:${port}/`);
        await res.body.text();
        return `${res.statusCode} ${String(res.headers['x-replica'])}`;
      }),
    );
    expect(new Set(statuses)).toEqual(new Set(['200 rty-r1-1']));
  }, 60_000);
});
