import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisRun } from '../src/analysis/index.js';
import { CutoverEnv, canaryRolloutDoc, freePort, specYaml } from './support/cutover-env.js';

/** An AnalysisTemplate as Argo Rollouts writes it: `metadata.namespace`, a Kubernetes Job metric. */
function argoJobTemplate(name: string, image: string, script: string, backoffLimit: number): object {
  return {
    kind: 'AnalysisTemplate',
    apiVersion: 'argoproj.io/v1alpha1',
    metadata: { name, namespace: 'checkout' },
    spec: {
      metrics: [
        {
          name,
          count: 1,
          provider: {
            job: {
              metadata: { labels: { app: 'check' } },
              spec: {
                backoffLimit,
                activeDeadlineSeconds: 20,
                template: {
                  spec: {
                    containers: [
                      {
                        name: 'check',
                        image,
                        command: ['sh', '-c'],
                        args: [script],
                        env: [{ name: 'EXPECTED', value: 'ok' }],
                      },
                    ],
                    restartPolicy: 'Never',
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Argo's AnalysisTemplates unchanged on the local platform (issue 15), through the real CLI,
 * server and job sandbox: a canary judged first by a Job that succeeds, then by one whose pods
 * fail `backoffLimit + 1` times, which aborts the update.
 */
describe('Argo Job metrics on the local platform', () => {
  const env = CutoverEnv.create('cutover-argo-job-');
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  const spec = (version: string) =>
    specYaml(
      canaryRolloutDoc(env, 'argo', {
        port,
        version,
        steps: [
          { analysis: { templates: [{ templateName: 'pass' }] } },
          { analysis: { templates: [{ templateName: 'fail' }] } },
        ],
      }),
      // $(EXPECTED) is expanded from the container's env before the shell sees it, as Kubernetes does.
      argoJobTemplate('pass', 'alpine:3.8', 'test "$(EXPECTED)" = ok && echo passed', 0),
      argoJobTemplate('fail', 'busybox:1.36', 'echo "pod failed" >&2; exit 3', 1),
    );

  it('should keep the namespace, run the first container with the host binaries, and judge by the Job outcome', async () => {
    await env.applyOk(spec('v1'));
    await env.waitForRollout('argo', (r) => r.status.phase === 'Healthy', { what: 'Healthy on v1' });

    const listed = await env.cliOk(['list', 'analysistemplates']);
    expect(listed.stdout).toMatch(/^pass\s+AnalysisTemplate\s+checkout\s+pass \(job\)$/m);
    const json = JSON.parse((await env.cliOk(['list', 'analysistemplates', '-o', 'json'])).stdout) as {
      items: { metadata: { name: string; namespace?: string } }[];
    };
    expect(json.items.map((t) => t.metadata)).toEqual([
      { name: 'fail', namespace: 'checkout' },
      { name: 'pass', namespace: 'checkout' },
    ]);

    await env.applyOk(spec('v2'));
    await env.waitForRollout('argo', (r) => r.status.abort, {
      what: 'aborted by the failing Job',
      timeoutMs: 60_000,
    });
    const { items } = await env.apiGet<{ items: AnalysisRun[] }>('/api/v1/rollouts/argo/analysisruns');
    const byTemplate = (metric: string) =>
      items.flatMap((run) => run.status.metricResults).find((result) => result.name === metric);
    const passed = byTemplate('pass');
    expect(passed?.phase).toBe('Successful');
    expect(passed?.measurements[0]?.message).toMatch(
      /^Job complete: pod 1 of at most 1 succeeded; stdout: passed$/,
    );
    const failed = byTemplate('fail');
    expect(failed?.phase).toBe('Failed');
    expect(failed?.measurements[0]).toMatchObject({ phase: 'Failed', value: '3' });
    expect(failed?.measurements[0]?.message).toMatch(
      /^Job failed: BackoffLimitExceeded: 2 failed pods \(backoffLimit 1\), the last: exit code 3; stderr: pod failed$/,
    );

    const events = (await env.history('argo')).events.filter((e) => e.reason === 'JobImageNotPulled');
    expect(events.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^AnalysisRun \S+ metric pass: image alpine:3\.8 is not pulled on the local platform; \["sh","-c","test \\"\$\(EXPECTED\)\\" = ok && echo passed"\] runs with the host's binaries$/,
      ),
      expect.stringMatching(/ metric fail: image busybox:1\.36 is not pulled on the local platform; /),
    ]);
  });

  it('should refuse at apply an Argo Job whose container has no command, and what the local platform cannot honour, in one error', async () => {
    const template = argoJobTemplate('entrypoint', 'alpine:3.8', 'exit 0', 0) as {
      spec: { metrics: { provider: { job: { spec: Record<string, unknown> } } }[] };
    };
    const job = template.spec.metrics[0]!.provider.job.spec;
    job['parallelism'] = 2;
    const pod = (job['template'] as { spec: Record<string, unknown> }).spec;
    pod['volumes'] = [];
    const container = (pod['containers'] as Record<string, unknown>[])[0]!;
    delete container['command'];
    const refused = await env.apply(specYaml(template), 'entrypoint.yaml');
    expect(refused.code).not.toBe(0);
    const at = 'spec.metrics[0].provider.job.spec';
    for (const expected of [
      `${at}.parallelism: not implemented on the local platform`,
      `${at}.template.spec.volumes: not implemented on the local platform`,
      `${at}.template.spec.containers[0].command: expected the program to run`,
    ])
      expect(refused.stderr).toContain(expected);
    const { items } = await env.apiGet<{ items: { metadata: { name: string } }[] }>(
      '/api/v1/analysistemplates',
    );
    expect(items.map((t) => t.metadata.name)).not.toContain('entrypoint');
  });
});
