import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  errorRateTemplate,
  fetchOnce,
  freePorts,
  rolloutDoc,
  sampleTemplate,
  specYaml,
  startLoad,
  waitUntil,
} from './support/cutover-env.js';

/**
 * A canary whose new revision answers half its requests with 500 must be aborted by the builtin
 * error-rate analysis on its own, with every request back on the stable revision (invariant 2).
 */
describe('Canary analysis', () => {
  const env = CutoverEnv.create('cutover-analysis-');
  let ports: number[] = [];

  beforeAll(async () => {
    ports = await freePorts(2);
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const canaryWith = (
    name: string,
    port: number,
    version: string,
    faultRate: number,
    canary: Record<string, unknown>,
  ) =>
    specYaml(
      rolloutDoc(name, {
        replicas: 2,
        port,
        template: sampleTemplate(env, version, faultRate > 0 ? { FAULT_RATE: String(faultRate) } : {}),
        strategy: { canary: { abortScaleDownDelaySeconds: 1, scaleDownDelaySeconds: 1, ...canary } },
      }),
      errorRateTemplate('error-rate', '4s'),
    );

  async function expectAbortedByAnalysis(name: string, port: number, v2: string): Promise<void> {
    const load = startLoad(port, { concurrency: 4 });
    try {
      await waitUntil(() => load.total >= 30, { timeoutMs: 10_000, what: 'first responses' });
      const applied = await env.apply(v2, `${name}.yaml`);
      expect(applied.code, applied.stderr).toBe(0);

      // Traffic reaches the faulty canary before the analysis judges it.
      await waitUntil(() => (load.counts().errorsByVersion.v2 ?? 0) >= 5, {
        timeoutMs: 30_000,
        what: 'the faulty canary to receive traffic',
        describe: () => JSON.stringify(load.counts().byVersion),
      });

      // Nobody aborts it: the analysis does, within a bounded time.
      const aborted = await env.waitForRollout(name, (r) => r.status.abort, {
        what: 'aborted by analysis',
        timeoutMs: 40_000,
      });
      const abortSeen = Date.now();
      expect(aborted.status.phase).toBe('Degraded');

      const status = await env.cli(['status', name]);
      expect(status.code, status.stdout + status.stderr).toBe(3);
      expect(status.stdout).toContain('Degraded');

      const json = await env.getRollout(name);
      expect(json.status.abort).toBe(true);
      expect(json.status.weights.canary).toBe(0);
      expect(json.status.weights.stable).toBe(100);
      expect(json.status.stableRevision).toBe(1);
      expect(json.status.currentRevision).toBe(2);
      expect(json.status.message).toMatch(/AnalysisRun .* (Failed|Error)/);

      // Every request sent after the abort was visible is answered by v1, without failure.
      await waitUntil(() => load.counts(abortSeen).total >= 200, {
        timeoutMs: 20_000,
        what: '200 responses after the abort',
      });
      const after = load.counts(abortSeen);
      expect(after.byVersion).toEqual({ v1: after.total });
      expect(after.failed).toBe(0);
      expect((await fetchOnce(port)).version).toBe('v1');

      const all = await load.stop();
      // The only failures a client saw are the faulty canary's own 500s: none from v1, none from the router.
      expect(all.errorsByVersion, all.failures.join('\n')).toEqual({ v2: all.errorsByVersion.v2 });

      const history = await env.history(name);
      const abortEvents = history.events.filter((e) => e.reason === 'RolloutAborted');
      expect(abortEvents).toHaveLength(1);
      expect(abortEvents[0]).toMatchObject({ type: 'Warning', actor: 'controller' });
      expect(abortEvents[0]!.message).toMatch(/AnalysisRun \S+ (Failed|Error)/);
      const text = await env.cliOk(['history', name]);
      expect(text.stdout).toMatch(/controller\s+⚠ RolloutAborted\s+.*AnalysisRun \S+ (Failed|Error)/);
    } finally {
      await load.stop();
    }
  }

  it('should abort a faulty canary through a failed analysis step and send all traffic back to v1', async () => {
    const port = ports[0]!;
    const steps = [
      { setWeight: 50 },
      { analysis: { templates: [{ templateName: 'error-rate' }] } },
      { pause: {} },
    ];
    await env.applyOk(canaryWith('step', port, 'v1', 0, { steps }), 'step.yaml');
    await env.waitForRollout('step', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    await expectAbortedByAnalysis('step', port, canaryWith('step', port, 'v2', 0.5, { steps }));
  });

  it('should abort a faulty canary through a failed background analysis', async () => {
    const port = ports[1]!;
    const canary = {
      steps: [{ setWeight: 50 }, { pause: {} }],
      analysis: { templates: [{ templateName: 'error-rate' }], startingStep: 1 },
    };
    expect((await env.apply(canaryWith('background', port, 'v1', 0, canary), 'background.yaml')).code).toBe(
      0,
    );
    await env.waitForRollout('background', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });
    await expectAbortedByAnalysis('background', port, canaryWith('background', port, 'v2', 0.5, canary));
  });
});
