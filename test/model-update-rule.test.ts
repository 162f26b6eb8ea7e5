import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CutoverEnv,
  freePorts,
  type LoadGenerator,
  type RolloutJson,
  rolloutDoc,
  SAMPLE_SERVICE,
  sampleTemplate,
  specYaml,
  startLoad,
} from './support/cutover-env.js';
import { type PrometheusServer, startPrometheus } from './support/prometheus.js';

/** The example AnalysisTemplate, unchanged. */
const RULE = readFileSync(
  join(dirname(SAMPLE_SERVICE), '..', 'agent-model-update', 'model-update-rule.yaml'),
  'utf8',
);

/** Control: the stable model. Each candidate differs from it in what its name says. */
const CONTROL = { QUALITY: '0.80', LATENCY_MS: '20', FAULT_EVERY: '10' };
const CANDIDATES = {
  // quality +3%, same latency and errors: meets all three thresholds.
  good: { QUALITY: '0.824', LATENCY_MS: '20', FAULT_EVERY: '10' },
  // quality +1% only.
  quality: { QUALITY: '0.808', LATENCY_MS: '20', FAULT_EVERY: '10' },
  // latency +20%.
  latency: { QUALITY: '0.824', LATENCY_MS: '24', FAULT_EVERY: '10' },
  // errors 1/9 against 1/10 of requests: +11%.
  errors: { QUALITY: '0.824', LATENCY_MS: '20', FAULT_EVERY: '9' },
} as const;
type Case = keyof typeof CANDIDATES;
const CASES = Object.keys(CANDIDATES) as Case[];

/**
 * The seed's model-update rule (examples/agent-model-update) deciding experiments end to end: four
 * Rollouts of the sample service, each updated through an `experiment` step whose fresh control and
 * candidate replica sets take 25% of the traffic each, judged through a real Prometheus scraping the
 * router (per-set latency and errors) and the replicas (quality). They run side by side to stay
 * within the time bound.
 */
describe('model-update rule in an experiment step', () => {
  const env = CutoverEnv.create('cutover-model-update-');
  const ports = {} as Record<Case, number>;
  let promPort = 0;
  let prometheus: PrometheusServer | undefined;
  const loads: LoadGenerator[] = [];

  const rollout = (c: Case, version: 'v1' | 'v2') =>
    rolloutDoc(`agent-${c}`, {
      replicas: 1,
      port: ports[c],
      template: sampleTemplate(env, version, version === 'v1' ? CONTROL : CANDIDATES[c]),
      strategy: {
        canary: {
          abortScaleDownDelaySeconds: 1,
          scaleDownDelaySeconds: 1,
          steps: [
            {
              experiment: {
                templates: [
                  { name: 'control', specRef: 'stable', weight: 25 },
                  { name: 'candidate', specRef: 'canary', weight: 25 },
                ],
                analyses: [
                  {
                    name: 'rule',
                    templateName: 'model-update-rule',
                    requiredForCompletion: true,
                    args: [
                      { name: 'control-set', value: '{{templates.control.set}}' },
                      { name: 'candidate-set', value: '{{templates.candidate.set}}' },
                      { name: 'prometheus-address', value: `http://127.0.0.1:${promPort}` },
                    ],
                  },
                ],
              },
            },
          ],
        },
      },
    });

  const apply = async (version: 'v1' | 'v2') => {
    const yaml = `${specYaml(...CASES.map((c) => rollout(c, version)))}---\n${RULE}`;
    const result = await env.apply(yaml, `${version}.yaml`);
    expect(result.code, result.stderr).toBe(0);
  };

  beforeAll(async () => {
    const free = await freePorts(CASES.length + 1);
    CASES.forEach((c, i) => {
      ports[c] = free[i]!;
    });
    promPort = free[CASES.length]!;
    await apply('v1');
    await Promise.all(
      CASES.map((c) =>
        env.waitForRollout(`agent-${c}`, (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' }),
      ),
    );
    const { metricsPort } = JSON.parse(readFileSync(env.path('dataplane.json'), 'utf8')) as {
      metricsPort: number;
    };
    prometheus = await startPrometheus(
      [
        { job_name: 'cutover-router', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
        {
          job_name: 'replicas',
          http_sd_configs: [{ url: `http://127.0.0.1:${metricsPort}/v1/sd`, refresh_interval: '1s' }],
        },
      ],
      { port: promPort },
    );
    for (const c of CASES) loads.push(startLoad(ports[c], { concurrency: 4, pauseMs: 2 }));
  }, 40_000);

  afterAll(async () => {
    await Promise.all(loads.map((l) => l.stop()));
    await prometheus?.stop();
    await env.cleanup();
  });

  it('should promote the candidate that meets all thresholds and abort each one that fails, naming the metric', async () => {
    await apply('v2');
    const done = (r: RolloutJson) =>
      r.status.abort || (r.status.phase === 'Healthy' && r.status.stableRevision === 2);
    const outcomes = await Promise.all(
      CASES.map((c) =>
        env.waitForRollout(`agent-${c}`, done, { what: 'promoted or aborted', timeoutMs: 45_000 }),
      ),
    );
    const byCase = Object.fromEntries(CASES.map((c, i) => [c, outcomes[i]!])) as Record<Case, RolloutJson>;
    const describe = (c: Case) => JSON.stringify(byCase[c].status.message);

    expect(byCase.good.status.abort, describe('good')).toBe(false);
    expect(byCase.good.status.stableRevision).toBe(2);
    for (const c of ['quality', 'latency', 'errors'] as const) {
      expect(byCase[c].status.abort, describe(c)).toBe(true);
      expect(byCase[c].status.message).toContain(
        `Experiment agent-${c}-r2-s0 AnalysisRun agent-${c}-r2-s0-rule Failed`,
      );
      expect(byCase[c].status.message).toContain(`metric "${c}"`);
      for (const other of ['quality', 'latency', 'errors'].filter((m) => m !== c)) {
        expect(byCase[c].status.message).not.toContain(`metric "${other}"`);
      }
    }
  }, 60_000);
});
