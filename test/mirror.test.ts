import { afterAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePort,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/**
 * Shadow traffic through the real server, data plane and router: a canary at weight 0 receives a
 * copy of every request (`setMirrorRoute` at 100%) and answers 500 to all; no client ever sees
 * it, the mirror's figures and `mirror-mismatch-rate` measure the difference, and an analysis of
 * the mirrored answers aborts the update before any user was routed to the canary.
 */
describe('shadow traffic of a canary (real processes)', () => {
  const env = CutoverEnv.create('cutover-mirror-');
  afterAll(async () => {
    await env.cleanup();
  });

  it('should mirror every request to the failing canary, never answer a client with it, and abort on the mirror analysis', async () => {
    const port = await freePort();
    const template = {
      apiVersion: 'cutover.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'shadow-check' },
      spec: {
        metrics: [
          {
            name: 'mirror-errors',
            interval: '1s',
            failureLimit: 2,
            successCondition: 'isNaN(result) || result < 0.05',
            provider: { builtin: { metric: 'error-rate', revision: 'mirror', window: '5s' } },
          },
          {
            name: 'mismatch',
            interval: '1s',
            failureLimit: 2,
            successCondition: 'isNaN(result) || result < 0.1',
            provider: { builtin: { metric: 'mirror-mismatch-rate', window: '5s' } },
          },
        ],
      },
    };
    const spec = (version: string, faultRate: number) =>
      specYaml(
        rolloutDoc('shadow', {
          replicas: 2,
          port,
          template: sampleTemplate(env, version, faultRate > 0 ? { FAULT_RATE: String(faultRate) } : {}),
          strategy: {
            canary: {
              abortScaleDownDelaySeconds: 1,
              steps: [
                {
                  setMirrorRoute: {
                    name: 'shadow',
                    percentage: 100,
                    match: [{ path: { prefix: '/' } }],
                    compare: {},
                  },
                },
                { analysis: { templates: [{ templateName: 'shadow-check' }] } },
                { setWeight: 50 },
              ],
            },
          },
        } as Parameters<typeof rolloutDoc>[1]),
        template,
      );
    await env.applyOk(spec('v1', 0));
    await env.waitForRollout('shadow', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });

    const load = startLoad(port, { concurrency: 4 });
    try {
      await waitUntil(() => load.total >= 30 || undefined, { timeoutMs: 10_000, what: 'first responses' });
      await env.applyOk(spec('v2', 1));
      const aborted = await env.waitForRollout('shadow', (r) => r.status.abort, {
        what: 'aborted by the mirror analysis',
        timeoutMs: 60_000,
      });
      expect(aborted.status.weights.canary).toBe(0);
      expect(aborted.status.message).toMatch(/AnalysisRun .* Failed/);
      // The canary answered 500 to every copy; no client saw one of its answers.
      const counts = load.counts();
      expect(counts.failed).toBe(0);
      expect(counts.byVersion.v2 ?? 0).toBe(0);
      // Both metrics measured the mirrored answers: all errors, all different from the clients'.
      type RunJson = {
        revision: number;
        status: { phase: string; metricResults: { name: string; measurements: { value?: string }[] }[] };
      };
      const { items } = await env.apiGet<{ items: RunJson[] }>('/api/v1/rollouts/shadow/analysisruns');
      const run = items.find((r) => r.revision === 2)!;
      expect(run.status.phase).toBe('Failed');
      for (const name of ['mirror-errors', 'mismatch']) {
        const values = run.status.metricResults
          .find((m) => m.name === name)!
          .measurements.map((m) => m.value);
        expect(values.filter((v) => v === '1').length, `${name}: ${values.join(' ')}`).toBeGreaterThanOrEqual(
          2,
        );
      }
      const history = await env.history('shadow');
      expect(history.events.map((e) => e.reason)).toContain('SetMirrorRoute');
    } finally {
      await load.stop();
    }
  }, 120_000);
});
